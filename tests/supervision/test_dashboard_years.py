"""Issue 11 (19): the dashboard switches years with a selector and shows this year against
last year where the office has both plans."""

import re
from datetime import date

import pytest
from django.core.cache import cache
from freezegun import freeze_time

from supervision.dashboard import year_trend
from supervision.models import Plan
from tests import demo_snapshot
from tests.helpers import count_queries, login

pytestmark = pytest.mark.django_db
TODAY = "2026-11-30 10:00:00+08:00"


@pytest.fixture
def two_years(db):
    demo_snapshot.demo(2012)
    demo_snapshot.demo(2013)
    return Plan.objects.get(year=2012), Plan.objects.get(year=2013)


def cells(body, marker):
    row = re.search(rf"<tr[^>]*{marker}[^>]*>(.*?)</tr>", body, re.S).group(1)
    return [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


@freeze_time(TODAY)
def test_year_selector_switches_to_that_years_latest_month(client, two_years):
    login(client, "leader1")
    body = client.get("/dashboard/").content.decode()
    assert "2013年6月督查看板" in body  # the newest plan's last month with reports
    select = body[body.index('id="year-select"') :].split("</select>", 1)[0]
    assert '<option value="2013" selected>2013年</option>' in select
    assert '<option value="2012">2012年</option>' in select
    body = client.get("/dashboard/?year=2012").content.decode()
    assert "2012年6月督查看板" in body
    response = client.get("/dashboard/?year=1999")
    assert response.status_code == 400 and "没有 1999 年" in response.content.decode()


@freeze_time(TODAY)
def test_this_year_is_shown_against_last_year(client, two_years, django_assert_max_num_queries):
    last, this = two_years
    login(client, "leader1")
    body = client.get("/dashboard/?month=2013-06").content.decode()
    before = year_trend(last, [p.replace(year=2012) for p in _months(6)])
    assert cells(body, 'data-last-year="avg_percent"') == [str(p["avg_percent"]) for p in before]
    assert cells(body, 'data-last-year="red"') == [str(p["red"]) for p in before]
    assert "与上年同期（2012年6月）比" in body
    assert 'id="last-year-data"' in body
    # the first year has nothing to compare with
    first = client.get("/dashboard/?month=2012-06").content.decode()
    assert "data-last-year" not in first and "year-compare" not in first
    # 3 queries more than a year alone (test_dashboard.py pins that at 21, with the other
    # apps' cards and the ladder's), and the same whatever the months
    cache.clear()
    assert count_queries(django_assert_max_num_queries, client, "/dashboard/?month=2013-06", 24)


def _months(n):
    return [date(2012, m, 1) for m in range(1, n + 1)]
