"""Issue 11, "the figures agree wherever they appear": the drill-down from the dashboard
computes lights as of the dashboard's month; the on-time trend of closed months; /public/
carries a percent forward and lists the public 挂牌督办; the demo's default month; the
ledger export has every column of the page."""

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.http import QueryDict
from freezegun import freeze_time

from core.roles import Role
from supervision.choices import Light, ListingLevel, ReportStatus
from supervision.dashboard import close_month, figures_for
from supervision.demo import load_demo
from supervision.filters import filter_tasks
from supervision.models import Indicator, Listing, MonthClose, MonthlyReport, Plan, Task
from tests.helpers import count_queries, login, make_department, make_task, make_user, workbook_of

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
TODAY = "2026-11-30 10:00:00+08:00"  # long after the 2012 demo: today's lights are all red


def lights_of(query):
    return filter_tasks(QueryDict(query)).qs


# --- 7. the drill-down shows what the dashboard counted ---------------------------------------


@freeze_time(TODAY)
@pytest.mark.parametrize("month", ["2012-03", "2012-06", "2012-12"])
def test_the_task_list_counts_each_light_as_the_dashboard_did(demo, month):
    plan = Plan.objects.get(year=2012)
    figures, _ = figures_for(plan, date.fromisoformat(f"{month}-01"), {})
    headline = figures["headline"]
    for light in (Light.GREEN, Light.YELLOW, Light.RED):
        drilled = lights_of(f"year=2012&as_of={month}&light={light}").count()
        assert drilled == headline[light], (month, light)
    assert lights_of(f"year=2012&as_of={month}&listed=yes").count() == headline["listed"]
    # without the month, the lights are today's: the whole 2012 plan is overdue
    assert lights_of("year=2012&light=yellow").count() == 0


@freeze_time(TODAY)
def test_dashboard_links_carry_its_month_and_the_list_says_so(client, demo):
    login(client, "leader1")
    body = client.get("/dashboard/?month=2012-12").content.decode()
    yellow = int(re.search(r'data-figure="yellow">(\d+)<', body).group(1))
    assert yellow > 0
    assert "/tasks/?year=2012&amp;as_of=2012-12&amp;light=yellow" in body or (
        "/tasks/?year=2012&as_of=2012-12&light=yellow" in body
    )
    page = client.get("/tasks/?year=2012&as_of=2012-12&light=yellow")
    text = page.content.decode()
    assert page.status_code == 200
    assert "任务 · 2012年12月灯号" in text and 'id="as-of-note"' in text
    assert "截至 2012-12-31" in text
    assert text.count("light-badge") == yellow  # one badge per row, all of them yellow
    assert 'name="as_of" value="2012-12"' in text  # kept when the filters change
    today = client.get("/tasks/?year=2012&light=yellow").content.decode()
    assert 'id="as-of-note"' not in today and "没有符合条件的任务" in today


@freeze_time(TODAY)
def test_a_bad_as_of_is_a_message_not_an_error(client, demo):
    login(client, "supervisor1")
    response = client.get("/tasks/?as_of=2012-13")
    assert response.status_code == 200
    assert "月份不正确" in response.content.decode()
    assert client.get("/supervision/ledger/?as_of=x").status_code == 200


@freeze_time(TODAY)
def test_task_list_as_of_a_month_has_a_constant_query_count(
    client, demo, django_assert_max_num_queries
):
    login(client, "supervisor1")
    url = "/tasks/?year=2012&as_of=2012-06&sort=light"
    small = count_queries(django_assert_max_num_queries, client, url, at_most=12)
    project = Task.objects.filter(project__plan__year=2012).first().project
    for n in range(100, 160):
        task = Task.objects.create(
            project=project, number=n, title=f"新任务{n}", text="x", due_date=date(2012, 9, 30)
        )
        MonthlyReport.objects.create(
            task=task, month=date(2012, 5, 1), percent=40, status=ReportStatus.APPROVED
        )
    assert count_queries(django_assert_max_num_queries, client, url, at_most=12) == small


# --- 8. the dashboard's and the public page's bugs ---------------------------------------------


@freeze_time(TODAY)
def test_on_time_share_of_closed_months_is_shown(client, demo):
    plan = Plan.objects.get(year=2012)
    closed = {c.month: c for c in MonthClose.objects.filter(plan=plan, is_closed=True)}
    assert len(closed) == 5  # January to May
    figures, _ = figures_for(plan, date(2012, 6, 1), closed)
    assert all(p["on_time_share"] is not None for p in figures["trend"])
    login(client, "leader1")
    body = client.get("/dashboard/?month=2012-06").content.decode()
    row = re.search(r"按时报送率（%）</th>(.*?)</tr>", body).group(1)
    assert "—" not in row


def test_a_month_closed_before_its_deadline_gets_its_on_time_share_later(office):
    task = office["task"]
    plan = task.project.plan
    month = date(plan.year, 3, 1)
    MonthlyReport.objects.create(
        task=task,
        month=month,
        percent=30,
        status=ReportStatus.SUBMITTED,
        submitted_at=datetime(plan.year, 4, 2, 9, tzinfo=TZ),
    )
    with freeze_time(f"{plan.year}-04-03 10:00:00+08:00"):  # before the 5th
        close = close_month(plan, month, office["sup"])
    assert close.data["trend"][-1]["on_time_share"] is None  # not known yet
    with freeze_time(f"{plan.year}-04-20 10:00:00+08:00"):
        figures, snapshot = figures_for(plan, month, {month: close})
        assert snapshot == close
        assert figures["trend"][-1]["on_time_share"] == 100.0
        later, _ = figures_for(plan, date(plan.year, 4, 1), {month: close})
        assert later["trend"][2]["on_time_share"] == 100.0


@freeze_time(TODAY)
def test_by_department_table_is_whole_and_yellow_is_readable(client, demo):
    login(client, "leader1")
    body = client.get("/dashboard/?month=2012-06").content.decode()
    box = body[: body.index('id="by-department"')].rsplit("<div", 1)[1]
    assert "max-height" not in box and "overflow" not in box  # no scroll box cutting rows
    figure = re.search(r'<div class="([^"]*)" data-figure="yellow">', body).group(1).split()
    assert "text-warning" not in figure and "text-warning-emphasis" in figure
    css = (
        Path(settings.BASE_DIR) / "static/vendor/bootstrap-5.3.9/css/bootstrap.min.css"
    ).read_text()
    colour = re.search(r"--bs-warning-text-emphasis:(#[0-9a-f]{6})", css).group(1)
    assert contrast(colour, "#ffffff") >= 4.5  # WCAG AA for normal text
    assert contrast("#ffc107", "#ffffff") < 4.5  # what it was


def contrast(foreground, background):
    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted([luminance(foreground), luminance(background)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _public_plan():
    Plan.objects.create(year=2030, title="2030年工作计划")
    department = make_department("公开处")
    reported = make_task(1, title="按月报送的实事", lead_department=department, is_public=True)
    silent = make_task(2, title="五月未报的实事", lead_department=department, is_public=True)
    never = make_task(3, title="从未报送的实事", lead_department=department, is_public=True)
    for month, percent in ((3, 30), (4, 40), (5, 50)):
        MonthlyReport.objects.create(
            task=reported,
            month=date(2030, month, 1),
            percent=percent,
            progress=f"{month}月进展",
            status=ReportStatus.APPROVED,
        )
    MonthlyReport.objects.create(
        task=silent, month=date(2030, 4, 1), percent=45, progress="四月进展", status="approved"
    )
    return reported.project.plan, {"reported": reported, "silent": silent, "never": never}


@freeze_time("2030-06-10 10:00:00+08:00")
def test_public_page_carries_the_last_percent_forward_and_marks_unreported(client):
    plan, tasks = _public_plan()
    supervisor = make_user("sup", Role.SUPERVISOR, make_department("督查处"))
    close_month(plan, date(2030, 5, 1), supervisor)
    body = client.get("/public/2030-05/").content.decode()
    cards = {
        name: body[body.index(task.title) :].split("</article>", 1)[0]
        for name, task in tasks.items()
    }
    assert "50%" in cards["reported"] and "data-unreported" not in cards["reported"]
    assert "45%" in cards["silent"] and "本月未报" in cards["silent"]  # carried from April
    assert "沿用 2030-04 月报告的进度" in cards["silent"]
    assert "0%" not in cards["never"] and "暂无审核通过的进展报告" in cards["never"]
    assert "本月未报" in cards["never"]


# --- 9. a public listing is public -----------------------------------------------------------


@freeze_time("2030-06-10 10:00:00+08:00")
def test_public_page_lists_public_listings_with_level_deadline_and_state(client):
    plan, tasks = _public_plan()
    supervisor = make_user("sup", Role.SUPERVISOR, make_department("督查处"))
    hidden = make_task(4, title="内部挂牌事项")
    at = datetime(2030, 3, 1, 9, tzinfo=TZ)
    Listing.objects.create(
        task=tasks["silent"],
        level=ListingLevel.CITY,
        reason="内部原因不公开",
        deadline=date(2030, 5, 20),
        is_public=True,
        listed_by=supervisor,
        listed_at=at,
    )
    Listing.objects.create(
        task=tasks["reported"],
        level=ListingLevel.OFFICE,
        reason="x",
        deadline=date(2030, 9, 30),
        is_public=True,
        listed_by=supervisor,
        listed_at=at,
    )
    Listing.objects.create(
        task=hidden,
        level=ListingLevel.OFFICE,
        reason="x",
        deadline=date(2030, 9, 30),
        is_public=False,
        listed_by=supervisor,
        listed_at=at,
    )
    close_month(plan, date(2030, 5, 1), supervisor)
    body = client.get("/public/2030-05/").content.decode()
    section = body[body.index('id="public-listings"') :].split("</section>", 1)[0]
    assert "公开挂牌督办事项" in section
    late = section[section.index(tasks["silent"].title) :].split("</tr>", 1)[0]
    assert "市政府挂牌" in late or ListingLevel.CITY.label in late
    assert "2030-05-20" in late and "已超期" in late
    on_time = section[section.index(tasks["reported"].title) :].split("</tr>", 1)[0]
    assert ListingLevel.OFFICE.label in on_time and "2030-09-30" in on_time
    assert "督办中" in on_time
    assert hidden.title not in body and "内部原因不公开" not in body and "sup" not in section


# --- 10. the dashboard opens on the latest month that has data --------------------------------


@freeze_time(TODAY)
def test_dashboard_opens_on_the_last_reported_month(client, demo):
    login(client, "leader1")
    body = client.get("/dashboard/").content.decode()
    assert "2012年6月督查看板" in body  # not December 2012, which has no reports


@freeze_time("2026-11-20 09:00:00+08:00")
def test_dashboard_of_a_current_year_demo_opens_on_last_month(client):
    load_demo(year=2026, out=lambda *a: None)
    login(client, "leader1")
    body = client.get("/dashboard/").content.decode()
    assert "2026年10月督查看板" in body
    for light in ("green", "yellow", "red"):
        assert int(re.search(rf'data-figure="{light}">(\d+)<', body).group(1)) > 0


# --- 17. the Excel ledger matches the page --------------------------------------------------


@freeze_time("2012-07-10 09:00:00")
def test_ledger_xlsx_has_every_column_of_the_page(client, demo):
    login(client, "supervisor1")
    page = client.get("/supervision/ledger/").content.decode()
    table = page[page.index('id="ledger-table"') :].split("</thead>", 1)[0]
    shown = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>.*?</th>", table)]
    sheet = workbook_of(client.get("/supervision/ledger.xlsx")).active
    header = [c.value for c in sheet[2]]
    aliases = {"编号 / 任务": ["编号", "任务"], "进度": ["进度（%）"]}
    for title in shown:
        if title == "选择":  # the checkboxes of 批量催办, not data
            continue
        for column in aliases.get(title, [title]):
            assert column in header, column
    task = Task.objects.filter(indicators__isnull=False).first()
    indicator = Indicator.objects.filter(task=task).first()
    row = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0] == task.pk)
    values = row[header.index("量化指标（最新值）")]
    assert indicator.name in values
    assert f"{indicator.actual.normalize():f}{indicator.unit}" in values
    assert row[header.index("自动提醒次数")] == 0
    assert indicator.name in page  # the page shows the same values


@freeze_time("2030-08-10 10:00:00+08:00")
def test_a_listing_lifted_since_counts_as_of_the_month_it_was_active(client, office):
    task = office["task"]
    Listing.objects.create(
        task=task,
        level=ListingLevel.CITY,
        reason="滞后",
        deadline=date(2030, 9, 30),
        listed_by=office["sup"],
        listed_at=datetime(2030, 3, 1, 9, tzinfo=TZ),
        lifted_at=datetime(2030, 7, 1, 9, tzinfo=TZ),
        lifted_by=office["sup"],
    )
    client.force_login(office["leader"])
    then = client.get("/tasks/?year=2030&as_of=2030-05&listed=yes").content.decode()
    assert task.title in then and ListingLevel.CITY.label in then
    now = client.get("/tasks/?year=2030&listed=yes").content.decode()
    assert task.title not in now


def test_no_template_writes_text_in_bootstraps_yellow():
    """text-warning (#ffc107 on white, 1.6:1) is unreadable; text-warning-emphasis reads."""
    offenders = [
        str(path)
        for path in (Path(settings.BASE_DIR) / "templates").glob("**/*.html")
        if re.search(r"\btext-warning\b(?!-)", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
