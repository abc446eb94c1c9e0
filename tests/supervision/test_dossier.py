"""Issue 11 (16): a task's dossier prints on A4 from the task page and downloads as .docx,
with the text, measures, 节点, indicators, every monthly report and the 批示."""

import io
from pathlib import Path

import docx
import pytest
from django.conf import settings
from freezegun import freeze_time

from supervision.choices import ReportStatus
from supervision.models import Instruction, MonthlyReport, Task
from tests.helpers import drain, login

pytestmark = pytest.mark.django_db
NOW = "2012-07-10 09:00:00"


def finance_task():
    return Task.objects.get(title="提升融资环境")


def docx_text(response):
    document = docx.Document(io.BytesIO(drain(response)))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def expected_content(task):
    reports = list(task.reports.exclude(status=ReportStatus.DRAFT))
    assert len(reports) >= 5
    instructions = list(task.instructions.all())
    assert instructions
    return [
        task.text[:40],
        *[m.title for m in task.milestones.all()],
        *[i.name for i in task.indicators.all()],
        *[r.progress for r in reports],  # in full, not cut short as on the screen
        *[i.text for i in instructions],
        *[i.response for i in instructions if i.response],
    ]


@freeze_time(NOW)
def test_task_page_prints_the_whole_dossier(client, demo):
    task = finance_task()
    MonthlyReport.objects.filter(task=task).update(progress="很长的进展说明" * 30)
    MonthlyReport.objects.create(
        task=task, month="2012-07-01", progress="尚未提交的草稿", status=ReportStatus.DRAFT
    )
    login(client, "leader1")
    body = client.get(f"/tasks/{task.pk}/").content.decode()
    dossier = body[body.index('id="print-dossier"') :].split("</section>", 1)[0]
    assert 'class="d-none d-print-block dossier"' in body  # only on paper
    assert 'class="row g-3 d-print-none"' in body  # the screen's page not on paper
    for text in expected_content(task):
        assert text in dossier, text
    assert dossier.count('class="dossier-report"') == task.reports.exclude(status="draft").count()
    assert "尚未提交的草稿" not in dossier
    assert 'id="print-button"' in body and f"/tasks/{task.pk}/export.docx" in body
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    assert "size: A4" in css and ".dossier" in css


@freeze_time(NOW)
@pytest.mark.parametrize("username", ["leader1", "supervisor1", "staff1", "staff2"])
def test_export_docx_has_the_same_content(client, demo, username):
    task = finance_task()
    Instruction.objects.create(
        task=task, leader=Instruction.objects.first().leader, text="请加快引进外资银行"
    )
    login(client, username)
    response = client.get(f"/tasks/{task.pk}/export.docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    assert "attachment" in response["Content-Disposition"]
    text = docx_text(response)
    for expected in expected_content(task):
        assert expected in text, expected
    assert "请加快引进外资银行" in text and "待落实" in text
    assert task.lead_department.name in text


def test_export_docx_needs_sign_in_and_a_task(client, demo):
    task = finance_task()
    response = client.get(f"/tasks/{task.pk}/export.docx")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    login(client, "leader1")
    assert client.get("/tasks/999999/export.docx").status_code == 404
    assert client.post(f"/tasks/{task.pk}/export.docx").status_code == 405
