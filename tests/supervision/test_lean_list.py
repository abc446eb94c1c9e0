"""The task list written lean (issue 17): rows as plain values, the filter form's widgets and
fields written in Python, its choices cached until a task, project, plan or department
changes, the navigation's links rendered once per kind of user. Same rows, same HTML."""

import random
import re
from datetime import date

import pytest
from django import forms
from django.core.cache import cache
from django.http import QueryDict
from django.template import engines
from freezegun import freeze_time

from core.models import Department
from supervision.filters import (
    CHOICES_KEY,
    QuickInput,
    filter_tasks,
    list_page,
    rows_page,
)
from supervision.models import MonthlyReport, Project, Task
from tests.helpers import count_queries, drain, make_department, make_task, make_user
from tests.supervision.test_fast_paths import PARAMS, YEAR, random_plan

pytestmark = pytest.mark.django_db


def row_of(task):
    """What a row of the list shows, from a `rows_page` task."""
    return {
        "pk": task.pk,
        "code": task.code,
        "title": task.title,
        "source": task.source,
        "project_id": task.project_id,
        "project__title": task.project.title if task.project_id else None,
        "lead_department__name": task.lead_department.name if task.lead_department else None,
        "due_date": task.due_date,
        "percent_shown": task.percent_shown,
        "light": task.light,
        "status": task.status,
        "listed": task.listed,
        "listing_level": task.listing_level,
        "listing_deadline": task.listing_deadline,
        "last_report_month": task.last_report_month,
    }


@pytest.mark.parametrize("seed", [5, 6])
def test_list_page_rows_are_those_of_rows_page(seed):
    random_plan(seed, tasks=24)
    for today in (date(YEAR, 3, 20), date(YEAR + 1, 2, 1)):
        for params in [*PARAMS, f"as_of={YEAR}-06&sort=light"]:
            filterset = filter_tasks(QueryDict(params), today)
            for number in (1, 2, 3):
                lean = list_page(filterset, number, 9, today)
                full = rows_page(filterset, number, 9, today)
                assert lean.object_list == [row_of(t) for t in full.object_list], (today, params)
                assert lean.paginator.count == full.paginator.count


@pytest.mark.parametrize("value", [None, "", "2030-06", '"><script>'])
def test_quick_input_writes_what_django_writes(value):
    attrs = {"placeholder": "年-月 & <月>", "class": "form-control", "maxlength": "100"}
    for input_type in ("text", "month"):
        django_html = forms.TextInput(attrs={**attrs, "type": input_type}).render("m", value)
        quick = QuickInput(attrs=dict(attrs))
        quick.input_type = input_type
        assert quick.render("m", value) == django_html


def django_fields(form):
    """The filter form's fields as the template loop wrote them before (issue 17)."""
    template = engines["django"].from_string(
        "{% for field in form %}\n"
        '  <div class="col-12">\n'
        '    <label class="form-label small mb-0" for="{{ field.id_for_label }}">'
        "{{ field.label }}</label>\n"
        "    {{ field }}\n"
        '    {% for error in field.errors %}<div class="invalid-feedback d-block">{{ error }}'
        "</div>{% endfor %}\n"
        "  </div>\n"
        "  {% endfor %}"
    )
    return template.render({"form": form})


@pytest.mark.parametrize(
    "params",
    ["", "month=2030-13&light=purple&q=<b>&sort=light", "year=all&department=999", "as_of=x"],
)
def test_filter_fields_write_what_the_template_loop_wrote(params):
    make_task(1, YEAR, lead_department=make_department("甲 & 乙"))
    make_department("<丙>")
    filterset = filter_tasks(QueryDict(params))
    filterset.qs  # noqa: B018 - validates, as the view does
    template = engines["django"].from_string("{% load supervision_tags %}{% filter_fields f %}")
    assert template.render({"f": filterset.form}) == django_fields(filterset.form)


def test_the_filter_choices_follow_tasks_projects_and_departments(client):
    make_task(1, YEAR)
    client.force_login(make_user("sup", "supervisor"))
    body = client.get("/tasks/").content.decode()
    assert cache.get(CHOICES_KEY) is not None
    assert f'<option value="{YEAR}" selected>{YEAR}年</option>' in body
    assert "新建单位" not in body
    make_department("新建单位")
    Project.objects.create(plan=Project.objects.get().plan, number=2, title="新工程")
    make_task(1, YEAR + 1)
    body = client.get("/tasks/").content.decode()
    assert "新建单位" in body and "2. 新工程" in body
    # the newest year with items of its own opens by default
    assert f'<option value="{YEAR + 1}" selected>{YEAR + 1}年</option>' in body
    Department.objects.get(name="新建单位").delete()
    Task.objects.get(year=YEAR + 1).delete()
    body = client.get("/tasks/").content.decode()
    assert "新建单位" not in body and f'<option value="{YEAR + 1}"' not in body


def test_list_queries_constant_and_choices_cached(client, django_assert_max_num_queries):
    for number in range(1, 4):
        make_task(number, YEAR)
    client.force_login(make_user("sup", "supervisor"))
    drain(client.get("/tasks/"))  # warm: the stored status's day, the filter choices
    # session, user, groups (roles), tasks count, the page's ids, the page's rows, unread count
    small = count_queries(django_assert_max_num_queries, client, "/tasks/", at_most=7)
    rng = random.Random(1)
    for number in range(4, 80):
        task = make_task(number, YEAR, percent=rng.randrange(0, 101))
        MonthlyReport.objects.create(task=task, month=date(YEAR, 1, 1), progress="x")
    drain(client.get("/tasks/"))  # the choices again: tasks were saved
    assert count_queries(django_assert_max_num_queries, client, "/tasks/", at_most=7) == small


@freeze_time("2030-07-20 10:00:00+08:00")
def test_navigation_links_per_kind_of_user(client):
    department = make_department("处室")
    make_task(1, YEAR, lead_department=department)
    users = {
        "supervisor": make_user("sup", "supervisor"),
        "staff": make_user("staff", "staff", department=department),
        "head": make_user("head", "head", department=department),
    }
    seen = {}
    for _ in range(2):  # the second time from the rendered links
        for role, user in users.items():
            client.force_login(user)
            seen[role] = client.get("/tasks/").content.decode()
            assert ('href="/supervision/ledger/">督查台账' in seen[role]) == (role == "supervisor")
            assert ('id="nav-reviews"' in seen[role]) == (role == "head")
            assert ("本月月报" in seen[role]) == (role != "supervisor")
    assert 'id="review-count"' not in seen["head"]
    staff = users["staff"]
    MonthlyReport.objects.create(
        task=Task.objects.get(), month=date(YEAR, 6, 1), status="submitted", submitted_by=staff
    )
    client.force_login(users["head"])
    assert 'id="review-count">1<' in client.get("/tasks/").content.decode()


def test_the_less_frequent_pages_sit_in_menus(client):
    """督办函, 约谈, 督查通报 and 绩效考核 under 督办考核; 政民互动, 应急管理 and 食品安全 under
    专项工作: the navigation fits one line at 1366 px (the browser test measures it)."""
    client.force_login(make_user("sup", "supervisor"))
    html = client.get("/tasks/").content.decode()
    menus = dict(
        re.findall(
            r'id="nav-(\w+)">[^<]*</a>\s*<ul class="dropdown-menu"[^>]*>(.*?)</ul>', html, re.S
        )
    )
    assert set(menus) == {"accountability", "special"}
    assert re.findall(r">([^<]+)</a>", menus["accountability"]) == [
        "督办函",
        "约谈",
        "督查通报",
        "绩效考核",
    ]
    assert re.findall(r">([^<]+)</a>", menus["special"]) == ["政民互动", "应急管理", "食品安全"]
    client.force_login(make_user("staff", "staff", department=make_department("处室")))
    html = client.get("/tasks/").content.decode()
    assert 'id="nav-accountability"' not in html and 'id="nav-special"' in html
