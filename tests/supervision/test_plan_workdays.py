"""“N个工作日内” in the plan importer (issue 12): a limit that is the task's own completion
deadline is counted with the working-day calendar from the task's 交办; a recurring service
limit (the kind every sample plan has: 一般事项5个工作日内反馈, 审批时间不超过15个工作日) never
sets a deadline. The review page tells which deadline came from a 工作日 limit."""

from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time

from supervision.models import Measure, Task
from supervision.plan_parser import parse_plan, workday_limit
from supervision.planio import apply_plan, iter_tasks, read_plan
from tests.supervision.test_plan_import_page import preview, review_data

PLANS = Path(__file__).resolve().parent.parent / "plans"

# Real sentences from the sample plans (tests/plans): each a recurring service standard.
RECURRING = [
    # laoshan-key-points-2015
    "在领导批示督办方面，对区政府领导批示件实行限时办结，一般事项5个工作日内反馈办理情况。",
    "第二，规范依申请公开办理，答复期限不超过15个工作日。",
    # licang-hotline-2014
    "1、规范工单转办流程，一般诉求工单在1个工作日内转办到承办单位。",
    # shinan-business-environment-2013
    "到2013年底，全区政务服务事项网上可办率达到90%以上，企业开办时间压缩至3个工作日以内。",
    "3、落实出口退税分类管理，一类企业退税办理时间控制在2个工作日以内。（区税务局负责）",
    # yantai-business-environment-2022
    "3.深化工程建设项目审批制度改革，社会投资低风险项目审批时间不超过15个工作日。",
    "5.一般登记、抵押登记业务办理时间压缩至3个工作日以内，力争5年内实现全业务“一窗受理”。",
]

# The item's own deadline, as 督办 documents write it (the samples have none of this kind).
OWN = [
    ("对督查发现的问题，自交办之日起30个工作日内完成整改，并报送整改情况。", 30),
    ("本方案印发后二十个工作日内制定实施细则。", 20),
    ("须在15个工作日内完成排查；30个工作日内全部整改到位。", 30),
]

PLAN = """2026年重点工作督办方案
一、整改落实
1. 开展安全生产隐患排查，自交办之日起10个工作日内完成排查整改并报送结果。（市应急局负责）
2. 规范政务服务，一般事项5个工作日内反馈办理情况，审批时间不超过15个工作日。（市行政审批服务局负责）
3. 完善督查台账，6月底前完成。（市政府督查室负责）
"""


@pytest.mark.parametrize("sentence", RECURRING)
def test_a_recurring_service_limit_is_no_deadline(sentence):
    assert workday_limit(sentence) is None


@pytest.mark.parametrize(("sentence", "days"), OWN)
def test_the_items_own_limit_is_found(sentence, days):
    assert workday_limit(sentence) == days


def test_a_calendar_deadline_wins_over_a_limit():
    assert workday_limit("10个工作日内完成方案制定，2026年6月底前全面完成。") is None


@pytest.mark.parametrize(
    "name",
    [
        "laoshan-key-points-2015",
        "licang-hotline-2014",
        "shinan-business-environment-2013",
        "yantai-business-environment-2022",
    ],
)
def test_no_sample_plan_gets_a_deadline_from_its_service_limits(name):
    text = (PLANS / f"{name}.txt").read_text()
    assert "个工作日" in text
    tree = parse_plan(text, 2020)
    tasks = [t for p in tree["projects"] for t in iter_tasks(p["tasks"])]
    assert tasks
    assert not [t["title"] for t in tasks if "due_workdays" in t]
    assert not [m["text"] for t in tasks for m in t["measures"] if "due_workdays" in m]


@pytest.mark.django_db
def test_the_limit_counts_working_days_from_the_assignment_across_spring_festival():
    # 2026-02-10 + 10 working days: 11, 12, 13, 14 (调休 Saturday), then 春节 15–23 off,
    # 24, 25, 26, 27, 28 (调休 Saturday), and Monday 2 March.
    with freeze_time("2026-02-10 10:00:00+08:00"):
        tree = read_plan(PLAN, 2026)
    first, service, dated = tree["projects"][0]["tasks"]
    assert first["due_workdays"] == 10
    assert first["due"] == "2026-03-02"
    assert first["due_workdays_start"] == "2026-02-10"
    assert service["due"] is None and "due_workdays" not in service
    assert dated["due"] == "2026-06-30" and "due_workdays_start" not in dated
    with freeze_time("2026-02-10 10:00:00+08:00"):
        apply_plan(tree, PLAN)
    task = Task.objects.get(title=first["title"])
    assert task.due_date == date(2026, 3, 2)
    assert Measure.objects.filter(task=task, due_date=date(2026, 3, 2)).exists()
    assert Task.objects.get(title=service["title"]).due_date is None


@pytest.mark.django_db
def test_a_reimport_later_counts_from_the_first_assignment_not_from_today():
    with freeze_time("2026-02-10 10:00:00+08:00"):
        apply_plan(read_plan(PLAN, 2026), PLAN)
    with freeze_time("2026-04-01 10:00:00+08:00"):
        tree = read_plan(PLAN, 2026)
        apply_plan(tree, PLAN)
    assert tree["projects"][0]["tasks"][0]["due"] == "2026-03-02"
    assert Task.objects.get(code="1.1").due_date == date(2026, 3, 2)


@pytest.mark.django_db
def test_a_task_start_date_is_the_start():
    with freeze_time("2026-02-10 10:00:00+08:00"):
        apply_plan(read_plan(PLAN, 2026), PLAN)
    Task.objects.filter(code="1.1").update(start_date=date(2026, 2, 2))
    tree = read_plan(PLAN, 2026)
    # 2 February (Mon) + 10 working days: 3–6, 9–13, 14 (调休 Saturday) → 14 February
    assert tree["projects"][0]["tasks"][0]["due"] == "2026-02-14"


@pytest.mark.django_db
def test_a_plan_of_another_year_counts_from_its_first_day():
    with freeze_time("2026-02-10 10:00:00+08:00"):
        tree = read_plan(PLAN, 2025)
    task = tree["projects"][0]["tasks"][0]
    assert task["due_workdays_start"] == "2025-01-01"
    # 2025-01-01 is 元旦; 2, 3, 6–10, 13, 14, 15 → 15 January
    assert task["due"] == "2025-01-15"


@pytest.mark.django_db
def test_the_review_page_tells_which_deadline_came_from_a_workday_limit(admin_client):
    with freeze_time("2026-02-10 10:00:00+08:00"):
        response = preview(admin_client, year=2026, text=PLAN)
    assert response.status_code == 200
    rows = {row.code: row for row in response.context["review"].rows}
    assert (rows["1.1"].workdays, rows["1.1"].workdays_start) == (10, date(2026, 2, 10))
    assert rows["1.1"].due == date(2026, 3, 2)
    assert rows["1.2"].workdays is None and rows["1.3"].workdays is None
    content = response.content.decode()
    assert content.count('class="small text-muted workday-limit"') == 1
    assert "10个工作日内<br>自 2026-02-10 起算" in content
    with freeze_time("2026-02-10 10:00:00+08:00"):
        admin_client.post("/plans/import/", review_data(response))
    assert Task.objects.get(code="1.1").due_date == date(2026, 3, 2)
