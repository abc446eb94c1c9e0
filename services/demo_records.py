"""The 政民互动增效 demo (core/demo.py runs it from `load_demo`): six months of 12345 work
orders for the hotline task, 建议提案 in every state (one closed, one in 二次办理, one late),
and 网络问政 answered, waiting and late, dated into the year of the plan task they serve.
Adds nothing when its records exist."""

import csv
import io
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Max

from core import demo
from core.models import Department

from . import hotline, proposals
from .choices import Opinion, ProposalStatus
from .models import Inquiry, Proposal, WorkOrder, WorkOrderImport

TZ = ZoneInfo("Asia/Shanghai")
CATEGORIES = ["城市管理", "交通出行", "住房保障", "劳动社保", "教育服务", "医疗卫生", "市场监管",
              "环境保护", "供暖供气", "融资服务"]  # fmt: skip
UNITS = ["市南区", "市北区", "李沧区", "崂山区", "黄岛区", "市教育局", "市公安局", "市卫生局",
         "市商务局", "市食品药品监督管理局", "市城市管理局", "市交通运输局"]  # fmt: skip
SATISFACTION = ["满意"] * 6 + ["基本满意"] * 2 + ["不满意", "未回访"]


def _months(task):
    """The plan year's months up to the last one reported, at least three."""
    year = task.project.plan.year
    last = task.reports.aggregate(m=Max("month"))["m"]
    count = max(3, last.month if last and last.year == year else 6)
    return [date(year, n, 1) for n in range(1, count + 1)]


def _orders(months, rng):
    """A hotline export (CSV bytes) of about 400 work orders a month."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(label for label, *_ in hotline.COLUMNS.values()))
    number = 0
    for month in months:
        for _ in range(380 + rng.randrange(60)):
            number += 1
            received = datetime.combine(month, time(8)) + timedelta(
                days=rng.randrange(28), minutes=rng.randrange(600)
            )
            unit = rng.choice(UNITS)
            slow = unit in ("李沧区", "市公安局")  # two units lag, so the ranking says something
            replied = implemented = closed = ""
            answer = "未回访"
            if rng.random() < (0.8 if slow else 0.97):
                reply = received + timedelta(hours=rng.randrange(2, 150 if slow else 90))
                replied = f"{reply:%Y-%m-%d %H:%M}"
                answer = rng.choice(SATISFACTION[2:] if slow else SATISFACTION)
                if rng.random() < (0.6 if slow else 0.9):
                    done = reply + timedelta(hours=rng.randrange(1, 72))
                    implemented = closed = f"{done:%Y-%m-%d %H:%M}"
            writer.writerow(
                [f"{month:%Y%m}{number:06d}", f"{received:%Y-%m-%d %H:%M}", rng.choice(
                    ["电话", "电话", "电话", "网站", "微信"]), rng.choice(CATEGORIES), unit,
                 replied, implemented, answer, closed]
            )  # fmt: skip
    return io.BytesIO(out.getvalue().encode("utf-8"))


def _proposals(task, departments, months, supervisor):
    year = task.project.plan.year
    start = months[0]
    today = months[-1] + timedelta(days=20)
    rows = [
        ("JY-01", "deputy", "加快推进小微企业融资担保体系建设", "王建国", "市商务局",
         ProposalStatus.CLOSED, Opinion.SATISFIED, 1, True),
        ("JY-02", "deputy", "进一步优化行政审批流程", "李红", "行政审批服务处",
         ProposalStatus.SECOND, Opinion.UNSATISFIED, 2, False),
        ("ZX-01", "member", "完善政务服务热线回访机制", "张伟", "12345政务服务热线办公室",
         ProposalStatus.REPLIED, None, 1, False),
        ("ZX-02", "member", "推进政府信息公开第三方评价", "刘洋", "政务公开办公室",
         ProposalStatus.HANDLING, None, 1, False),
        ("ZX-03", "member", "加强食品安全“五小”整治", "陈静", "市食品药品监督管理局",
         ProposalStatus.ASSIGNED, None, 1, False),
    ]  # fmt: skip
    for index, (number, kind, title, proposer, lead, status, opinion, rounds, done) in enumerate(
        rows
    ):
        lead_department = departments.get(lead, task.lead_department)
        due = start + timedelta(days=90 + 10 * index)
        late = number == "ZX-03"  # past its deadline, not replied: the task turns red
        if late:
            due = today - timedelta(days=12)
        replied = status in (ProposalStatus.REPLIED, ProposalStatus.CLOSED)
        proposal = Proposal(
            number=f"{year}-{number}",
            kind=kind,
            title=title,
            proposer=proposer,
            lead_department=lead_department,
            received_on=start + timedelta(days=index),
            due_date=due if rounds == 1 else today + timedelta(days=30),
            status=status,
            key=index == 0,
            reply="已按建议制定工作方案并组织实施。" if replied or rounds > 1 else "",
            replied_on=min(due, today) - timedelta(days=5) if replied else None,
            opinion=opinion,
            rounds=rounds,
            implemented=done,
            closed_on=today - timedelta(days=3) if status == ProposalStatus.CLOSED else None,
            task=task,
        )
        proposal._change_reason = "演示数据"
        proposal.save()
        proposals.open_item(proposal, supervisor, quiet=True)  # no news of old items


def _inquiries(task, departments, months):
    today = months[-1] + timedelta(days=20)
    rows = [
        ("小学划片范围在哪里查询？", "市教育局", 2),
        ("公积金贷款需要哪些材料？", "行政审批服务处", 4),
        ("夜间施工噪音谁来管？", "市北区", None),
        ("老旧小区加装电梯有补贴吗？", "市南区", 9),
        ("社保卡补办要多久？", "市卫生局", None),
    ]
    for index, (title, unit, days) in enumerate(rows):
        asked = datetime.combine(today - timedelta(days=25 - 4 * index), time(10), tzinfo=TZ)
        due = asked.date() + timedelta(days=5)
        answered = asked + timedelta(days=days) if days is not None else None
        inquiry = Inquiry(
            number=f"WZ{asked:%Y%m}{index + 1:03d}",
            title=title,
            asked_at=asked,
            department=departments.get(unit, task.lead_department),
            due_date=due,
            answered_at=answered,
            answer="已答复：具体办理流程见政务服务网。" if answered else "",
            task=task,
        )
        inquiry._change_reason = "演示数据"
        inquiry.save()


@demo.register("services", order=50)
def load(out):
    hotline_task = demo.task_for(WorkOrderImport, "热线")
    proposal_task = demo.task_for(Proposal, "建议提案") or hotline_task
    inquiry_task = demo.task_for(Inquiry, "问政") or hotline_task
    if hotline_task is None:
        return
    departments = {d.name: d for d in Department.objects.all()}
    months = _months(hotline_task)
    if not WorkOrder.objects.exists():
        rng = random.Random(hotline_task.project.plan.year)
        result = hotline.import_orders(
            _orders(months, rng), "12345工单演示数据.csv", task=hotline_task
        )
        out(f"12345 工单：{result.created} 张（{months[0]:%Y-%m} 至 {months[-1]:%Y-%m}）")
    if not Proposal.objects.exists():
        supervisor = get_user_model().objects.filter(username="supervisor1").first()
        _proposals(proposal_task, departments, months, supervisor)
        out(f"建议提案：{Proposal.objects.count()} 件")
    if not Inquiry.objects.exists():
        _inquiries(inquiry_task, departments, months)
        out(f"网络问政：{Inquiry.objects.count()} 件")
