"""Issue 11 (11): after 确认导入 the page says what was created (tasks, measures, indicators,
units), links to the new plan's task list, and counts created and updated rows apart."""

from pathlib import Path

import pytest
from django.contrib.messages import get_messages

from core.models import Department
from supervision.models import Indicator, Measure, Plan, Task
from supervision.planio import apply_plan, read_plan
from tests.supervision.test_plan_import_page import URL, preview, review_data

pytestmark = pytest.mark.django_db
SHINAN = Path(__file__).resolve().parent.parent / "plans" / "shinan-business-environment-2013.txt"


def confirm(client, year, text):
    response = preview(client, year=year, data=text.encode())
    assert response.status_code == 200
    return client.post(URL, review_data(response))


def test_a_new_year_says_what_it_created_and_links_to_its_tasks(admin_client, seed_text):
    apply_plan(read_plan(seed_text, 2012, own_plan=True), source_text=seed_text)  # another year
    departments = set(Department.objects.values_list("name", flat=True))
    response = confirm(admin_client, 2013, SHINAN.read_text(encoding="utf-8"))
    assert response.status_code == 302
    plan = Plan.objects.get(year=2013)
    tasks = Task.objects.filter(project__plan=plan).count()
    measures = Measure.objects.filter(task__project__plan=plan).count()
    indicators = Indicator.objects.filter(task__project__plan=plan).count()
    created = set(Department.objects.values_list("name", flat=True)) - departments
    assert tasks and measures and created

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(
        f"任务 {tasks} 项" in t and f"具体措施 {measures} 条" in t and "更新 0 条" in t
        for t in texts
    ), texts

    page = admin_client.get(URL).content.decode()
    done = page[page.index('id="import-done"') :].split("</section>", 1)[0]
    assert "已新建 2013年计划" in done
    assert f'data-created="任务">{tasks}<' in done
    assert f'data-created="具体措施">{measures}<' in done
    assert f'data-created="量化指标">{indicators}<' in done
    assert f'data-created="单位">{len(created)}<' in done
    assert all(name in done for name in created)
    assert "更新" not in done  # a brand-new year updated nothing
    assert 'href="/tasks/?year=2013"' in done
    assert 'id="import-done"' not in admin_client.get(URL).content.decode()  # shown once


def test_a_reimport_counts_updates_not_creations(admin_client, seed_text):
    confirm(admin_client, 2012, seed_text)
    admin_client.get(URL)  # the first summary, read
    edited = seed_text.replace("提升融资环境", "优化融资环境", 1)
    response = confirm(admin_client, 2012, edited)
    assert response.status_code == 302
    page = admin_client.get(URL).content.decode()
    done = page[page.index('id="import-done"') :].split("</section>", 1)[0]
    assert "已更新 2012年计划" in done
    assert 'data-created="任务">0<' in done and 'data-created="单位">0<' in done
    # the plan (its source text), the task (title and text) and the measure naming it
    assert "data-updated>3<" in done


def test_apply_plan_counts_partners_of_new_rows_as_creation(seed_text):
    result = apply_plan(read_plan(seed_text, 2012, own_plan=True), source_text=seed_text)
    assert result.updated == 0
    assert result.created_kinds["task"] == Task.objects.count()
    assert result.created == sum(result.created_kinds.values())
    again = apply_plan(read_plan(seed_text, 2012, own_plan=True), source_text=seed_text)
    assert (again.created, again.updated) == (0, 0)
