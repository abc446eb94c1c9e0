"""The demo: the 2012 seed plan with departments, accounts, milestones and months of reports,
so that every page has something real to show. `load_demo` is safe to run twice: it creates
what is missing and leaves rows that exist (and any edits made to them) alone.

The plan is dated into the year asked for (default: the current year). The demo stands in
a month of that year (`demo_now`): this month for the current year, so that reports reach
last month and a newcomer sees green, yellow and red as in real use; early July for any
other year (`--year 2012`: the plan's own year, reports January to June, as it always was)."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from core import demo as app_demos
from core.models import Department
from core.months import next_month
from core.roles import Role

from . import bulletins, derived, scores
from .choices import ListingLevel, MilestoneStatus, ReportStatus, Rhythm, Source, TaskStatus
from .dashboard import close_month
from .defaults import load_defaults
from .demo_procedure import load_procedure
from .models import (
    DepartmentKeyword,
    IndicatorValue,
    Instruction,
    Listing,
    Milestone,
    MonthClose,
    MonthlyReport,
    Task,
    User,
)
from .planio import apply_plan, read_plan
from .roles import ensure_roles, group_for

SEED_FILE = Path(__file__).parent / "demo_data" / "qingdao-office-2012-workplan.txt"
YEAR = 2012  # the seed plan's own year
TZ = ZoneInfo("Asia/Shanghai")
OTHER_YEAR_NOW = 7  # a year other than the current one is shown as in early July


def demo_now(year, today=None):
    """The month the demo of `year` stands in: reports exist for the months before it, its
    own are due and mostly missing. This month in the current year, else July."""
    today = today or timezone.localdate()
    return today.replace(day=1) if year == today.year else date(year, OTHER_YEAR_NOW, 1)


def report_months(now):
    """The months of the demo's reports: January to the month before `now`."""
    return [date(now.year, m, 1) for m in range(1, now.month)]


@dataclass(frozen=True)
class Account:
    username: str
    full_name: str
    role: Role
    department: str


ACCOUNTS = [
    Account("admin", "系统管理员", Role.ADMIN, "秘书处"),
    Account("leader1", "王秘书长", Role.LEADER, "秘书处"),
    Account("supervisor1", "李督查", Role.SUPERVISOR, "督查处"),
    Account("head1", "张处长", Role.HEAD, "金融工作办公室"),
    Account("staff1", "刘科员", Role.STAFF, "金融工作办公室"),
    Account("staff2", "陈科员", Role.STAFF, "食品安全协调处"),
]

# Partner departments the seed text does not name, for a realistic demo.
PARTNERS = {
    "融资": ["人民银行青岛市中心支行", "市财政局", "黄岛区"],
    "食品安全": ["市食品药品监督管理局", "市卫生局", "市教育局"],
    "应急": ["市公安局", "市法制办公室"],
    "审批": ["市发展和改革委员会", "市南区", "市北区"],
    "会展": ["市商务局"],
}

PROGRESS = [
    "按照年度计划细化了工作方案，明确了责任分工和时间节点，{m}。",
    "召开专题推进会，协调相关单位解决具体问题，{m}。",
    "组织开展了实地调研和督导检查，{m}，形成阶段性工作报告。",
    "会同配合单位建立周调度机制，{m}，各项工作按序时推进。",
]
PROBLEMS = [
    "",
    "个别配合单位工作进度不一，需进一步加强协调。",
    "相关经费尚未完全落实，影响部分工作推进。",
    "",
]
NEXT_STEPS = [
    "下月将继续推进{m}，并做好阶段总结。",
    "下一步重点抓好{m}，确保按期完成。",
]


def _aware(day, hour=10):
    return datetime.combine(day, time(hour, 0), tzinfo=TZ)


def _done_at(day, hour=10):
    """When something of `day` was done, but never later than now: early in a month, last
    month's reports have gone in by today at the latest (they showed as submitted on days
    still to come)."""
    return min(_aware(day, hour), timezone.now())


def _excerpt(task):
    first = task.measures.first()
    text = first.text if first else task.text
    return text.strip("；。，").split("，")[0][:30]


@transaction.atomic
def load_demo(year=None, password=None, out=print):
    """Load the demo dated into `year` (default: the current year); see the module's text."""
    year = year or timezone.localdate().year
    now = demo_now(year)
    password = password or settings.DEMO_PASSWORD
    ensure_roles()
    load_defaults(Department, DepartmentKeyword)
    with derived.bulk_load():  # the stored status and roll-ups are rebuilt once, at its end
        return _load(year, password, now, out)


def _load(year, password, now, out):
    plan = _load_plan(year, out)
    users = _load_accounts(password, out)
    tasks = list(
        Task.objects.filter(project__plan=plan).select_related("lead_department").order_by("path")
    )
    _complete_tasks(tasks, users)
    made = sum(_load_progress(task, users, now) for task in tasks)
    out(
        f"进展报告：新增 {made} 份（{year}年1月至{now.month - 1}月）。"
        if made
        else "进展报告：无新增。"
    )
    if tasks:
        _load_supervision(tasks, users, now, out)
        _load_items(tasks, users, plan.year, out)
    app_demos.load_all(out)  # the other apps' records (their demo_records.py)
    # staff and heads for the departments that lead the items (ours and the other apps') too
    _load_accounts(password, out)
    if tasks:
        load_procedure(plan.year, tasks, users, out)  # 签收, 延期, the ladder, item states
    _load_bulletins(plan, users, out)
    return plan


def _load_plan(year, out):
    text = SEED_FILE.read_text(encoding="utf-8")
    if year != YEAR:  # the same plan, dated into `year`
        text = text.replace(f"{YEAR}年", f"{year}年")
    result = apply_plan(read_plan(text, year, own_plan=True), source_text=text)
    out(
        f"{year}年计划：新增 {result.created} 条，更新 {result.updated} 条"
        f"，未确定牵头单位 {len(result.unplaced)} 项。"
    )
    return result.plan


def _load_accounts(password, out):
    """The accounts of CONTRACT.md, plus a staff member and a head for every department that
    leads a task. All get `password`, hashed once (hashing is slow on purpose)."""
    users = {}
    for account in ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=account.username,
            defaults={
                "full_name": account.full_name,
                "department": Department.objects.get(name=account.department),
                "email": f"{account.username}@example.gov.cn",
                "is_staff": account.role == Role.ADMIN,
                "is_superuser": account.role == Role.ADMIN,
            },
        )
        user.groups.add(group_for(account.role))
        users[account.username] = user
        if created:
            out(f"账号：{account.username}（{account.role.label}，{account.department}）")
    # Every department that leads a task gets a staff member and a head, so that reminders
    # and reviews reach someone.
    for department in Department.objects.filter(led_tasks__isnull=False).distinct():
        for role in (Role.STAFF, Role.HEAD):
            if department.members.filter(groups__name=role.label).exists():
                continue
            username = f"{role.value}-{department.pk}"
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "full_name": f"{department.name}{role.label}",
                    "department": department,
                    "email": f"{username}@example.gov.cn",
                },
            )
            user.groups.add(group_for(role))
            users[username] = user
    # The password is a credential, not a tracked change: one UPDATE, no history rows.
    User.objects.filter(pk__in=[u.pk for u in users.values()]).update(
        password=make_password(password)
    )
    return users


def _complete_tasks(tasks, users):
    """Dates, leaders and partners the plan text leaves open; only where still empty."""
    for task in tasks:
        year = task.project.plan.year
        changed = []
        if task.start_date is None:
            task.start_date = date(year, 1, 1)
            changed.append("start_date")
        if task.due_date is None:
            task.due_date = date(year, 12, 31) if task.number % 3 else date(year, 6, 30)
            changed.append("due_date")
        if task.responsible_leader_id is None:
            task.responsible_leader = users["leader1"]
            changed.append("responsible_leader")
        if changed:
            task.save()
        if not task.partner_departments.exists():
            for keyword, names in PARTNERS.items():
                if keyword in task.title:
                    task.partner_departments.set(Department.objects.filter(name__in=names))


def _load_progress(task, users, now):
    """Reports up to the month before `now` and three milestones, unless the task has
    some already."""
    if task.reports.exists():
        return 0
    rng = random.Random(task.code)
    submitter = (
        task.lead_department.members.filter(groups__name=Role.STAFF.label).first()
        if task.lead_department
        else None
    )
    reviewer = (
        task.lead_department.members.filter(groups__name=Role.HEAD.label).first()
        if task.lead_department
        else None
    )
    pace = rng.choice([1.15, 1.0, 0.9, 0.6])  # ahead, on time, a bit behind, far behind
    months = report_months(now)
    # some stop reporting one or two months before the last
    stop_after = len(months) if rng.random() > 0.25 else max(0, len(months) - rng.choice([2, 1]))
    m = _excerpt(task)
    indicators = list(task.indicators.all())
    percent = 0
    made = 0
    for index, month in enumerate(months[:stop_after], start=1):
        expected = round(100 * index / 12)
        percent = min(100, max(percent, round(expected * pace + rng.randint(-3, 3))))
        late = rng.random() < 0.2
        submitted_on = next_month(month) + timedelta(
            days=rng.randint(6, 12) if late else rng.randint(0, 3)
        )
        report = MonthlyReport.objects.create(
            task=task,
            month=month,
            progress=rng.choice(PROGRESS).format(m=m),
            problems=rng.choice(PROBLEMS),
            problems_public=rng.random() < 0.5,
            next_steps=rng.choice(NEXT_STEPS).format(m=m),
            percent=percent,
            status=ReportStatus.APPROVED if index < stop_after else ReportStatus.SUBMITTED,
            submitted_by=submitter,
            submitted_at=_done_at(submitted_on),
            reviewed_by=reviewer if index < stop_after else None,
            reviewed_at=_done_at(submitted_on + timedelta(days=1)) if index < stop_after else None,
        )
        made += 1
        for indicator in indicators:
            if indicator.is_relative:  # the margin over the reference, in points
                value = (Decimal(percent - 40) / 20).quantize(Decimal("0.1"))
            else:
                value = (indicator.target * percent / 100).quantize(Decimal("1"))
            IndicatorValue.objects.create(report=report, indicator=indicator, value=value)
            indicator.actual, indicator.as_of_month = value, month
    for indicator in indicators:
        indicator.save()
    task.percent = percent
    task.status = TaskStatus.IN_PROGRESS if percent < 100 else TaskStatus.COMPLETED
    task.save(update_fields=["percent", "status", "updated_at"])
    if not task.milestones.exists():
        for number, (month, share) in enumerate([(3, 25), (6, 50), (9, 75)], start=1):
            due = date(now.year, month + 1, 1) - timedelta(days=1)
            done = percent >= share and due < now
            Milestone.objects.create(
                task=task,
                title=f"第{number}阶段：完成{share}%工作量",
                due_date=due,
                completed_on=due - timedelta(days=rng.randint(0, 5)) if done else None,
            )
    return made


def _load_supervision(tasks, users, now, out):
    """One 挂牌督办, one 批示 with its answer and one without, two public items, and the
    months before last closed."""
    year = now.year
    closing = report_months(now)[:-1]  # the months 督查处 has closed
    listed_on = now + timedelta(days=2)
    if year == timezone.localdate().year and closing:
        # in the current year, listed in the last closed month: on the dashboard and on
        # /public/ at once, never in the future
        listed_on = closing[-1] + timedelta(days=2)
    if not Listing.objects.exists():
        behind = min(tasks, key=lambda t: (t.percent, t.path))
        Listing.objects.create(
            task=behind,
            level=ListingLevel.OFFICE,
            reason="进度明显滞后于序时进度，列入办公厅挂牌督办。",
            deadline=min(listed_on + timedelta(days=89), date(year, 12, 31)),
            is_public=True,
            listed_by=users["supervisor1"],
            listed_at=_aware(listed_on),
        )
        out(f"挂牌督办：{behind}")
    if not Instruction.objects.exists():
        finance = next((t for t in tasks if "融资" in t.title), tasks[0])
        Instruction.objects.create(
            task=finance,
            leader=users["leader1"],
            text="金融机构引进要盯紧目标，每月报告对接进展。",
            response="已建立月度对接台账，上半年引进金融机构4家。",
            responded_by=users["head1"],
            responded_at=_aware(now - timedelta(days=11)),
        )
        food = next((t for t in tasks if "食品安全" in t.title), tasks[-1])
        Instruction.objects.create(
            task=food,
            leader=users["leader1"],
            text="学生饮食安全要作为重中之重，暑期前完成专项检查。",
        )
        # 批示 were written in the demo year (created_at is bookkeeping: no history needed)
        Instruction.objects.filter(task=finance).update(created_at=_aware(now - timedelta(days=19)))
        Instruction.objects.filter(task=food).update(created_at=_aware(now - timedelta(days=3)))
    public = [t for t in tasks if any(k in t.title for k in ("食品安全", "热线", "审批"))]
    for task in public:
        if not task.is_public:
            task.is_public = True
            task.save(update_fields=["is_public", "updated_at"])
    # 督查处 closed the months before last: their figures are frozen and published (/public/).
    plan = tasks[0].project.plan
    for month in closing:
        if not MonthClose.objects.filter(plan=plan, month=month).exists():
            close = close_month(plan, month, users["supervisor1"])
            MonthClose.objects.filter(pk=close.pk).update(
                closed_at=_aware(next_month(month) + timedelta(days=7))
            )
    if closing:
        out(f"月度关账：{year}年1—{closing[-1].month}月。")


def _item(year, number, **fields):
    """A demo 督办事项 of the demo year (not from the plan), created by 督查处."""
    task = Task(year=year, number=number, **fields)
    task.save()
    return task


def _load_items(tasks, users, year, out):
    """Three 督办事项 beside the plan: a 领导批示 交办 from the food task's 批示, a 会议议定事项
    and a 政府工作报告 task, with 节点 (approved and waiting) and a few reports."""
    if Task.objects.exclude(source=Source.PLAN).exists():
        return False
    food = next((t for t in tasks if "食品安全" in t.title), tasks[-1])
    finance = next((t for t in tasks if "融资" in t.title), tasks[0])
    instruction = Instruction.objects.filter(task=food, response="").first()
    # led by municipal departments, not by the demo accounts' own (their pages stay the plan's)
    unit = {
        d.name: d for d in Department.objects.filter(name__in=["市教育局", "市财政局", "市商务局"])
    }
    ordered = _item(
        year,
        1,
        source=Source.INSTRUCTION,
        doc_number=f"市政府领导批示〔{year}〕第36号",
        doc_date=date(year, 6, 28),
        origin_instruction=instruction,
        title="落实学生饮食安全专项检查批示",
        text="王秘书长批示：学生饮食安全要作为重中之重，暑期前完成专项检查。"
        "请市教育局牵头，会同卫生、食品药品监管部门对全市中小学校食堂开展专项检查，"
        "8月底前报送检查情况。",
        lead_department=unit.get("市教育局"),
        responsible_leader=users["leader1"],
        start_date=date(year, 6, 28),
        due_date=date(year, 8, 31),
        rhythm=Rhythm.MONTHLY,
    )
    ordered.partner_departments.set(
        Department.objects.filter(name__in=["市卫生局", "市食品药品监督管理局"])
    )
    meeting = _item(
        year,
        2,
        source=Source.MEETING,
        doc_number=f"市政府常务会议纪要〔{year}〕第12号",
        doc_date=date(year, 5, 15),
        title="小微企业融资服务平台建设（常务会议议定事项）",
        text="市政府第12次常务会议议定：由市财政局牵头，搭建小微企业融资服务平台，"
        "10月底前上线运行。",
        lead_department=unit.get("市财政局"),
        responsible_leader=users["leader1"],
        linked_project=finance.project,
        start_date=date(year, 5, 15),
        due_date=date(year, 10, 31),
        rhythm=Rhythm.MONTHLY,
    )
    report = _item(
        year,
        3,
        source=Source.GOV_REPORT,
        doc_number=f"{year}年市政府工作报告",
        doc_date=date(year, 1, 10),
        title="社会消费品零售总额增长15%（政府工作报告）",
        text="政府工作报告提出：扩大消费需求，全年社会消费品零售总额增长15%。",
        lead_department=unit.get("市商务局"),
        responsible_leader=users["leader1"],
        start_date=date(year, 1, 10),
        due_date=date(year, 12, 31),
        rhythm=Rhythm.QUARTERLY,
    )
    supervisor = users["supervisor1"]
    for task, steps in [
        (ordered, [("制定检查方案", 7, 10, True), ("完成全部学校食堂检查", 8, 20, False)]),
        (meeting, [("完成平台方案论证", 6, 30, True), ("平台上线试运行", 10, 15, False)]),
        (report, [("上半年增长达到14%", 6, 30, True), ("全年增长15%", 12, 31, True)]),
    ]:
        for title, month, day, approved in steps:
            Milestone.objects.create(
                task=task,
                title=title,
                due_date=date(year, month, day),
                deliverable="工作报告",
                status=MilestoneStatus.APPROVED if approved else MilestoneStatus.PROPOSED,
                proposed_by=None,
                approved_by=supervisor if approved else None,
                approved_at=_aware(task.start_date + timedelta(days=2)) if approved else None,
                completed_on=date(year, 6, 28) if approved and month == 6 else None,
            )
    for task, months, percent in [(meeting, [5, 6], 40), (report, [3, 6], 52)]:
        for index, month in enumerate(months, start=1):
            MonthlyReport.objects.create(
                task=task,
                month=date(year, month, 1),
                progress=f"按会议和报告要求推进，已完成阶段工作（第{index}次报送）。",
                next_steps="继续按节点推进。",
                percent=round(percent * index / len(months)),
                status=ReportStatus.APPROVED,
                submitted_at=_done_at(date(year, month + 1, 3)),
            )
        task.percent, task.status = percent, TaskStatus.IN_PROGRESS
        task.save(update_fields=["percent", "status", "updated_at"])
    out("督办事项：领导批示件、会议议定事项、政府工作报告任务各 1 项。")
    return True


def _load_bulletins(plan, users, out):
    """The year's scoring scheme, and the 督查通报 of every closed month, issued (issue 14)."""
    scores.default_scheme(plan.year)
    closed = MonthClose.objects.filter(plan=plan, is_closed=True).order_by("month")
    issued = 0
    for close in closed:
        if not plan.bulletins.filter(month=close.month).exists():
            bulletin = bulletins.generate(plan, close.month, users["supervisor1"])
            bulletins.issue(bulletin, users["supervisor1"], tell_heads=False)
            # issued the day after the close (issued_at is bookkeeping: no history needed)
            plan.bulletins.filter(pk=bulletin.pk).update(
                issued_at=close.closed_at + timedelta(days=1)
            )
            issued += 1
    out(f"督查通报：印发 {issued} 期；考核方案：{plan.year}年。")
