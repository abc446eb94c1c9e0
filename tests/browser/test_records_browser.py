"""One flow of each record app in a real browser: a drill whose problem is followed up to its
end, and an inspection whose 整改 goes overdue (red, its task red, chased) and is then closed
with its proof."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from core.reminders import scan
from emergency.models import Drill
from foodsafety.models import Inspection
from supervision.models import User
from tests.browser.pages import html
from tests.helpers import make_office

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def office(transactional_db, settings):
    office = make_office()
    office["task"].due_date = timezone.localdate() + timedelta(days=200)
    office["task"].start_date = timezone.localdate() - timedelta(days=10)
    office["task"].save()
    User.objects.update(password=make_password(settings.DEMO_PASSWORD))
    return office


def test_a_drill_with_a_problem_followed_up(signed_in, live_server, office):
    today = timezone.localdate()
    page = signed_in("staff")
    page.goto(f"{live_server.url}/")
    page.click("#nav-special")  # the 专项工作 menu
    page.get_by_role("link", name="应急管理").first.click()
    page.get_by_role("link", name="应急演练").first.click()
    page.click("#record-new")
    page.select_option("#id_task", str(office["task"].pk))
    page.fill("#id_title", "汛期城市内涝应急演练")
    page.fill("#id_planned_on", f"{today - timedelta(days=3):%Y-%m-%d}")
    page.fill("#id_held_on", f"{today - timedelta(days=2):%Y-%m-%d}")
    page.fill("#id_participants", "市应急办、市水利局")
    page.fill("#id_evaluation", "指挥顺畅，排涝设备调度偏慢。")
    page.fill("#id_new_problems", "排涝设备调度流程不清")
    page.get_by_role("button", name="保存").click()
    assert "应急演练已保存" in html(page)
    drill = Drill.objects.get()
    problem = drill.problems.get()
    assert problem.deadline == today - timedelta(days=2) + timedelta(days=30)
    problem_box = page.locator(f'[data-problem="{problem.pk}"]')
    assert "整改中" in problem_box.inner_text()

    # the task's page shows the drill and its open problem
    page.goto(f"{live_server.url}/tasks/{office['task'].pk}/")
    records = page.locator("#task-records").inner_text()
    assert "应急演练：1 条" in records and "演练问题整改：1 条" in records

    # the head closes the problem with what was done
    head = signed_in("head")
    head.goto(f"{live_server.url}{drill.get_absolute_url()}")
    box = head.locator(f'[data-problem="{problem.pk}"]')
    box.locator("input[name=done_on]").fill(f"{today:%Y-%m-%d}")
    box.get_by_role("button", name="整改完成").click()
    assert "这个字段是必填项" in html(head)  # the result is required
    box = head.locator(f'[data-problem="{problem.pk}"]')
    box.locator("input[name=done_on]").fill(f"{today:%Y-%m-%d}")
    box.locator("textarea[name=result]").fill("修订排涝设备调度规程，明确责任人。")
    box.get_by_role("button", name="整改完成").click()
    assert "整改事项已办结" in html(head)
    assert f"已整改 {today:%Y-%m-%d}" in head.locator(f'[data-problem="{problem.pk}"]').inner_text()
    problem.refresh_from_db()
    assert problem.done_on == today and problem.history.first().history_user == office["head"]


def test_an_inspection_goes_overdue_then_is_closed_with_proof(
    signed_in, live_server, office, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    page = signed_in("staff")
    page.goto(f"{live_server.url}/foodsafety/")
    page.get_by_role("link", name="检查与整改").first.click()
    page.click("#record-new")
    page.select_option("#id_task", str(office["task"].pk))
    page.fill("#id_place", "市南区某海鲜排档")
    page.select_option("#id_category", "catering")
    page.select_option("#id_district", "shinan")
    page.fill("#id_inspected_on", f"{today:%Y-%m-%d}")
    page.fill("#id_findings", "从业人员健康证过期")
    page.fill("#id_rectify_by", f"{today + timedelta(days=1):%Y-%m-%d}")
    page.get_by_role("button", name="保存").click()
    assert "食品安全检查已保存" in html(page)
    inspection = Inspection.objects.get()
    assert "整改中" in page.locator("#record-title").inner_text()

    # time passes: the deadline was three days ago and nothing was done
    Inspection.objects.filter(pk=inspection.pk).update(
        inspected_on=today - timedelta(days=10), rectify_by=today - timedelta(days=2)
    )
    page.goto(f"{live_server.url}/foodsafety/inspections/")
    row = page.locator(f'tr[data-record="{inspection.pk}"]')
    assert "table-danger" in row.get_attribute("class") and "逾期未整改" in row.inner_text()
    page.goto(f"{live_server.url}/tasks/{office['task'].pk}/")
    assert page.locator("h1 .light-badge").get_attribute("title") == "红灯"
    assert "逾期 1 条" in page.locator("#task-records").inner_text()
    with django_capture_on_commit_callbacks(execute=True):
        scan(today)  # the morning's reminder scan chases it
    page.goto(f"{live_server.url}/notifications/")
    assert "市南区某海鲜排档" in html(page) and "逾期" in html(page)

    # closed with its proof: first without (refused), then with
    page.goto(f"{live_server.url}{inspection.get_absolute_url()}")
    page.fill("#id_rectified_on", f"{today:%Y-%m-%d}")
    page.get_by_role("button", name="确认整改完成").click()
    assert "请填写整改佐证" in html(page)
    page.fill("#id_rectified_on", f"{today:%Y-%m-%d}")
    page.fill("#id_proof", "复查合格：健康证已补办，复查记录青食安复〔2030〕12号。")
    page.get_by_role("button", name="确认整改完成").click()
    assert "整改已销号" in html(page)
    assert "已整改" in page.locator("#record-title").inner_text()
    inspection.refresh_from_db()
    assert inspection.rectified_on == today and "青食安复" in inspection.proof
    page.goto(f"{live_server.url}/tasks/{office['task'].pk}/")
    assert page.locator("h1 .light-badge").get_attribute("title") != "红灯"
