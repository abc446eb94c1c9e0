"""目标绩效考核: a scheme with known weights on a small closed month gives the expected scores
and ranking; a criterion of another app (tests/plugin_app) is counted; the values are stored
when the month is closed, so later edits do not move the ranking; the page, its export and
who sees what; the scheme's admin form."""

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core import scoring
from supervision.forms import SchemeCriterionForm
from supervision.models import Instruction, Listing, ScoreMeasure, ScoringScheme
from supervision.scores import score_months, year_to_date
from tests.helpers import (
    JUNE,
    TZ,
    close_june,
    count_queries,
    login,
    make_department,
    make_month_office,
    workbook_of,
)
from tests.plugin_app.models import Widget

pytestmark = pytest.mark.django_db


def scheme(*extra):
    made = ScoringScheme.objects.create(year=2030, in_bulletin=True)
    items = [
        ("supervision.reports_on_time", 40, 0, {}),
        ("supervision.overdue", 20, 5, {}),
        ("supervision.milestones", 20, 0, {}),
        ("supervision.instructions", 10, 0, {"days": 7}),
        ("supervision.listings", 10, 0, {}),
        *extra,
    ]
    for order, (key, weight, per_unit, params) in enumerate(items):
        made.items.create(key=key, weight=weight, per_unit=per_unit, params=params, order=order)
    return made


@pytest.fixture
def office():
    return make_month_office()


def totals(rows):
    return [(row.rank, row.department.name, row.total) for row in rows]


def test_known_weights_give_the_expected_scores_and_ranking(office):
    made = scheme()
    close_june(office)
    (rows,) = score_months(made, [JUNE]).values()
    # 甲处: reports 2/2 on time 40, one overdue task 20-5=15, 节点 1/1 20, 批示 1/1 10,
    # no listing due 10 → 95. 乙处: reports 0/2 on time (t3 late, t4 missing) 0, nothing
    # overdue 20, 节点 0/1 0, 批示 0/1 0, listing not lifted by its deadline 0 → 20.
    assert totals(rows) == [(1, "甲处", Decimal("95.00")), (2, "乙处", Decimal("20.00"))]
    a, b = rows
    assert [got for _, got, _, _ in a.items] == [40, 15, 20, 10, 10]
    assert [detail for *_, detail in a.items] == [
        "按时报送 2/2 项",
        "逾期未完成 1 项",
        "按期完成节点 1/1 个",
        "1 件批示中 1 件在 7 天内答复",
        "不涉及",
    ]
    assert [got for _, got, _, _ in b.items] == [0, 20, 0, 0, 0]
    assert [(r.department.name, r.total) for r in year_to_date({JUNE: rows})] == [
        ("甲处", Decimal("95.00")),
        ("乙处", Decimal("20.00")),
    ]


def test_rule_parameters_change_what_is_measured(office):
    made = scheme()
    made.items.filter(key="supervision.instructions").update(params={"days": 2})
    close_june(office)
    (rows,) = score_months(made, [JUNE]).values()
    a = rows[0]
    assert a.items[3][1:] == (0, 10, "1 件批示中 0 件在 2 天内答复")  # answered in 3 days


def test_a_criterion_registered_by_another_app_is_counted(office):
    assert "plugin.widgets_due" in scoring.CRITERIA  # found by core/apps.py
    Widget.objects.create(title="甲", owner=office["head_b"], due=date(2030, 6, 10))
    Widget.objects.create(title="乙", owner=office["head_b"], due=date(2030, 6, 20))
    Widget.objects.create(title="丙", owner=office["head_b"], due=date(2030, 7, 1))  # July
    made = scheme(("plugin.widgets_due", 10, 3, {}))
    close_june(office)
    (rows,) = score_months(made, [JUNE]).values()
    # 乙处: 2 widgets due in June → 10 - 2 x 3 = 4 more; 甲处 has none → the full 10
    assert totals(rows) == [(1, "甲处", Decimal("105.00")), (2, "乙处", Decimal("24.00"))]
    assert rows[1].items[-1] == ("部件到期件数", Decimal("4.00"), 10, "到期部件 2 个")


def test_scores_are_stored_at_close_and_do_not_move_after_later_edits(office):
    made = scheme()
    close_june(office)
    before = totals(score_months(made, [JUNE])[JUNE])
    # later: the 批示 is answered, the listing lifted, the late report's time corrected
    Instruction.objects.filter(response="").update(
        response="已整改", responded_at=datetime(2030, 6, 11, tzinfo=TZ)
    )
    Listing.objects.update(lifted_at=datetime(2030, 6, 20, tzinfo=TZ))
    office["tasks"][3].delete()
    assert totals(score_months(made, [JUNE])[JUNE]) == before
    assert ScoreMeasure.objects.filter(month=JUNE, department__isnull=True).count() >= 5


def test_a_criterion_added_to_the_scheme_after_the_close_is_measured_once(office):
    close_june(office)
    ScoreMeasure.objects.filter(key="plugin.widgets_due").delete()  # as if registered later
    Widget.objects.create(title="甲", owner=office["head_a"], due=date(2030, 6, 10))
    made = scheme(("plugin.widgets_due", 10, 4, {}))
    rows = score_months(made, [JUNE])[JUNE]
    assert rows[0].items[-1][1] == Decimal("6.00")
    Widget.objects.create(title="乙", owner=office["head_a"], due=date(2030, 6, 11))
    assert score_months(made, [JUNE])[JUNE][0].items[-1][1] == Decimal("6.00")  # stored


def test_an_open_month_is_not_scored(client, office):
    scheme()
    login(client, "sup")
    response = client.get("/scores/?month=2030-06")
    assert response.status_code == 200
    assert "尚未关账" in response.content.decode()
    assert not ScoreMeasure.objects.exists()


def test_the_page_shows_monthly_year_to_date_and_trend(client, office):
    scheme()
    close_june(office)
    login(client, "leader")
    page = client.get("/scores/?month=2030-06").content.decode()
    assert 'id="monthly-scores"' in page and 'id="ytd-scores"' in page
    assert 'id="score-trend"' in page
    assert page.index('data-department="甲处"') < page.index('data-department="乙处"')
    assert "95.00" in page and "按时报送 0/2 项" in page


def test_a_head_sees_only_their_own_department(client, office):
    scheme()
    close_june(office)
    login(client, "head_b")
    page = client.get("/scores/?month=2030-06").content.decode()
    assert 'data-department="乙处"' in page
    assert 'data-department="甲处"' not in page and "95.00" not in page
    sheet = workbook_of(client.get("/scores.xlsx?month=2030-06")).active
    names = [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert names == ["乙处", "乙处"]


def test_the_ranking_downloads_as_a_ledger_styled_sheet(client, office):
    scheme()
    close_june(office)
    login(client, "sup")
    response = client.get("/scores.xlsx?month=2030-06")
    sheet = workbook_of(response).active
    assert sheet["A1"].value == "2030年6月目标绩效考核排名"
    header = [c.value for c in sheet[2]]
    assert header[:4] == ["范围", "名次", "单位", "总分"]
    assert header[4] == "月报按时报送"
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[:4] for r in rows] == [
        ("本月", 1, "甲处", 95),
        ("本月", 2, "乙处", 20),
        ("年度累计", 1, "甲处", 95),
        ("年度累计", 2, "乙处", 20),
    ]
    assert sheet.freeze_panes == "A3"


def test_the_scores_page_costs_the_same_queries_whatever_the_data_size(
    client, office, django_assert_max_num_queries
):
    scheme()
    close_june(office)
    login(client, "sup")
    url = "/scores/?month=2030-06"
    client.get(url)  # stored values in place
    few = count_queries(django_assert_max_num_queries, client, url)
    for n in range(8):
        make_department(f"丙{n}处")
        ScoreMeasure.objects.create(
            month=JUNE,
            key="supervision.reports_on_time",
            department=make_department(f"丙{n}处"),
            value=1,
            measured_at=timezone.now(),
        )
    many = count_queries(django_assert_max_num_queries, client, url)
    assert few == many
    assert client.get(url).content.decode().count("data-department=") == 20  # 10 rows x 2


@pytest.mark.parametrize(
    ("key", "params", "field", "message"),
    [
        (
            "supervision.instructions",
            {"hours": 3},
            "params",
            "该指标没有参数 hours（可用：days）。",
        ),
        ("supervision.listings", {"days": 3}, "params", "该指标没有参数 days（可用：无）。"),
        ("supervision.listings", [], "params", "规则参数应为 JSON 对象"),
        ("no.such", {}, "key", "选择一个有效的选项"),
    ],
)
def test_the_scheme_form_refuses_what_the_criterion_does_not_know(key, params, field, message):
    made = ScoringScheme.objects.create(year=2030)
    form = SchemeCriterionForm(
        {"key": key, "weight": "10", "per_unit": "0", "params": json.dumps(params), "order": 0},
        instance=made.items.model(scheme=made),
    )
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_an_admin_edits_the_scheme_in_the_browser(admin_client):
    url = "/admin/supervision/scoringscheme/add/"
    page = admin_client.get(url).content.decode()
    assert "supervision.instructions" in page and "部件到期件数" in page  # every registered one
    form = {
        "year": "2030",
        "title": "考核方案",
        "in_bulletin": "on",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-0-key": "supervision.instructions",
        "items-0-weight": "10",
        "items-0-per_unit": "0",
        "items-0-params": '{"days": 5}',
        "items-0-order": "1",
        "items-1-key": "supervision.listings",
        "items-1-weight": "10",
        "items-1-per_unit": "0",
        "items-1-params": '{"days": 5}',
        "items-1-order": "2",
    }
    refused = admin_client.post(url, form)
    assert refused.status_code == 200
    assert "该指标没有参数 days（可用：无）。" in refused.content.decode()
    assert not ScoringScheme.objects.exists()
    form["items-1-params"] = "{}"
    assert admin_client.post(url, form).status_code == 302
    made = ScoringScheme.objects.get()
    assert [(i.key, i.params) for i in made.items.all()] == [
        ("supervision.instructions", {"days": 5}),
        ("supervision.listings", {}),
    ]
    assert made.items.first().history.count() == 1
