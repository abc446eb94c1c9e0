"""The stored status of each task (supervision/standing.py, issue 17): stored equals fresh over
random tasks and dates, every writer refreshes the row in its own transaction, the daily job
turns a task red when its due date passes, pages fall back to the live path when the job has
not run, and no page shows a different figure once the status is materialized."""

import os
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import task_records
from core.roles import Role
from emergency.choices import PlanLevel
from emergency.models import EmergencyPlan
from supervision import procedure, reporting, rollups, services, standing
from supervision.choices import (
    Light,
    ListingLevel,
    MilestoneStatus,
    ReportStatus,
    TaskStatus,
)
from supervision.models import (
    Listing,
    Milestone,
    MonthlyReport,
    StandingRun,
    Task,
    TaskMonth,
    TaskStanding,
    Urging,
    User,
)
from supervision.tasks import refresh_status
from tests.helpers import count_queries, drain, make_department, make_task, make_user, workbook_of

pytestmark = pytest.mark.django_db
TODAY = date(2030, 6, 10)
NOW = "2030-06-10 10:00:00+08:00"
COLUMNS = [*standing.STORED, "percent_shown"]
PARTS = {"listing": True, "reports": True, "rank": True}


class Rollback(Exception):
    pass


@contextmanager
def undone():
    """Each example starts from the same (empty) data: what it wrote is rolled back after."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


def fresh(task_ids, today):
    rows = standing.live(Task.objects.filter(pk__in=task_ids), today, **PARTS).values(
        "pk", *COLUMNS
    )
    return {row.pop("pk"): row for row in rows}


def kept(task_ids):
    rows = standing.stored(Task.objects.filter(pk__in=task_ids), **PARTS).values("pk", *COLUMNS)
    return {row.pop("pk"): row for row in rows}


def every_column(task_ids):
    rows = TaskStanding.objects.filter(task__in=task_ids).order_by("task_id")
    return [
        {f.attname: getattr(row, f.attname) for f in TaskStanding._meta.fields if f.name != "id"}
        for row in rows
    ]


def stored_row(task):
    return TaskStanding.objects.get(task=task)


# --- stored == fresh ---------------------------------------------------------------------

day_in_2030 = st.integers(0, 364).map(lambda n: date(2030, 1, 1) + timedelta(days=n))
a_task = st.fixed_dictionaries(
    {
        "start": st.one_of(st.none(), day_in_2030),
        "length": st.integers(0, 300),
        "percent": st.integers(0, 100),
        "status": st.sampled_from(TaskStatus.values),
        "reports": st.lists(
            st.tuples(st.integers(1, 12), st.sampled_from(ReportStatus.values)),
            max_size=4,
            unique_by=lambda r: r[0],
        ),
        "milestones": st.lists(
            st.tuples(day_in_2030, st.sampled_from(MilestoneStatus.values), st.booleans()),
            max_size=2,
        ),
        "listing": st.one_of(st.none(), st.tuples(day_in_2030, st.booleans())),
        "urgings": st.integers(0, 2),
    }
)


def build(spec, number, supervisor):
    start = spec["start"]
    due = (start or date(2030, 1, 1)) + timedelta(days=spec["length"])
    task = make_task(
        number=number,
        start_date=start,
        due_date=due,
        percent=spec["percent"],
        status=spec["status"],
    )
    for month, status in spec["reports"]:
        MonthlyReport.objects.create(
            task=task,
            month=date(2030, month, 1),
            status=status,
            progress=f"第{month}月",
            submitted_at=timezone.now() if status != ReportStatus.DRAFT else None,
        )
    for due_on, status, done in spec["milestones"]:
        Milestone.objects.create(
            task=task,
            title="节点",
            due_date=due_on,
            status=status,
            completed_on=due_on if done else None,
        )
    if spec["listing"]:
        deadline, lifted = spec["listing"]
        Listing.objects.create(
            task=task,
            level=ListingLevel.OFFICE,
            reason="滞后",
            deadline=deadline,
            listed_by=supervisor,
            listed_at=timezone.now(),
            lifted_at=timezone.now() if lifted else None,
        )
    for _ in range(spec["urgings"]):
        Urging.objects.create(task=task, sent_by=supervisor, message="请加快")
    return task


def test_stored_equals_fresh_over_random_tasks_and_dates():
    """50 examples by default (HYPOTHESIS_EXAMPLES under `make slow` for more): a few random
    tasks with reports, 节点, listings, 催办 and every status (暂停 and 已办结 included),
    stored as of a random day, read back equal to a fresh computation of that day."""
    supervisor = make_user("sup", Role.SUPERVISOR)

    @settings(
        max_examples=int(os.environ.get("STANDING_EXAMPLES", 50)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(specs=st.lists(a_task, min_size=1, max_size=4), today=day_in_2030)
    def run(specs, today):
        with undone():
            ids = [build(spec, n, supervisor).pk for n, spec in enumerate(specs, start=1)]
            standing.refresh(ids, today)
            assert kept(ids) == fresh(ids, today)
            for row in TaskStanding.objects.filter(task__in=ids).select_related("task"):
                task = row.task
                assert row.computed_on == today
                assert row.expected_percent == standing.expected_percent(
                    task.start_date, task.due_date, today
                )
                late = task.status not in [*standing.DONE, *standing.STOPPED]
                assert row.overdue_days == (max(0, (today - task.due_date).days) if late else 0)
            # the daily job writes the same rows set-based (its SQL of expected_percent and
            # overdue_days included)
            written = every_column(ids)
            TaskStanding.objects.filter(task__in=ids).delete()
            assert standing.refresh_all(today, mark=False) == len(ids)
            assert every_column(ids) == written

    run()


@pytest.mark.slow
def test_stored_equals_fresh_many_examples(monkeypatch):
    monkeypatch.setenv("STANDING_EXAMPLES", os.environ.get("HYPOTHESIS_EXAMPLES", "1000"))
    test_stored_equals_fresh_over_random_tasks_and_dates()


def test_expected_percent_and_overdue_days():
    assert standing.expected_percent(date(2030, 1, 1), date(2030, 1, 11), date(2030, 1, 6)) == 50
    assert standing.expected_percent(date(2030, 1, 1), date(2030, 1, 11), date(2031, 1, 1)) == 100
    assert standing.expected_percent(date(2030, 1, 1), date(2030, 1, 11), date(2029, 1, 1)) == 0
    assert standing.expected_percent(None, date(2030, 1, 11), TODAY) is None
    assert standing.overdue_days(TaskStatus.IN_PROGRESS, TODAY - timedelta(days=3), TODAY) == 3
    assert standing.overdue_days(TaskStatus.CLOSED, TODAY - timedelta(days=3), TODAY) == 0
    assert standing.overdue_days(TaskStatus.SUSPENDED, TODAY - timedelta(days=3), TODAY) == 0


# --- every writer refreshes the row in its transaction -----------------------------------


@pytest.fixture
def team(db):
    dept = make_department("金融工作办公室")
    users = {
        "staff": make_user("staff", Role.STAFF, dept),
        "head": make_user("head", Role.HEAD, dept),
        "sup": make_user("sup", Role.SUPERVISOR),
    }
    with freeze_time(NOW):
        task = make_task(
            1,
            title="提升融资环境",
            lead_department=dept,
            start_date=date(2030, 1, 1),
            due_date=date(2030, 12, 31),
            percent=50,
            status=TaskStatus.IN_PROGRESS,
        )
        MonthlyReport.objects.create(
            task=task,
            month=date(2030, 5, 1),
            status=ReportStatus.APPROVED,
            percent=50,
            progress="五月进展",
            submitted_at=timezone.now(),
        )
        standing.refresh_all()
    return {"dept": dept, "task": task, **users}


@contextmanager
def in_one_transaction():
    """The writer runs inside an outer transaction; the row must have changed before it ends
    (no on_commit callback, no daily job)."""
    with freeze_time(NOW), transaction.atomic():
        yield


def test_writer_report_submitted_returned_approved(team):
    task, staff, head = team["task"], team["staff"], team["head"]
    assert stored_row(task).last_report_month == date(2030, 5, 1)
    with in_one_transaction():
        report = reporting.save_report(
            MonthlyReport(task=task, month=date(2030, 6, 1)),
            user=staff,
            data={"progress": "六月进展", "problems": "无", "next_steps": "继续", "percent": 60},
            version=0,
            submit=True,
        )
        row = stored_row(task)
        assert (row.last_report_month, row.last_report_status) == (
            date(2030, 6, 1),
            ReportStatus.SUBMITTED,
        )
        assert row.last_progress == "六月进展"
    with in_one_transaction():
        reporting.return_report(report, user=head, reason="请补充")
        assert stored_row(task).last_report_month == date(2030, 5, 1)
    with in_one_transaction():
        report.refresh_from_db()
        report = reporting.save_report(
            report, user=staff, data={"problems": "已补充"}, version=report.version, submit=True
        )
        assert stored_row(task).last_report_status == ReportStatus.SUBMITTED
    with in_one_transaction():
        reporting.approve_report(report, user=head)
        assert stored_row(task).last_report_status == ReportStatus.APPROVED


def test_a_draft_saved_moves_nothing_derived(team):
    """A draft (and a returned report saved again) counts in no stored figure, so saving one
    refreshes nothing: what is stored afterwards is what a full recomputation writes."""
    task, staff, head = team["task"], team["staff"], team["head"]

    def derived():
        months = TaskMonth.objects.filter(task=task).order_by("month")
        return every_column([task.pk]), list(months.values())

    def recomputed():
        standing.refresh([task.pk])
        rollups.refresh_months([task.pk])
        return derived()

    with freeze_time(NOW):
        rollups.refresh_all()
        draft = reporting.save_report(
            MonthlyReport(task=task, month=date(2030, 6, 1)),
            user=staff,
            data={"progress": "草稿", "problems": "", "next_steps": "", "percent": 100},
            version=0,
        )
        saved = derived()
        assert saved == recomputed()
        submitted = reporting.save_report(
            draft, user=staff, data={}, version=draft.version, submit=True
        )
        assert derived() != saved  # a submission moves them
        reporting.return_report(submitted, user=head, reason="请补充")
        submitted.refresh_from_db()
        reporting.save_report(
            submitted, user=staff, data={"percent": 90}, version=submitted.version
        )
        saved = derived()
        assert saved == recomputed()


def test_writer_listing_and_lifting(team):
    task, sup = team["task"], team["sup"]
    data = {"level": ListingLevel.CITY, "reason": "滞后", "deadline": TODAY - timedelta(1)}
    with in_one_transaction():
        listing = services.save_listing(
            task, user=sup, data={**data, "is_public": False}, version=""
        )
        row = stored_row(task)
        assert (row.listed, row.listing_level, row.light) == (True, ListingLevel.CITY, Light.RED)
    with in_one_transaction():
        services.lift_listing(listing, sup, "已整改")
        row = stored_row(task)
        assert (row.listed, row.light) == (False, Light.GREEN)


def test_writer_urging(team, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with in_one_transaction():
        services.urge(team["task"], user=team["sup"], message="请加快")
        assert stored_row(team["task"]).urging_count == 1


def test_writer_milestones(team):
    task, sup = team["task"], team["sup"]
    milestone = Milestone.objects.create(
        task=task, title="节点", due_date=TODAY - timedelta(days=2), status=MilestoneStatus.PROPOSED
    )
    with in_one_transaction():
        services.decide_milestones(task, [milestone], user=sup, approve=True)
        assert stored_row(task).light == Light.YELLOW  # an approved 节点 past its date
    with in_one_transaction():
        milestone.refresh_from_db()
        services.complete_milestone(milestone, user=sup, completed_on=TODAY, note="完成")
        assert stored_row(task).light == Light.GREEN


def test_writer_closing_and_state(team, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    task, sup, staff = team["task"], team["sup"], team["staff"]
    with in_one_transaction():
        procedure.set_state(task, user=sup, status=TaskStatus.SUSPENDED, reason="暂缓")
        assert stored_row(task).light == Light.GREY
    with in_one_transaction():
        procedure.set_state(task, user=sup, status=TaskStatus.IN_PROGRESS, reason="恢复")
        assert stored_row(task).light == Light.GREEN
    with in_one_transaction():
        closure = services.apply_close(task, user=staff, summary="已完成")
        services.decide_close(closure, user=sup, confirm=True)
        assert stored_row(task).light == Light.GREY
    with in_one_transaction():
        services.set_closed(Task.objects.get(pk=task.pk), closed=False)
        assert stored_row(task).light == Light.GREEN


def test_writer_item_created_and_carried_over(team, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    data = {
        "source": "other",
        "title": "新事项",
        "text": "原文",
        "lead_department": team["dept"],
        "due_date": TODAY - timedelta(days=1),
        "start_date": date(2030, 1, 1),
    }
    with in_one_transaction():
        item = services.create_item(user=team["sup"], data=data, tell_lead=False)
        assert stored_row(item).light == Light.RED
        assert stored_row(item).overdue_days == 1
    with in_one_transaction():
        new = procedure.carry_over(item, user=team["sup"], reason="跨年")
        assert stored_row(item).light == Light.GREY
        assert stored_row(new).computed_on == TODAY


def test_writer_other_apps_record(team):
    """A late record of another app (core/task_records.py) turns the stored light red on
    save, through the registration hook: core names no app."""
    task = team["task"]
    with in_one_transaction():
        plan = EmergencyPlan.objects.create(
            task=task,
            name="防汛应急预案",
            level=PlanLevel.values[0],
            department=team["dept"],
            next_revision_due=TODAY - timedelta(days=1),
        )
        assert stored_row(task).light == Light.RED
        assert stored_row(task).records == {"emergency.plans": [1, 1]}
        [summary] = standing.records([task.pk])[task.pk]
        assert (summary.source.label, summary.total, summary.late) == ("应急预案", 1, 1)
    with in_one_transaction():
        plan.next_revision_due = TODAY + timedelta(days=100)
        plan.save()
        assert stored_row(task).light == Light.GREEN


# --- the daily job, the fallback ---------------------------------------------------------


def test_daily_job_turns_a_task_red_when_its_due_date_passes(team):
    task = team["task"]
    Task.objects.filter(pk=task.pk).update(due_date=date(2030, 6, 30), percent=95)
    with freeze_time("2030-06-30 23:00:00+08:00"):
        standing.refresh([task.pk])
        assert stored_row(task).light == Light.YELLOW  # due within 15 days
    with freeze_time("2030-07-01 00:05:00+08:00"):
        assert not standing.is_current()
        refresh_status.delay()
        assert standing.is_current()
        row = stored_row(task)
        assert (row.light, row.overdue_days, row.computed_on) == (Light.RED, 1, date(2030, 7, 1))


def test_refresh_status_command(team, capsys):
    call_command("refresh_status", "--day", "2031-01-05")
    assert StandingRun.objects.filter(day=date(2031, 1, 5), tasks=1).exists()
    assert stored_row(team["task"]).overdue_days == 5
    assert "任务状态已计算：1 项" in capsys.readouterr().out


def test_the_beat_schedule_has_the_job():
    job = PeriodicTask.objects.get(task="supervision.tasks.refresh_status")
    assert (job.crontab.hour, job.crontab.minute) == ("0", "5")


def test_pages_compute_live_when_the_job_has_not_run(team, client):
    """A stale stored row is ignored while today is not marked current."""
    task = team["task"]
    TaskStanding.objects.filter(task=task).update(light=Light.RED, light_rank=0)
    with freeze_time("2030-06-11 10:00:00+08:00"):  # the job ran on the 10th only
        client.force_login(team["sup"])
        assert not standing.is_current()
        page = client.get("/tasks/?light=red").content.decode()
        assert "提升融资环境" not in page
        page = client.get("/tasks/?light=green").content.decode()
        assert "提升融资环境" in page
    with freeze_time(NOW):  # current: the stored (here: tampered) row is what shows
        client.force_login(team["sup"])
        assert "提升融资环境" in client.get("/tasks/?light=red").content.decode()


def test_a_task_inserted_behind_the_services_shows_its_light(team, client):
    """While today is current, a task created without the services (a script, the shell)
    has no stored row: it gets one before the next page reads the rows, so its row on the
    list has its light and the light filter finds it."""
    with freeze_time(NOW):
        client.force_login(team["sup"])
        drain(client.get("/tasks/"))  # today is current and remembered as such
        task = make_task(
            2,
            title="脚本新增任务",
            lead_department=team["dept"],
            start_date=date(2030, 1, 1),
            due_date=TODAY - timedelta(days=2),
        )
        assert not TaskStanding.objects.filter(task=task).exists()
        page = client.get("/tasks/?light=red").content.decode()
        assert standing.is_current()
    assert "脚本新增任务" in page
    row = page[page.index("脚本新增任务") :]
    assert 'title="红灯"' in row[: row.index("</tr>")]
    stored = stored_row(task)
    assert (stored.light, stored.overdue_days, stored.computed_on) == (Light.RED, 2, TODAY)


def test_fill_missing_computes_only_the_missing_rows(team):
    task = team["task"]
    TaskStanding.objects.filter(task=task).update(light=Light.YELLOW)
    other = Task.objects.bulk_create(
        [Task(project=task.project, number=3, code="1.3", path="001.003", year=2030, title="补")]
    )[0]
    assert standing.fill_missing(TODAY) == 1
    assert stored_row(task).light == Light.YELLOW  # an existing row is left alone
    assert stored_row(other).computed_on == TODAY
    assert standing.fill_missing(TODAY) == 0


# --- figures unchanged -------------------------------------------------------------------


def _table(html, table_id):
    start = html.index(f'id="{table_id}"')
    return html[start : html.index("</table>", start)]


@pytest.mark.parametrize(
    "query",
    ["", "?sort=light", "?light=yellow", "?listed=yes", "?q=进展", "?sort=-percent&page=2"],
)
def test_figures_unchanged_once_materialized(demo, client, query):
    """The task list, the ledger and ledger.xlsx on the demo data: rendered live, then with
    the status stored, on the same data and day — the same rows, the same figures."""
    client.force_login(User.objects.get(username="supervisor1"))
    pages = ["/tasks/" + query, "/supervision/ledger/" + query]

    def render():
        tables = [
            _table(client.get(url).content.decode(), tid)
            for url, tid in zip(pages, ["task-table", "ledger-table"], strict=True)
        ]
        sheet = workbook_of(client.get("/supervision/ledger.xlsx" + query)).active
        return tables, [[cell.value for cell in row] for row in sheet.iter_rows()]

    assert not standing.is_current()
    before = render()
    standing.refresh_all()
    assert standing.is_current()
    after = render()
    assert after == before
    ids = list(Task.objects.values_list("pk", flat=True))
    assert standing.records(ids) == task_records.summaries(ids, timezone.localdate())
    assert "<tr>" in before[0][0]


def test_query_counts_equal_on_the_stored_path(demo, client, django_assert_max_num_queries):
    client.force_login(User.objects.get(username="supervisor1"))
    drain(client.get("/tasks/"))
    live_count = count_queries(django_assert_max_num_queries, client, "/tasks/", at_most=12)
    standing.refresh_all()
    drain(client.get("/tasks/"))
    assert count_queries(django_assert_max_num_queries, client, "/tasks/", at_most=12) <= live_count


def test_writer_admin_edit_of_a_task(team, admin_client):
    """The admin is a writer too: moving the due date into the past turns the row red."""
    task = team["task"]
    data = {
        "source": "plan",
        "project": task.project_id,
        "number": task.number,
        "title": task.title,
        "text": task.text,
        "status": "in_progress",
        "percent": 50,
        "rhythm": "",
        "start_date": "2030-01-01",
        "due_date": "2030-06-01",
    }
    for prefix in ("measures", "milestones", "indicators"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    with freeze_time(NOW):
        admin_client.force_login(User.objects.filter(is_superuser=True).get())
        response = admin_client.post(f"/admin/supervision/task/{task.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = stored_row(task)
    assert (row.light, row.overdue_days) == (Light.RED, 9)


def test_task_pages_unchanged_once_materialized(demo, client):
    """The task page (light, 挂牌, the other apps' record counts, the sub-tasks' lights) of
    tasks with other apps' records, and of a listed one, before and after materializing."""
    client.force_login(User.objects.get(username="supervisor1"))
    ids = list(task_records.summaries(Task.objects.values("pk"), timezone.localdate()))[:3]
    ids += list(Listing.objects.filter(lifted_at=None).values_list("task", flat=True)[:1])
    ids += list(Task.objects.filter(parent__isnull=False).values_list("parent", flat=True)[:1])

    def render():
        pages = [client.get(f"/tasks/{pk}/").content.decode() for pk in ids]
        return [re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page) for page in pages]

    before = render()
    standing.refresh_all()
    assert render() == before
    assert any("light-badge" in page for page in before)
