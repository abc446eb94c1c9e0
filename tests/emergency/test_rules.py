"""The 应急管理 rules: a 预案 revision falling due is chased, a drill's problems become
follow-up items that are chased and closed, a stock below its minimum warns its department
once per fall, 信息报告 timeliness against the reporting rule, the late records turn their task
red, and the 目标绩效考核 criteria."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time

from core.choices import ReminderKind
from core.scoring import CRITERIA
from emergency import services
from emergency.models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply
from emergency.rules import incident_late, incident_on_time
from supervision.choices import Light
from supervision.lights import with_lights
from supervision.models import Task
from tests.helpers import TZ, make_office, only, run_on, sent

pytestmark = pytest.mark.django_db
DUE_SOON, OVERDUE = ReminderKind.DUE_SOON, ReminderKind.OVERDUE


@pytest.fixture
def office(db):
    return make_office()


def light_of(task, today):
    return with_lights(Task.objects.filter(pk=task.pk), today).get().light


def new_plan(office, due, name="青岛市突发事件总体应急预案"):
    plan = EmergencyPlan(task=office["task"], department=office["dept"], name=name, level="general")
    plan.next_revision_due = due
    return services.save_record(plan)


def new_drill(office, **values):
    values.setdefault("title", "防汛应急演练")
    values.setdefault("planned_on", date(2030, 5, 20))
    drill = Drill(task=office["task"], department=office["dept"], **values)
    return drill


# --- 预案 revision ------------------------------------------------------------------------------


def test_a_plan_revision_falling_due_is_chased(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "emergency_plan_revision")
    plan = new_plan(office, date(2030, 7, 31))
    key = f"emergency:plan:{plan.pk}:20300731"

    def on(day):
        return sent(run_on(day, django_capture_on_commit_callbacks))

    assert on(date(2030, 6, 20)) == set()  # 41 days ahead: not yet
    assert on(date(2030, 7, 5)) == {("staff", DUE_SOON, f"due_soon:{key}:30")}  # a month ahead
    assert on(date(2030, 7, 6)) == set()  # the same stage is not sent twice
    assert on(date(2030, 7, 25)) == {("staff", DUE_SOON, f"due_soon:{key}:7")}
    over = f"overdue:{key}:step:0"
    assert on(date(2030, 8, 1)) == {("staff", OVERDUE, over), ("head", OVERDUE, over)}
    escalated = on(date(2030, 8, 7))  # 7 days overdue: 督查人员 too
    assert ("sup", ReminderKind.ESCALATION, f"overdue:{key}:step:2") in escalated
    # revised: the new deadline is a new event, and the late one stops
    plan.last_revised, plan.next_revision_due = date(2030, 8, 7), date(2033, 8, 7)
    services.save_record(plan)
    assert on(date(2030, 8, 10)) == set()


def test_an_overdue_revision_turns_the_task_red(office):
    task = office["task"]
    today = date(2030, 3, 10)  # the task itself is far from due and on schedule
    task.percent = 30
    task.save()
    before = light_of(task, today)
    plan = new_plan(office, today - timedelta(days=1))
    assert light_of(task, today) == Light.RED != before
    plan.next_revision_due = today + timedelta(days=300)
    services.save_record(plan)
    assert light_of(task, today) == before


# --- 演练 and its problems ----------------------------------------------------------------------


def test_a_drill_problem_becomes_a_follow_up_item_chased_until_fixed(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "emergency_drill_problem")
    drill = services.save_drill(new_drill(office, held_on=date(2030, 5, 22)))
    assert not drill.problems.exists()
    services.save_drill(drill, ["排涝设备调度流程不清", "", "预警信息未覆盖社区"])
    services.save_drill(drill, ["排涝设备调度流程不清"])  # saved again: not twice
    problems = list(DrillProblem.objects.order_by("pk"))
    assert [p.description for p in problems] == ["排涝设备调度流程不清", "预警信息未覆盖社区"]
    assert {p.deadline for p in problems} == {date(2030, 6, 21)}  # 30 days after the drill
    assert {p.department_id for p in problems} == {office["dept"].pk}
    first = problems[0]
    days = sent(run_on(date(2030, 6, 18), django_capture_on_commit_callbacks))
    assert ("staff", DUE_SOON, f"due_soon:emergency:problem:{first.pk}:3") in days
    services.close_problem(first, done_on=date(2030, 6, 20), result="已修订调度规程")
    late = sent(run_on(date(2030, 6, 22), django_capture_on_commit_callbacks))
    assert {event for _, _, event in late} == {f"overdue:emergency:problem:{problems[1].pk}:step:0"}
    assert first.history.count() == 2  # created, closed


def test_a_drill_not_held_is_late_and_chased(office, settings, django_capture_on_commit_callbacks):
    only(settings, "emergency_drill")
    drill = services.save_drill(new_drill(office, planned_on=date(2030, 5, 20)))
    result = sent(run_on(date(2030, 5, 21), django_capture_on_commit_callbacks))
    assert ("staff", OVERDUE, f"overdue:emergency:drill:{drill.pk}:20300520:step:0") in result
    assert light_of(office["task"], date(2030, 5, 21)) == Light.RED


# --- 物资储备 ------------------------------------------------------------------------------------


def test_going_below_the_minimum_warns_the_owner_once_per_fall(
    office, settings, django_capture_on_commit_callbacks
):
    only(settings, "emergency_supply_low")
    with freeze_time("2030-06-01 09:00"):
        supply = services.save_supply(
            Supply(
                task=office["task"],
                department=office["dept"],
                item="帐篷",
                location="一号库",
                quantity=250,
                minimum=200,
                unit="顶",
            )
        )
    assert supply.low_since is None
    assert run_on(date(2030, 6, 1), django_capture_on_commit_callbacks).items == []
    with freeze_time("2030-06-02 09:00"):
        supply.quantity = 150
        services.save_supply(supply)
    assert supply.low_since == date(2030, 6, 2)
    warned = run_on(date(2030, 6, 2), django_capture_on_commit_callbacks)
    event = f"emergency:supply_low:{supply.pk}:20300602"
    assert sent(warned) == {
        ("staff", ReminderKind.WARNING, event),
        ("head", ReminderKind.WARNING, event),
    }
    assert "低于最低储备 200顶" in warned.items[0].reason
    assert run_on(date(2030, 6, 3), django_capture_on_commit_callbacks).items == []  # once
    with freeze_time("2030-06-04 09:00"):
        supply.quantity = 100  # lower still: the same fall
        services.save_supply(supply)
    assert supply.low_since == date(2030, 6, 2)
    with freeze_time("2030-06-05 09:00"):
        supply.quantity = 300  # restocked
        services.save_supply(supply)
    assert supply.low_since is None
    with freeze_time("2030-06-09 09:00"):
        supply.quantity = 10  # a new fall warns again
        services.save_supply(supply)
    again = run_on(date(2030, 6, 9), django_capture_on_commit_callbacks)
    assert {i.event for i in again.items} == {f"emergency:supply_low:{supply.pk}:20300609"}


# --- 信息报告 timeliness --------------------------------------------------------------------------


def report(office, phone=None, written=None, at=datetime(2030, 6, 1, 10, 0, tzinfo=TZ)):
    minutes = timedelta(minutes=1)
    return services.save_record(
        IncidentReport(
            task=office["task"],
            department=office["dept"],
            title="燃气泄漏",
            occurred_at=at,
            phoned_at=at + phone * minutes if phone is not None else None,
            written_at=at + written * minutes if written is not None else None,
        )
    )


def test_report_timeliness_against_the_rule(office, settings):
    on_time = report(office, phone=20, written=55)
    late = report(office, phone=30, written=90)
    missing = report(office, phone=45)
    assert (on_time.timeliness("phone"), on_time.timeliness("written")) == ("按时", "按时")
    assert (late.timeliness("phone"), late.timeliness("written")) == ("按时", "迟报 30 分钟")
    assert (missing.timeliness("phone"), missing.timeliness("written")) == ("迟报 15 分钟", "未报")
    assert [r.on_time for r in (on_time, late, missing)] == [True, False, False]
    in_database = set(
        IncidentReport.objects.filter(incident_on_time()).values_list("pk", flat=True)
    )
    assert in_database == {on_time.pk}
    settings.EMERGENCY_REPORT_MINUTES = {"written": 120}  # the rule is a setting
    assert late.timeliness("written") == "按时" and late.on_time
    assert set(IncidentReport.objects.filter(incident_on_time()).values_list("pk", flat=True)) == {
        on_time.pk,
        late.pk,
    }


def test_a_missing_report_is_late_and_chased(office, settings, django_capture_on_commit_callbacks):
    only(settings, "emergency_incident_report")
    with freeze_time(datetime(2030, 6, 1, 10, 40, tzinfo=TZ)):
        missing = report(office, phone=20)  # written due at 11:00
        assert not IncidentReport.objects.filter(incident_late()).exists()
    with freeze_time(datetime(2030, 6, 1, 11, 1, tzinfo=TZ)):
        assert list(IncidentReport.objects.filter(incident_late())) == [missing]
    result = run_on(date(2030, 6, 2), django_capture_on_commit_callbacks)
    event = f"emergency:incident:{missing.pk}:书面报告"
    assert sent(result) == {(u, OVERDUE, event) for u in ("staff", "head", "sup")}


# --- 目标绩效考核 ---------------------------------------------------------------------------------


def test_the_criteria(office):
    june = date(2030, 6, 1)
    services.save_drill(new_drill(office, planned_on=date(2030, 6, 10), held_on=date(2030, 6, 12)))
    services.save_drill(new_drill(office, planned_on=date(2030, 6, 20)))
    services.save_drill(new_drill(office, planned_on=date(2030, 7, 1)))  # another month
    drills = CRITERIA["emergency.drills_as_planned"].measure(june)
    assert drills[office["dept"].pk].value == Decimal("0.5")
    assert drills[office["dept"].pk].detail == "按计划演练 1/2"
    report(office, phone=20, written=55, at=datetime(2030, 6, 3, 9, 0, tzinfo=TZ))
    report(office, phone=20, written=95, at=datetime(2030, 6, 4, 9, 0, tzinfo=TZ))
    reports = CRITERIA["emergency.reports_on_time"].measure(june)
    assert reports == {office["dept"].pk: reports[office["dept"].pk]}
    assert reports[office["dept"].pk].value == Decimal("0.5")
    assert CRITERIA["emergency.reports_on_time"].measure(date(2030, 7, 1)) == {}
    held = services.save_drill(new_drill(office, held_on=date(2030, 5, 22)), ["甲", "乙"])
    first, second = held.problems.order_by("pk")  # both due 2030-06-21
    services.close_problem(first, done_on=date(2030, 6, 20), result="已整改")
    services.close_problem(second, done_on=date(2030, 6, 25), result="迟了")
    followups = CRITERIA["emergency.followups_on_time"].measure(june)
    assert followups[office["dept"].pk].detail == "按期整改 1/2"
