"""/plans/import/: upload or paste, review without writing, confirm with corrections."""

from datetime import date
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Department
from core.roles import Role
from supervision.models import Indicator, Measure, Plan, Project, Task
from supervision.planio import apply_plan, iter_tasks, read_plan, unplaced_tasks
from tests.helpers import NOT_A_PLAN, REGULATION, make_department, make_user

pytestmark = pytest.mark.django_db
URL = "/plans/import/"
PLANS = Path(__file__).resolve().parent.parent / "plans"
SHINAN = PLANS / "shinan-business-environment-2013.txt"
CN = "一二三四五六七八九十"


def rows_written():
    """Rows of every table an import writes, and their history."""
    models = [Plan, Project, Task, Measure, Indicator, Department]
    return [m.objects.count() for m in models] + [m.history.count() for m in models]


def upload(data, name="plan.txt"):
    return SimpleUploadedFile(name, data, content_type="text/plain")


def preview(client, year=2012, text=None, data=None, own_plan=False):
    """POST the upload step; `data` is the file's bytes, `text` the pasted text; `own_plan`
    ticks “本办自身的工作计划” (the keyword table suggests leads)."""
    payload = {"year": year}
    if own_plan:
        payload["own_plan"] = "on"
    if data is not None:
        payload["file"] = upload(data)
    if text is not None:
        payload["text"] = text
    return client.post(URL, payload)


def review_data(response, **changes):
    """What the browser posts when the admin confirms the review page as shown, plus
    `changes` ({field name: value})."""
    source_form, corrections = response.context["source_form"], response.context["corrections"]
    data = {"confirm": "1"}
    for name in ("year", "source", "signature", "structure"):
        data[name] = source_form[name].value()
    if source_form["own_plan"].value():
        data["own_plan"] = "True"
    for bound in corrections:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.name] = "on"
            continue
        data[bound.name] = value.isoformat() if isinstance(value, date) else (value or "")
    data.update(changes)
    return data


def generated_plan(sections, items):
    """A plan text with `sections` sections of `items` numbered tasks each."""
    lines = ["测试工作计划"]
    for s in range(sections):
        lines.append(f"{CN[s]}、第{s + 1}项工程")
        for i in range(1, items + 1):
            lines.append(
                f"{i}. 推进第{s + 1}-{i}项工作。完善工作机制；年内新增服务网点{i + 2}个以上。"
                "（市财政局牵头，市商务局配合）"
            )
    return "\n".join(lines)


# --- access ----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.STAFF, Role.HEAD, Role.SUPERVISOR, Role.LEADER])
def test_other_roles_are_forbidden(client, role, seed_text):
    user = make_user(f"user-{role}", role, department=make_department())
    client.force_login(user)
    assert client.get(URL).status_code == 403
    before = rows_written()
    response = preview(client, text=seed_text)
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()
    assert rows_written() == before


def test_url_name():
    assert reverse("plan_import") == URL


# --- the upload step -------------------------------------------------------------------------


def test_upload_page(admin_client):
    response = admin_client.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "导入年度工作计划" in content
    assert 'enctype="multipart/form-data"' in content
    assert 'name="year"' in content and 'name="file"' in content and 'name="text"' in content


def test_preview_shows_the_seed_tree_and_writes_nothing(admin_client, seed_text):
    before = rows_written()
    response = preview(admin_client, data=seed_text.encode(), own_plan=True)
    assert response.status_code == 200
    assert rows_written() == before
    assert [t.name for t in response.templates][0] == "supervision/plan_import_review.html"
    content = response.content.decode()
    for title in [
        "大力实施政务运行加速工程",
        "大力实施政务环境提升工程",
        "大力实施政民互动增效工程",
        "大力实施应急安全保障工程",
        "深入开展“五型”机关创建活动",
    ]:
        assert title in content
    assert "提升融资环境" in content
    assert "金融机构 ≥ 10家" in content
    review = response.context["review"]
    assert len(review.projects) == 5
    tree = read_plan(seed_text, 2012, own_plan=True)
    assert len(review.rows) == sum(len(list(iter_tasks(p["tasks"]))) for p in tree["projects"])
    # Proposed lead departments are preselected in the correction selects.
    secretariat = Department.objects.get(name="秘书处")
    assert response.context["corrections"]["lead_1.1"].value() == str(secretariat.pk)
    assert f'<option value="{secretariat.pk}" selected>秘书处</option>' in content
    assert len(review.unplaced) == len(unplaced_tasks(tree))
    assert "确认导入" in content
    assert "已有计划" not in content


def test_preview_highlights_unplaced_tasks(admin_client):
    text = SHINAN.read_text(encoding="utf-8")
    response = preview(admin_client, year=2013, text=text)
    assert response.status_code == 200
    content = response.content.decode()
    unplaced = unplaced_tasks(read_plan(text, 2013))
    assert [row.code for row in response.context["review"].unplaced] == [c for c, _ in unplaced]
    # 1.1 (总体目标) names no unit and this is not the office's own plan: nothing is guessed
    assert len(unplaced) == 4
    assert f'id="unplaced-count">{len(unplaced)}<' in content
    assert content.count('class="table-warning"') == len(unplaced)
    assert content.count('text-bg-warning ms-1">未确定牵头单位</span>') == len(unplaced)
    assert 'id="task-2.2" class="table-warning"' in content
    # Child tasks are listed under their parent, indented.
    assert 'id="task-2.2.1"' in content
    # Units the document names but the system lacks are announced.
    assert "市南区市场监管局" in content
    assert "确认后将新建以下单位" in content


def test_preview_of_a_year_already_imported_says_so(admin_client, seed_text):
    apply_plan(read_plan(seed_text, 2012, own_plan=True), source_text=seed_text)
    before = rows_written()
    response = preview(admin_client, data=seed_text.encode(), own_plan=True)
    assert response.status_code == 200
    content = response.content.decode()
    assert "2012年已有计划" in content
    assert "就地更新" in content
    assert "本文档与上次导入的原文相同" in content
    assert rows_written() == before


def test_pasted_script_is_escaped(admin_client):
    text = "一、<script>alert(1)</script>工程\n1. 任务<b>一</b>。\n2. 任务二<script>x()</script>。"
    response = preview(admin_client, text=text)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<script>alert(1)" not in content
    assert "<script>x()" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<b>一</b>" not in content


def test_preview_query_count_does_not_grow_with_tasks(admin_client, django_assert_max_num_queries):
    counts = []
    admin_client.get("/plans/import/")  # the admins' calendar banner is cached after one query
    for sections, items in [(1, 2), (10, 12)]:
        text = generated_plan(sections, items)
        with django_assert_max_num_queries(12) as ctx:
            response = preview(admin_client, year=2030, text=text)
        assert response.status_code == 200
        assert len(response.context["review"].rows) == sections * items
        counts.append(len(ctx.captured_queries))
    # Session and user; read_plan: departments and aliases (unit names), remembered
    # corrections; the remembered splits and merges (the review's hidden field); the review:
    # departments, the existing plan; the navigation's 待审核 count (issue 11).
    assert counts[0] == counts[1], counts
    assert counts[1] <= 11


def test_preview_query_count_with_an_existing_plan(admin_client, django_assert_max_num_queries):
    counts = []
    admin_client.get("/plans/import/")  # the admins' calendar banner is cached after one query
    for sections, items in [(1, 2), (10, 12)]:
        text = generated_plan(sections, items)
        apply_plan(read_plan(text, 2030 + sections), source_text=text)
        with django_assert_max_num_queries(12) as ctx:
            response = preview(admin_client, year=2030 + sections, text=text)
        assert "已有计划" in response.content.decode()
        counts.append(len(ctx.captured_queries))
    # ... plus the stored tasks of that plan, in one query.
    assert counts[0] == counts[1], counts


# --- bad input -------------------------------------------------------------------------------

TWO_MB = 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"year": 2012}, "请选择计划文档，或在下方粘贴计划正文"),
        ({"year": 2012, "text": "   \n  "}, "请选择计划文档，或在下方粘贴计划正文"),
        ({"year": 2012, "file": b""}, "文件为空"),
        ({"year": 2012, "file": b"  \r\n \n"}, "文件为空"),
        ({"year": 2012, "file": "一、工程\n1. 任务一。\n2. 任务二。".encode("gbk")}, "不是 UTF-8"),
        ({"year": 2012, "file": bytes(range(256)) * 8}, "不是文本文件"),
        ({"year": 2012, "file": b"\x01\x02\x03\x04\x05\x06\x07abc"}, "不是文本文件"),
        ({"year": 2012, "text": "这是一段没有章节的文字。"}, "没有找到章节标题"),
        ({"year": 2012, "file": "只有一行说明。".encode()}, "没有找到章节标题"),
        ({"year": "", "text": "一、工程\n1. 任务一。"}, "请填写计划年度"),
        ({"text": "一、工程\n1. 任务一。"}, "请填写计划年度"),
        ({"year": 1999, "text": "一、工程\n1. 任务一。"}, "年度应在 2000–2100 之间"),
        ({"year": 2101, "text": "一、工程\n1. 任务一。"}, "年度应在 2000–2100 之间"),
        ({"year": "二〇一二", "text": "一、工程\n1. 任务一。"}, "年度应为四位数字"),
        ({"year": 2012, "file": b"a" * (TWO_MB + 1)}, "不能超过 2 MB"),
        ({"year": 2012, "text": "一、工程\n" + "字" * (TWO_MB // 3 + 10)}, "超过 2 MB"),
        (
            {"year": 2012, "file": "一、工程\n1. 任务。".encode(), "text": "一、工程\n1. 任务。"},
            "请只选择一种方式",
        ),
    ],
    ids=[
        "nothing",
        "blank-text",
        "empty-file",
        "blank-file",
        "gbk",
        "binary",
        "control-chars",
        "no-sections-pasted",
        "no-sections-file",
        "year-blank",
        "year-missing",
        "year-too-early",
        "year-too-late",
        "year-not-a-number",
        "file-over-2mb",
        "text-over-2mb",
        "file-and-text",
    ],
)
def test_bad_upload_is_shown_beside_the_field(admin_client, payload, message):
    if "file" in payload:
        payload = {**payload, "file": upload(payload["file"])}
    before = rows_written()
    response = admin_client.post(URL, payload)
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert "invalid-feedback" in content  # beside the field, crispy's error markup
    assert [t.name for t in response.templates][0] == "supervision/plan_import.html"
    assert rows_written() == before


@pytest.mark.parametrize("as_file", [True, False])
def test_a_regulation_of_articles_is_refused_beside_the_field(admin_client, as_file):
    """A regulation (第一章/第一条 articles) is not a plan: the page says so beside the file or
    the pasted text, and writes nothing."""
    before = rows_written()
    if as_file:
        response = preview(admin_client, year=2024, data=REGULATION.encode())
    else:
        response = preview(admin_client, year=2024, text=REGULATION)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "supervision/plan_import.html"
    form = response.context["form"]
    assert form.errors == {"file" if as_file else "text": [NOT_A_PLAN]}
    assert "invalid-feedback" in response.content.decode()
    assert rows_written() == before


# --- the confirmation ------------------------------------------------------------------------


def test_confirm_writes_the_plan_and_the_corrections(admin_client, admin_user, seed_text):
    response = preview(admin_client, data=seed_text.encode(), own_plan=True)
    supervision = Department.objects.get(name="督查处")
    data = review_data(response, **{"lead_2.2": str(supervision.pk), "due_2.2": "2012-09-30"})
    assert Plan.objects.count() == 0

    response = admin_client.post(URL, data)
    assert response.status_code == 302
    assert response["Location"] == URL

    plan = Plan.objects.get(year=2012)
    assert plan.source_text == seed_text.replace("\r\n", "\n")
    assert plan.projects.count() == 5
    task = Task.objects.get(project__plan=plan, code="2.2")
    assert task.title == "提升融资环境"
    assert task.lead_department == supervision
    assert task.due_date == date(2012, 9, 30)
    assert Indicator.objects.get(task=task, name="金融机构").target == 10
    # Untouched tasks keep what the document (or the keyword table) gave them.
    assert Task.objects.get(project__plan=plan, code="1.1").lead_department.name == "秘书处"
    latest = task.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == admin_user
    assert latest.lead_department_id == supervision.pk
    assert latest.due_date == date(2012, 9, 30)

    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(
        "已导入2012年计划" in t and "新增" in t and "按核对意见修改了 1 项任务" in t for t in texts
    )

    page = admin_client.get(URL)
    assert "已导入2012年计划" in page.content.decode()


def test_confirm_without_changes_writes_what_was_shown(admin_client, seed_text):
    response = preview(admin_client, data=seed_text.encode(), own_plan=True)
    response = admin_client.post(URL, review_data(response))
    assert response.status_code == 302
    reference = read_plan(seed_text, 2012, own_plan=True)
    tasks = {t.code: t for t in Task.objects.select_related("lead_department")}
    for project in reference["projects"]:
        for node in project["tasks"]:
            task = tasks[f"{project['number']}.{node['number']}"]
            lead = task.lead_department.name if task.lead_department else None
            assert lead == node["lead_department"]


def test_paste_then_confirm(admin_client):
    text = SHINAN.read_text(encoding="utf-8").replace("\n", "\r\n")  # as a browser posts it
    response = preview(admin_client, year=2013, text=text)
    assert response.status_code == 200
    office = Department.objects.get(name="秘书处")
    response = admin_client.post(URL, review_data(response, **{"lead_1.1": str(office.pk)}))
    assert response.status_code == 302
    plan = Plan.objects.get(year=2013)
    assert "\r" not in plan.source_text
    assert Task.objects.get(project__plan=plan, code="2.2.1").parent.code == "2.2"
    assert Task.objects.get(project__plan=plan, code="1.1").lead_department == office
    assert Department.objects.filter(name="市南区市场监管局").exists()
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("仍有 3 项任务未确定牵头单位" in t and "2.2 " in t for t in texts)
    assert any("新建单位" in t for t in texts)


def test_confirm_twice_changes_nothing(admin_client, seed_text):
    response = preview(admin_client, data=seed_text.encode(), own_plan=True)
    data = review_data(response)
    admin_client.post(URL, data)
    before = rows_written()
    response = admin_client.post(URL, data)
    assert response.status_code == 302
    assert rows_written() == before
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("未作改动" in t for t in texts)


def test_reimport_keeps_a_lead_set_since(admin_client, seed_text):
    """Left alone, the select shows (and the import keeps) the lead an admin set since."""
    apply_plan(read_plan(seed_text, 2012, own_plan=True), source_text=seed_text)
    task = Task.objects.get(code="1.1")
    supervision = Department.objects.get(name="督查处")
    task.lead_department = supervision
    task.save()
    response = preview(admin_client, data=seed_text.encode(), own_plan=True)
    assert response.context["corrections"]["lead_1.1"].value() == str(supervision.pk)
    admin_client.post(URL, review_data(response))
    task.refresh_from_db()
    assert task.lead_department == supervision


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"due_2.2": "2012-02-30"}, "请填写有效日期"),
        ({"due_2.2": "明年"}, "请填写有效日期"),
        ({"lead_2.2": "999999"}, "所选单位不存在"),
        ({"lead_2.2": "秘书处"}, "所选单位不存在"),
    ],
    ids=["impossible-date", "not-a-date", "unknown-department", "name-not-id"],
)
def test_bad_corrections_are_shown_and_nothing_written(admin_client, seed_text, changes, message):
    response = preview(admin_client, data=seed_text.encode(), own_plan=True)
    before = rows_written()
    response = admin_client.post(URL, review_data(response, **changes))
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert "请修正下方标红的项目" in content
    assert "is-invalid" in content
    assert rows_written() == before
    # The review page again, with the admin's other values kept.
    assert response.context["corrections"]["lead_1.1"].value()


def test_due_before_start_date_is_refused(admin_client, seed_text):
    apply_plan(read_plan(seed_text, 2012, own_plan=True), source_text=seed_text)
    Task.objects.filter(code="2.2").update(start_date=date(2012, 6, 1))
    response = preview(admin_client, data=seed_text.encode(), own_plan=True)
    before = rows_written()
    response = admin_client.post(URL, review_data(response, **{"due_2.2": "2012-05-01"}))
    assert response.status_code == 200
    assert "完成时限不能早于开始日期" in response.content.decode()
    assert rows_written() == before


@pytest.mark.parametrize("tamper", ["source", "year", "signature"])
def test_tampered_review_is_refused(admin_client, seed_text, tamper):
    response = preview(admin_client, data=seed_text.encode(), own_plan=True)
    data = review_data(response)
    data[tamper] = {"source": data["source"] + "\n六、伪造工程\n1. 任务。", "year": 2013}.get(
        tamper, "0" * 64
    )
    response = admin_client.post(URL, data)
    assert response.status_code == 400
    assert "预览内容已失效或被改动" in response.content.decode()
    assert Plan.objects.count() == 0


def test_confirm_without_the_hidden_fields_is_refused(admin_client):
    response = admin_client.post(URL, {"confirm": "1"})
    assert response.status_code == 400
    assert "请重新上传计划文档" in response.content.decode()
    assert Plan.objects.count() == 0


def test_a_plan_too_large_for_per_task_fields_is_imported_as_parsed(admin_client, settings):
    """Django refuses a POST of more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields: the review page
    then offers no per-task fields rather than a confirmation that cannot be sent."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 30
    text = generated_plan(2, 6)
    response = preview(admin_client, year=2030, text=text)
    assert response.status_code == 200
    assert not response.context["corrections"].editable
    content = response.content.decode()
    assert "无法在本页逐项修改" in content
    assert 'name="lead_1.1"' not in content
    response = admin_client.post(URL, review_data(response))
    assert response.status_code == 302
    assert Task.objects.filter(project__plan__year=2030).count() == 12
    assert Task.objects.get(code="1.1").lead_department.name == "市财政局"
