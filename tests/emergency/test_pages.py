"""The pages of emergency/ and foodsafety/: who may open what (the permission matrix of the new
URLs), department scoping of the lists, the form pages' errors, a drill's problems followed up
through the pages, and list pages whose query count does not grow with the rows."""

from datetime import date, datetime, timedelta

import pytest
from freezegun import freeze_time

from core.roles import Role
from emergency import services as emergency
from emergency.models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply
from foodsafety import services as foodsafety
from foodsafety.models import Accident, Campaign, Inspection
from tests.helpers import TZ, count_queries, make_department, make_office, make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2030, 6, 10, 10, 0, tzinfo=TZ)
PEOPLE = ["staff", "head", "outsider", "sup", "leader", "admin", "nobody", "anon"]
READ = "200 200 200 200 200 200 403 302"
DETAIL = "200 200 404 200 200 200 404 302"
ADD = "200 200 200 403 403 200 403 302"
EDIT = "200 200 404 403 403 200 404 302"
ACT = "200 200 404 403 403 200 404 302"  # a POST with nothing filled in: the form again


def records(office, n=1, department=None):
    """n of each record of both apps, for `department` (default the office's)."""
    shared = {"task": office["task"], "department": department or office["dept"]}
    made = {}
    for i in range(n):
        made["plan"] = emergency.save_record(
            EmergencyPlan(
                name=f"预案{i}", level="special", next_revision_due=date(2031, 1, 1), **shared
            )
        )
        made["drill"] = emergency.save_drill(
            Drill(
                title=f"演练{i}",
                planned_on=date(2030, 5, 1),
                held_on=date(2030, 5, 2),
                plan=made["plan"],
                **shared,
            ),
            [f"问题{i}"],
        )
        made["supply"] = emergency.save_supply(
            Supply(item=f"物资{i}", location="一号库", quantity=5, minimum=10, **shared)
        )
        made["incident"] = emergency.save_record(
            IncidentReport(title=f"事件{i}", occurred_at=NOW - timedelta(days=3), **shared)
        )
        made["campaign"] = foodsafety.save_record(
            Campaign(
                name=f"整治{i}",
                kind="five_small",
                starts_on=date(2030, 3, 1),
                ends_on=date(2030, 9, 1),
                **shared,
            )
        )
        made["inspection"] = foodsafety.save_inspection(
            Inspection(
                place=f"场所{i}",
                category="stall",
                district="laoshan",
                inspected_on=date(2030, 5, 1),
                findings="问题",
                rectify_by=date(2030, 5, 10),
                campaign=made["campaign"],
                **shared,
            )
        )
        made["accident"] = foodsafety.save_record(
            Accident(title=f"事故{i}", occurred_at=NOW - timedelta(days=9), casualties=3, **shared)
        )
    made["problem"] = made["drill"].problems.get()
    return made


@pytest.fixture
def world(db):
    with freeze_time(NOW):
        office = make_office()
        office["admin"] = make_user("admin", Role.ADMIN)
        office["nobody"] = make_user("nobody", Role.STAFF, office["dept"])
        office["nobody"].groups.clear()
        office.update(records(office))
    return office


def urls(w):
    lists = [
        "/emergency/",
        "/emergency/plans/",
        "/emergency/drills/",
        "/emergency/supplies/",
        "/emergency/incidents/",
        "/foodsafety/",
        "/foodsafety/campaigns/",
        "/foodsafety/inspections/",
        "/foodsafety/incidents/",
        "/foodsafety/inspections/tables/",
    ]
    pages = {
        "emergency/plans": w["plan"],
        "emergency/drills": w["drill"],
        "emergency/supplies": w["supply"],
        "emergency/incidents": w["incident"],
        "foodsafety/campaigns": w["campaign"],
        "foodsafety/inspections": w["inspection"],
        "foodsafety/incidents": w["accident"],
    }
    table = [("GET", url, READ) for url in lists]
    for prefix, record in pages.items():
        table += [
            ("GET", f"/{prefix}/{record.pk}/", DETAIL),
            ("GET", f"/{prefix}/new/", ADD),
            ("GET", f"/{prefix}/{record.pk}/edit/", EDIT),
            ("POST", f"/{prefix}/{record.pk}/edit/", EDIT),  # invalid: the form again
        ]
    table += [
        ("GET", "/emergency/supplies/import/", ADD),
        ("GET", "/emergency/plans/import/", ADD),
        ("GET", "/foodsafety/inspections/import/", ADD),
        ("POST", f"/emergency/drills/{w['drill'].pk}/problems/{w['problem'].pk}/close/", ACT),
        ("POST", f"/foodsafety/inspections/{w['inspection'].pk}/rectify/", ACT),
    ]
    return table


def test_the_permission_matrix_of_the_new_urls(world, client):
    wrong = []
    table = urls(world)
    assert len(table) == 43  # every new URL, each for eight kinds of visitor
    with freeze_time(NOW):
        for method, url, expected in table:
            for person, status in zip(PEOPLE, expected.split(), strict=True):
                client.logout()
                if person != "anon":
                    client.force_login(world[person])
                response = client.get(url) if method == "GET" else client.post(url, {})
                if response.status_code != int(status):
                    wrong.append((method, url, person, response.status_code, status))
                if response.status_code == 403:
                    assert (
                        "无权" in response.content.decode() or "只有" in response.content.decode()
                    )
    assert wrong == []


def test_lists_are_scoped_to_the_department(world, client):
    with freeze_time(NOW):
        other = records(world, department=world["other"])
        client.force_login(world["outsider"])
        body = client.get("/foodsafety/inspections/").content.decode()
        assert f'data-record="{other["inspection"].pk}"' in body
        assert f'data-record="{world["inspection"].pk}"' not in body
        assert 'name="department"' not in body  # no department filter for them
        client.force_login(world["sup"])
        body = client.get("/foodsafety/inspections/").content.decode()
        assert body.count("data-record=") == 2 and 'name="department"' in body
        body = client.get(
            f"/foodsafety/inspections/?department={world['other'].pk}"
        ).content.decode()
        assert body.count("data-record=") == 1
        assert "table-danger" in body  # the overdue 整改 is red


LISTS = [
    "/emergency/plans/",
    "/emergency/drills/",
    "/emergency/supplies/",
    "/emergency/incidents/",
    "/foodsafety/campaigns/",
    "/foodsafety/inspections/",
    "/foodsafety/incidents/",
    "/foodsafety/inspections/tables/?year=2030",
    "/emergency/",
    "/foodsafety/",
]


@pytest.mark.parametrize("url", LISTS)
def test_list_query_counts_do_not_grow(world, client, url, django_assert_max_num_queries):
    with freeze_time(NOW):
        client.force_login(world["sup"])
        few = count_queries(django_assert_max_num_queries, client, url, at_most=12)
        for n in range(3):
            records(world, n=4, department=make_department(f"单位{n}"))
        many = count_queries(django_assert_max_num_queries, client, url, at_most=12)
    assert many == few


def test_a_bad_form_shows_the_errors_and_saves_nothing(world, client):
    with freeze_time(NOW):
        client.force_login(world["staff"])
        response = client.post(
            "/emergency/drills/new/",
            {
                "task": world["task"].pk,
                "title": "演练",
                "department": world["dept"].pk,
                "planned_on": "2030-06-20",
                "new_problems": "没有举行就有问题",
            },
        )
        assert response.status_code == 200
        assert "演练举行后才能登记发现的问题" in response.content.decode()
        response = client.post(
            "/emergency/incidents/new/",
            {
                "task": world["task"].pk,
                "title": "x",
                "level": "4",
                "department": world["other"].pk,
                "occurred_at": "2030-06-10T09:00",
                "phoned_at": "2030-06-10T08:00",
            },
        )
        body = response.content.decode()
        assert response.status_code == 200 and "报告时间不能早于事发时间" in body
        assert "选择一个有效的选项" in body  # another department's record: not theirs to add
    assert Drill.objects.count() == 1 and IncidentReport.objects.count() == 1


def test_a_drill_with_a_problem_followed_up_through_the_pages(world, client):
    with freeze_time(NOW):
        client.force_login(world["staff"])
        response = client.post(
            "/emergency/drills/new/",
            {
                "task": world["task"].pk,
                "title": "地铁联合演练",
                "department": world["dept"].pk,
                "planned_on": "2030-06-05",
                "held_on": "2030-06-06",
                "participants": "地铁集团",
                "new_problems": "疏散指示不清\n广播覆盖不足",
                "problem_deadline": "2030-06-30",
            },
        )
        drill = Drill.objects.get(title="地铁联合演练")
        assert response.status_code == 302 and response["Location"] == drill.get_absolute_url()
        problems = list(drill.problems.order_by("pk"))
        assert [(p.description, p.deadline) for p in problems] == [
            ("疏散指示不清", date(2030, 6, 30)),
            ("广播覆盖不足", date(2030, 6, 30)),
        ]
        page = client.get(drill.get_absolute_url()).content.decode()
        assert page.count('class="mt-2 problem-close"') == 2
        url = f"/emergency/drills/{drill.pk}/problems/{problems[0].pk}/close/"
        response = client.post(url, {"done_on": "2030-06-09", "result": ""})
        assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
        response = client.post(url, {"done_on": "2030-06-09", "result": "增设疏散指示牌"})
        assert response.status_code == 302
        page = client.get(drill.get_absolute_url()).content.decode()
        assert "已整改 2030-06-09" in page and "增设疏散指示牌" in page
        assert page.count('class="mt-2 problem-close"') == 1
        history = page[page.index('id="record-history"') :]
        assert "演练问题整改" in history and "→ 增设疏散指示牌" in history
    closed = DrillProblem.objects.get(pk=problems[0].pk)
    assert (
        closed.done_on == date(2030, 6, 9) and closed.history.first().history_user == world["staff"]
    )


def test_a_new_record_starts_on_the_task_the_department_last_served(world, client):
    with freeze_time(NOW):
        client.force_login(world["staff"])
        body = client.get("/foodsafety/inspections/new/").content.decode()
        assert f'<option value="{world["task"].pk}" selected>' in body
        client.force_login(world["outsider"])  # no inspection of theirs yet: no task chosen
        body = client.get("/foodsafety/inspections/new/").content.decode()
        assert f'<option value="{world["task"].pk}" selected>' not in body


@pytest.mark.parametrize(
    "url",
    [
        "/foodsafety/inspections/?task=99999999999999999999999&department=abc&page=x",
        "/foodsafety/inspections/?task=²&rectification=zzz&district=mars",
        "/foodsafety/inspections/new/?task=99999999999999999999999",
        "/foodsafety/inspections/tables/?year=²",
        "/emergency/plans/?late=maybe&level=x&q=" + "x" * 3000,
    ],
)
def test_odd_query_strings_are_no_error(world, client, url):
    with freeze_time(NOW):
        client.force_login(world["sup"] if "new" not in url else world["staff"])
        assert client.get(url).status_code == 200
