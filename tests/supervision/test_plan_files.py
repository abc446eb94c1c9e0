"""Plans from .docx and PDF files made here (python-docx, reportlab), on the command and the
import page; suggestions, unit aliases and remembered corrections (issue 13)."""

import io
import json
from io import StringIO

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from core.models import Department
from supervision.models import DepartmentAlias, Task
from supervision.plan_files import join_wrapped_lines, read_plan_file
from supervision.plan_parser import PlanParseError
from supervision.planio import apply_plan, read_plan

pytestmark = pytest.mark.django_db
URL = "/plans/import/"

PLAN_LINES = [
    "2023年督查工作方案",
    "一、重点任务",
    "1. 建立督查台账，6月底前完成。（市督查室牵头，市财政局配合）",
    "2. 开展专项督查不少于3次。（市发改委负责）",
    "二、保障措施",
    "（一）加强组织领导。（市督查室负责）",
    "（二）强化考核。年底前组织评估。",
]


def make_docx(lines, numbered=(), table=None):
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    for line in numbered:
        document.add_paragraph(line, style="List Number")
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pdf(lines, width=None):
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setFont("STSong-Light", 11)
    y = 800
    for line in lines:
        chunks = [line[i : i + width] for i in range(0, len(line), width)] if width else [line]
        for chunk in chunks:
            page.drawString(40, y, chunk)
            y -= 16
    page.showPage()
    page.save()
    return buffer.getvalue()


def blank_pdf():
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.rect(40, 40, 200, 200)  # a scan would be an image: no text at all
    page.showPage()
    page.save()
    return buffer.getvalue()


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def first_tasks(tree):
    return tree["projects"][0]["tasks"]


# --- reading files ---------------------------------------------------------------------------


def test_docx_keeps_paragraphs_numbering_and_task_tables():
    data = make_docx(
        PLAN_LINES[:2],
        numbered=["建立台账（市督查室负责）。", "开展督查（市财政局负责）。"],
        table=[
            ["序号", "任务", "牵头单位", "完成时限"],
            ["3", "建立通报制度", "市督查室", "9月底前"],
        ],
    )
    text = read_plan_file(data, "plan.docx")
    assert text.split("\n") == [
        "2023年督查工作方案",
        "一、重点任务",
        "1.建立台账（市督查室负责）。",
        "2.开展督查（市财政局负责）。",
        "3. 建立通报制度（牵头单位：市督查室；完成时限：9月底前）",
    ]
    tasks = first_tasks(read_plan(text, 2023))
    assert [t["lead_department"] for t in tasks] == ["市督查室", "市财政局", "市督查室"]
    assert tasks[2]["due"] == "2023-09-30"


def test_pdf_text_layer_and_wrapped_lines():
    long_item = (
        "1. 建立督查台账，全程监控目标进度，重点督办难点问题，现场推进滞后事项，6月底前完成。"
        "（市督查室牵头，市财政局配合）"
    )
    lines = [*PLAN_LINES[:2], long_item, *PLAN_LINES[3:]]
    text = read_plan_file(make_pdf(lines, width=30), "plan.pdf")
    assert long_item in text.split("\n")
    tasks = first_tasks(read_plan(text, 2023))
    assert tasks[0]["lead_department"] == "市督查室"
    assert tasks[0]["partner_departments"] == ["市财政局"]
    assert tasks[0]["due"] == "2023-06-30"


def test_join_wrapped_lines_keeps_headings_and_sentence_ends():
    text = "一、重点任务\n" + "甲" * 20 + "\n乙乙。\n1. 丙\n（一）丁"
    assert join_wrapped_lines(text) == "一、重点任务\n" + "甲" * 20 + "乙乙。\n1. 丙\n（一）丁"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (blank_pdf(), "扫描件"),
        (b"%PDF-1.4\n garbage", "无法读取该 PDF"),
        (b"PK\x03\x04garbage", "无法读取该 Word 文档"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "另存为"),
    ],
    ids=["scanned-pdf", "broken-pdf", "broken-docx", "old-doc"],
)
def test_bad_files_get_a_clear_message(data, message):
    with pytest.raises(PlanParseError) as info:
        read_plan_file(data, "x")
    assert message in str(info.value)


# --- the command and the page ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_import_plan_reads_docx_and_pdf(tmp_path, kind):
    path = tmp_path / f"plan.{kind}"
    path.write_bytes(make_docx(PLAN_LINES) if kind == "docx" else make_pdf(PLAN_LINES))
    dry = json.loads(
        run("import_plan", str(path), "--year", "2023", "--dry-run", "--format", "json")
    )
    assert [t["title"] for t in first_tasks(dry)] == ["建立督查台账", "开展专项督查不少于3次"]
    run("import_plan", str(path), "--year", "2023")
    assert json.loads(run("export_plan", "--year", "2023")) == dry
    assert Task.objects.get(code="1.1").lead_department.name == "市督查室"
    assert "未作改动" in run("import_plan", str(path), "--year", "2023")


def test_import_plan_refuses_a_scanned_pdf(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(blank_pdf())
    with pytest.raises(CommandError, match="扫描件"):
        run("import_plan", str(path), "--year", "2023")
    assert not Task.objects.exists()


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_page_previews_docx_and_pdf(admin_client, kind):
    data = make_docx(PLAN_LINES) if kind == "docx" else make_pdf(PLAN_LINES)
    upload = SimpleUploadedFile(f"plan.{kind}", data, content_type="application/octet-stream")
    response = admin_client.post(URL, {"year": 2023, "file": upload})
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "supervision/plan_import_review.html"
    assert "建立督查台账" in response.content.decode()


def test_page_refuses_a_scanned_pdf_beside_the_field(admin_client):
    upload = SimpleUploadedFile("scan.pdf", blank_pdf(), content_type="application/pdf")
    response = admin_client.post(URL, {"year": 2023, "file": upload})
    assert response.status_code == 200
    content = response.content.decode()
    assert "扫描件" in content and "invalid-feedback" in content


# --- suggestions, aliases, corrections --------------------------------------------------------


def test_keyword_guesses_only_for_the_own_plan_and_marked(seed_text):
    other = read_plan(seed_text, 2012)
    assert all(t["lead_department"] is None for p in other["projects"] for t in p["tasks"])
    own = read_plan(seed_text, 2012, own_plan=True)
    task = own["projects"][0]["tasks"][1]
    assert task["lead_department"] == "督查处" and task["lead_suggested"] is True
    apply_plan(own, source_text=seed_text)
    assert Task.objects.get(code="1.2").lead_suggested


def test_a_named_unit_is_no_suggestion():
    tree = read_plan("\n".join(PLAN_LINES), 2023, own_plan=True)
    assert first_tasks(tree)[0]["lead_suggested"] is False


def test_unit_names_are_matched_through_usual_forms_and_aliases():
    ndrc = Department.objects.get(name="市发展和改革委员会")  # a default department
    office = Department.objects.get(name="督查处")
    DepartmentAlias.objects.create(alias="市督查室", department=office)
    tree = read_plan("\n".join(PLAN_LINES), 2023)
    first, second = first_tasks(tree)
    assert first["lead_department"] == "督查处"  # the alias
    assert second["lead_department"] == "市发展和改革委员会"  # 市发改委, the short form
    apply_plan(tree)
    assert Task.objects.get(code="1.2").lead_department == ndrc
    assert not Department.objects.filter(name__in=["市发改委", "市督查室"]).exists()


def test_review_maps_an_unknown_unit_and_remembers_corrections(admin_client):
    text = "\n".join(PLAN_LINES)
    office = Department.objects.get(name="督查处")
    response = admin_client.post(URL, {"year": 2023, "text": text})
    review = response.context["review"]
    assert review.units == ["市督查室"]  # 市财政局 exists, 市发改委 is its short form
    assert "确认后将新建以下单位" in response.content.decode()
    data = {"confirm": "1"}
    source_form, corrections = response.context["source_form"], response.context["corrections"]
    for name in ("year", "source", "signature"):
        data[name] = source_form[name].value()
    for bound in corrections:
        value = bound.value()
        if not isinstance(value, bool):
            data[bound.name] = value.isoformat() if hasattr(value, "isoformat") else (value or "")
    data["unit_0"] = str(office.pk)  # 市督查室 is our 督查处
    data["title_1.2"] = "开展专项督查"
    response = admin_client.post(URL, data)
    assert response.status_code == 302
    assert DepartmentAlias.objects.get(alias="市督查室").department == office
    assert not Department.objects.filter(name="市督查室").exists()
    assert Task.objects.get(code="1.1").lead_department == office
    assert Task.objects.get(code="1.2").title == "开展专项督查"
    # the same file again: the correction is remembered, nothing changes
    again = read_plan(text, 2023)
    assert first_tasks(again)[1]["title"] == "开展专项督查"
    assert not apply_plan(again, source_text=text).changed
