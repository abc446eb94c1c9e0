"""Property-based runs (Hypothesis) of the forms and the importer: whatever is posted, never a
500 and never a half-saved record (issue 9, item 9). Slow: 1,000 examples each by default
(HYPOTHESIS_EXAMPLES), deselected from `make test`; run them with `make slow`."""

import io
import os
from contextlib import contextmanager
from datetime import date

import pytest
from django.db import transaction
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from core.excel import SheetError
from supervision.ledger import check_rows, read_report_sheet
from supervision.models import Listing, MonthlyReport, Plan, Task, User
from supervision.plan_parser import PlanParseError
from supervision.planio import apply_plan, read_plan
from tests.helpers import login

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", 1000))
RUNS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NOW = "2012-07-10 10:00:00+08:00"
text = st.text(max_size=300)
numberish = st.one_of(
    text,
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["", "0", "100", "101", "-1", "1e999", "５０", "50.5", "NaN", " 7 "]),
)
dateish = st.one_of(
    text,
    st.dates().map(str),
    st.sampled_from(["0001-01-01", "9999-12-31", "2012-02-30", "2012-09-30", ""]),
)


class Rollback(Exception):
    pass


@contextmanager
def undone():
    """Each example starts from the same data: what it wrote is rolled back after."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


@pytest.fixture
def finance(demo):
    return Task.objects.get(title="提升融资环境")


def test_report_form(client, finance):
    url = f"/tasks/{finance.pk}/report/2012-07/"
    login(client, "staff1")

    @RUNS
    @given(
        progress=text,
        problems=text,
        next_steps=text,
        percent=numberish,
        note=text,
        version=numberish,
        submit=st.booleans(),
    )
    def run(progress, problems, next_steps, percent, note, version, submit):
        with undone(), freeze_time(NOW):
            data = {
                "progress": progress,
                "problems": problems,
                "next_steps": next_steps,
                "percent": percent,
                "percent_note": note,
                "version": version,
                "submit" if submit else "save": "1",
            }
            response = client.post(url, data)
            assert response.status_code in (200, 302, 400, 403, 409), response.status_code
            saved = MonthlyReport.objects.filter(task=finance, month=date(2012, 7, 1)).first()
            if response.status_code == 302:
                assert saved is not None and 0 <= saved.percent <= 100
                assert saved.progress == progress.replace("\r\n", "\n") or saved.progress
            else:
                assert saved is None  # nothing half-saved

    run()


def test_listing_form(client, finance):
    url = f"/tasks/{finance.pk}/listing/"
    login(client, "supervisor1")

    @RUNS
    @given(
        level=st.one_of(text, st.sampled_from(["city", "office"])),
        reason=text,
        deadline=dateish,
        public=st.booleans(),
    )
    def run(level, reason, deadline, public):
        with undone(), freeze_time(NOW):
            data = {"level": level, "reason": reason, "deadline": deadline, "version": ""}
            if public:
                data["is_public"] = "on"
            response = client.post(url, data)
            assert response.status_code in (302, 400, 409), response.status_code
            listing = Listing.objects.filter(task=finance, lifted_at=None).first()
            if response.status_code == 302:
                assert date(2012, 7, 10) <= listing.deadline <= date(2100, 12, 31)
            else:
                assert listing is None

    run()


def test_remind_and_instruction_forms(client, finance):
    @RUNS
    @given(message=st.text(max_size=1500))
    def run(message):
        with undone(), freeze_time(NOW):
            login(client, "supervisor1")
            response = client.post(f"/tasks/{finance.pk}/remind/", {"message": message})
            assert response.status_code in (302, 400)
            assert finance.urgings.count() == (1 if response.status_code == 302 else 0)
            login(client, "leader1")
            response = client.post(f"/tasks/{finance.pk}/instructions/", {"text": message})
            assert response.status_code in (302, 400)
            assert finance.instructions.filter(text=message.strip()).count() <= 1

    run()


plan_lines = st.lists(
    st.one_of(
        text,
        st.sampled_from(["一、", "二、推进工程", "（一）", "1.", "2、做好工作（市商务局牵头）"]),
        st.builds(lambda n, t: f"{n}. {t}", st.integers(1, 30), text),
        st.builds(lambda t: f"三、{t}", text),
    ),
    max_size=40,
)


def test_plan_import(db):
    @RUNS
    @given(lines=plan_lines, year=st.integers(2000, 2100))
    def run(lines, year):
        with undone():
            source = "\n".join(lines)
            try:
                tree = read_plan(source, year)
            except PlanParseError:
                assert not Plan.objects.exists()
                return
            apply_plan(tree, source)
            count = sum(len(p["tasks"]) for p in tree["projects"])
            assert Task.objects.count() >= count

    run()


def test_report_sheet_reader(finance):
    staff = User.objects.get(username="staff1")

    @RUNS
    @given(
        cells=st.lists(
            st.lists(st.one_of(st.none(), text, st.integers(), st.floats()), max_size=8),
            max_size=20,
        )
    )
    def run(cells):
        book = Workbook()
        sheet = book.active
        sheet.append(["任务ID", "编号", "本月进展", "存在问题", "下步计划", "月末进度（%）"])
        for row in cells:
            try:
                sheet.append(row)
            except (ValueError, IllegalCharacterError):  # openpyxl refuses some values itself
                return
        out = io.BytesIO()
        book.save(out)
        out.seek(0)
        with undone():
            try:
                rows = read_report_sheet(out, date(2012, 7, 1))
            except SheetError:
                return
            check_rows(staff, date(2012, 7, 1), rows)

    run()
