"""/plans/import/ review page: units per measure, a task's partners, splitting and merging
tasks; each applied through the models (history names the user) and remembered for a
re-import of the same text."""

from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command

from supervision.forms import FIELDS_PER_MEASURE, SPARE_FIELDS, row_field_count
from supervision.models import Measure, Plan, PlanCorrection, Task
from supervision.planio import read_plan, source_sha256
from tests.helpers import make_department
from tests.supervision.test_plan_import_page import URL, generated_plan, preview, review_data

pytestmark = pytest.mark.django_db

TEXT = """测试工作计划
一、第一项工程
1. 完善工作机制。建立联席会议制度（市财政局牵头，市商务局配合）；开展专项督查，年底前完成\
（市审计局负责）。
2. 优化营商环境。推进审批改革（市商务局牵头）。
3. 加强队伍建设。开展业务培训（市财政局负责）。
二、第二项工程
1. 推进数字政府。建设数据平台（市大数据局牵头）。
2. 完善数据共享。推进数据开放（市大数据局负责）。
"""
UNITS = ["市财政局", "市商务局", "市审计局", "市大数据局"]


@pytest.fixture
def units():
    return {name: make_department(name) for name in UNITS}


def tasks_of(project=1):
    return list(
        Task.objects.filter(project__number=project, parent=None)
        .select_related("lead_department")
        .order_by("number")
    )


def names(manager):
    return sorted(d.name for d in manager.all())


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_units_of_a_measure_and_partners_of_a_task_are_corrected(admin_client, admin_user, units):
    response = preview(admin_client, year=2030, text=TEXT)
    content = response.content.decode()
    assert 'name="mlead_1.1_2"' in content and 'name="partners_1.2"' in content
    assert '<datalist id="unit-names">' in content
    changes = {
        "mlead_1.1_2": "市财政局",
        "mpartners_1.1_2": "市审计局、市商务局",
        "partners_1.2": "市财政局",
    }
    response = admin_client.post(URL, review_data(response, **changes))
    assert response.status_code == 302
    measure = Measure.objects.get(task__code="1.1", number=2)
    assert measure.lead_department == units["市财政局"]
    assert names(measure.partner_departments) == ["市商务局", "市审计局"]
    assert Measure.objects.get(task__code="1.1", number=1).lead_department == units["市财政局"]
    task = Task.objects.get(code="1.2")
    assert names(task.partner_departments) == ["市财政局"]
    # applied through the models: the history names the user, partners included
    latest = measure.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == admin_user
    assert latest.lead_department_id == units["市财政局"].pk
    task_latest = task.history.order_by("-history_date", "-history_id").first()
    assert task_latest.history_user == admin_user
    assert [p.department_id for p in task_latest.partner_departments.all()] == [
        units["市财政局"].pk
    ]
    assert any("按核对意见修改了 2 项任务" in t for t in texts(response))
    # remembered for a re-import of the same text
    sha = source_sha256(TEXT)
    stored = dict(
        PlanCorrection.objects.filter(source_sha256=sha)
        .values_list("code", "value")
        .filter(field__in=["m_partners", "partners"])
    )
    assert stored == {"1.1/2": "市审计局、市商务局", "1.2": "市财政局"}
    tree = read_plan(TEXT, 2030)
    again = tree["projects"][0]["tasks"]
    assert again[0]["measures"][1]["lead_department"] == "市财政局"
    assert again[0]["measures"][1]["partner_departments"] == ["市审计局", "市商务局"]
    assert again[1]["partner_departments"] == ["市财政局"]


def test_an_unknown_unit_is_refused_beside_its_field(admin_client, units):
    response = preview(admin_client, year=2030, text=TEXT)
    data = review_data(response, **{"mpartners_1.1_1": "市商务局、不存在局", "mlead_1.2_1": ""})
    response = admin_client.post(URL, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "“不存在局”不是已有单位" in content
    assert "invalid-feedback" in content
    assert not Plan.objects.exists()
    response = admin_client.post(
        URL,
        review_data(
            preview(admin_client, year=2030, text=TEXT), **{"mlead_1.1_1": "市财政局、市商务局"}
        ),
    )
    assert "牵头单位只能填写一个" in response.content.decode()
    assert not Plan.objects.exists()


def test_split_a_task_at_a_measure(admin_client, admin_user, units, tmp_path):
    response = preview(admin_client, year=2030, text=TEXT)
    response = admin_client.post(URL, review_data(response, **{"split_1.1": "2"}))
    # the review is shown again with the new task; nothing is written yet
    assert response.status_code == 200
    assert not Plan.objects.exists()
    assert any("已按要求拆分、合并 1 处" in t for t in texts(response))
    rows = {row.code: row for row in response.context["review"].rows}
    assert [code for code in rows if code.startswith("1.")] == ["1.1", "1.2", "1.3", "1.4"]
    assert rows["1.2"].node["title"] == "开展专项督查"
    assert rows["1.2"].lead_name == "市审计局"
    assert response.context["source_form"]["structure"].value() == "split 1.1 2"

    response = admin_client.post(URL, review_data(response, **{"title_1.2": "开展专项督查工作"}))
    assert response.status_code == 302
    first, new, third, fourth = tasks_of()
    assert (first.title, first.lead_department.name, first.due_date) == (
        "完善工作机制",
        "市财政局",
        None,
    )
    assert names(first.partner_departments) == ["市商务局"]
    assert first.measures.count() == 1
    assert (new.title, new.lead_department.name) == ("开展专项督查工作", "市审计局")
    assert new.due_date.isoformat() == "2030-12-31"
    assert new.text == "开展专项督查，年底前完成（市审计局负责）。"
    assert [third.title, fourth.title] == ["优化营商环境", "加强队伍建设"]
    assert new.history.earliest("history_date").history_user == admin_user
    sha = source_sha256(TEXT)
    assert PlanCorrection.objects.get(source_sha256=sha, field="structure").value == "split 1.1 2"

    # a re-import of the same file keeps the split and the corrected title, and changes nothing
    path = tmp_path / "plan.txt"
    path.write_text(TEXT, encoding="utf-8")
    out = StringIO()
    call_command("import_plan", str(path), "--year", "2030", stdout=out)
    titles = [t.title for t in tasks_of()]
    assert titles == ["完善工作机制", "开展专项督查工作", "优化营商环境", "加强队伍建设"]
    assert "未作改动" in out.getvalue()


def test_merge_two_adjacent_tasks(admin_client, units):
    response = preview(admin_client, year=2030, text=TEXT)
    response = admin_client.post(URL, review_data(response, **{"merge_1.2": "on"}))
    assert response.status_code == 200
    rows = {row.code: row for row in response.context["review"].rows}
    assert [code for code in rows if code.startswith("1.")] == ["1.1", "1.2"]
    assert "merge_1.2" not in response.context["corrections"].fields  # now the last of 1
    response = admin_client.post(URL, review_data(response))
    assert response.status_code == 302
    first, merged = tasks_of()
    assert merged.title == "优化营商环境"
    assert merged.text == "".join(
        [
            "优化营商环境。推进审批改革（市商务局牵头）。",
            "加强队伍建设。开展业务培训（市财政局负责）。",
        ]
    )
    assert merged.lead_department.name == "市商务局"
    assert names(merged.partner_departments) == ["市财政局"]
    assert [m.lead_department.name for m in merged.measures.order_by("number")] == [
        "市商务局",
        "市财政局",
    ]
    assert read_plan(TEXT, 2030)["projects"][0]["tasks"][1]["title"] == "优化营商环境"
    assert len(read_plan(TEXT, 2030)["projects"][0]["tasks"]) == 2


def test_split_and_merge_in_one_post_keep_the_codes_shown(admin_client, units):
    """Ops are applied from the end of the plan back, so each names the task as shown."""
    response = preview(admin_client, year=2030, text=TEXT)
    data = review_data(response, **{"split_1.1": "2", "merge_1.2": "on", "merge_2.1": "on"})
    response = admin_client.post(URL, data)
    titles = [row.node["title"] for row in response.context["review"].rows]
    assert titles == ["完善工作机制", "开展专项督查", "优化营商环境", "推进数字政府"]
    assert (
        response.context["review"].rows[2].node["text"].endswith("开展业务培训（市财政局负责）。")
    )
    assert response.context["source_form"]["structure"].value() == (
        "merge 2.1;merge 1.2;split 1.1 2"
    )


def test_restructure_without_a_choice_writes_nothing(admin_client, units):
    response = preview(admin_client, year=2030, text=TEXT)
    data = review_data(response)
    del data["confirm"]
    data["restructure"] = "1"
    response = admin_client.post(URL, data)
    assert response.status_code == 200
    assert any("未选择要拆分或合并的任务" in t for t in texts(response))
    assert not Plan.objects.exists()


@pytest.mark.parametrize("structure", ["split 9.9 2", "merge 1.3", "split 1.2 2", "drop 1.1"])
def test_a_tampered_structure_is_refused(admin_client, units, structure):
    response = preview(admin_client, year=2030, text=TEXT)
    response = admin_client.post(URL, review_data(response, structure=structure))
    assert response.status_code == 400
    assert "请重新上传计划文档" in response.content.decode()
    assert not Plan.objects.exists()


def test_a_large_plan_keeps_the_task_fields_and_drops_the_measure_fields(admin_client, settings):
    text = generated_plan(2, 6)  # 12 tasks of 2 measures
    review = preview(admin_client, year=2030, text=text).context["review"]
    # per task: title, lead, partners, due, split (2 measures), merge (all but the last of each
    # section); no guessed lead to confirm
    assert [row_field_count(row) for row in review.rows] == [6] * 5 + [5] + [6] * 5 + [5]
    task_fields = 6 * 10 + 5 * 2 + len(review.units) + SPARE_FIELDS
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = task_fields + FIELDS_PER_MEASURE * 24 - 1
    response = preview(admin_client, year=2030, text=text)
    corrections = response.context["corrections"]
    assert corrections.editable and not corrections.measures_editable
    content = response.content.decode()
    assert 'name="lead_1.1"' in content and 'name="split_1.1"' in content
    assert 'name="mlead_1.1_1"' not in content
    assert 'id="measures-not-editable"' in content
    data = review_data(response, **{"partners_1.1": "市商务局、市财政局"})
    assert len(data) <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = admin_client.post(URL, data)
    assert response.status_code == 302
    assert names(Task.objects.get(code="1.1").partner_departments) == ["市商务局", "市财政局"]

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = task_fields + FIELDS_PER_MEASURE * 24
    response = preview(admin_client, year=2031, text=text)
    assert response.context["corrections"].measures_editable
    assert 'name="mlead_1.1_1"' in response.content.decode()
    assert len(review_data(response)) <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
