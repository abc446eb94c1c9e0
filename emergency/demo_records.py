"""The 应急管理 demo (core/demo.py runs it from `load_demo`): plans, drills with a problem
followed up and one still open, stocks (one below its minimum), 信息报告 on time and late,
dated into the year of the plan task they serve. Adds nothing when its records exist."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core import demo

from . import services
from .choices import IncidentLevel, PlanLevel, PlanStatus
from .models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply

TZ = ZoneInfo("Asia/Shanghai")


def find_task(model, keyword):
    """The newest plan's task about `keyword` with a lead department (the FK's model: this app
    never imports the task's app), or None."""
    tasks = model._meta.get_field("task").related_model.objects
    return (
        tasks.filter(title__contains=keyword, lead_department__isnull=False)
        .select_related("project__plan", "lead_department")
        .order_by("-project__plan__year", "path")
        .first()
    )


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


@demo.register("emergency", order=60)
def load(out):
    task = find_task(EmergencyPlan, "应急")
    if task is None or EmergencyPlan.objects.exists():
        return
    year, dept = task.project.plan.year, task.lead_department
    shared = {"task": task, "department": dept}
    plans = [
        ("青岛市突发事件总体应急预案", PlanLevel.GENERAL, date(year - 3, 5, 1), date(year, 9, 30)),
        ("青岛市防汛抗旱应急预案", PlanLevel.SPECIAL, date(year - 1, 6, 1), date(year + 1, 6, 1)),
        ("青岛市食品安全事故应急预案", PlanLevel.SPECIAL, date(year - 4, 3, 1), date(year, 3, 31)),
    ]
    made = []
    for name, level, last, due in plans:
        status = PlanStatus.REVISING if due.year == year else PlanStatus.PUBLISHED
        plan = EmergencyPlan(
            name=name, level=level, last_revised=last, next_revision_due=due, status=status
        )
        made.append(services.save_record(_with(plan, shared)))
    held = Drill(
        plan=made[1],
        title="汛期城市内涝综合应急演练",
        planned_on=date(year, 5, 20),
        held_on=date(year, 5, 22),
        participants="市应急办、市水利局、市公安局、市城管局，约 300 人",
        evaluation="指挥协调顺畅，信息报送及时；排涝设备调度偏慢。",
    )
    services.save_drill(
        _with(held, shared), ["排涝设备调度流程不清", "部分预警信息未覆盖到社区"], date(year, 6, 30)
    )
    first = held.problems.order_by("pk").first()
    services.close_problem(
        first, done_on=date(year, 6, 25), result="修订排涝设备调度规程，明确各区调度责任人。"
    )
    services.save_drill(
        _with(
            Drill(plan=made[0], title="地铁突发事件联合演练", planned_on=date(year, 11, 15)), shared
        )
    )
    for item, place, quantity, minimum, unit in [
        ("救生衣", "市应急物资储备库（李沧）", 1200, 1000, "件"),
        ("帐篷", "市应急物资储备库（李沧）", 180, 200, "顶"),
        ("发电机", "市应急指挥中心", 12, 10, "台"),
    ]:
        supply = Supply(item=item, location=place, quantity=quantity, minimum=minimum, unit=unit)
        services.save_supply(_with(supply, shared))
    for title, day, phone, written in [
        ("市北区某小区燃气泄漏", date(year, 4, 12), 20, 50),
        ("胶州湾高速多车追尾", date(year, 6, 3), 25, 95),
    ]:
        occurred = _at(day, 9, 10)
        report = IncidentReport(
            title=title,
            level=IncidentLevel.IV,
            occurred_at=occurred,
            phoned_at=occurred + timedelta(minutes=phone),
            written_at=occurred + timedelta(minutes=written),
            summary="事件已妥善处置，无人员死亡。",
        )
        services.save_record(_with(report, shared))
    out(
        f"应急管理：预案 {EmergencyPlan.objects.count()} 件，演练 {Drill.objects.count()} 次，"
        f"整改事项 {DrillProblem.objects.count()} 项。"
    )


def _with(record, shared):
    for name, value in shared.items():
        setattr(record, name, value)
    return record
