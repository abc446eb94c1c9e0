"""A task's dossier (督办档案): what offices print and forward about one task. The text,
measures, 节点, indicators, every monthly report (drafts aside: they are the department's
own until submitted), the 批示 with their answers and the 挂牌督办; printed from the task
page (templates/supervision/includes/task_dossier.html, A4) or downloaded as .docx
(`write_docx`, python-docx) from /tasks/<id>/export.docx."""

from dataclasses import dataclass

import docx
from django.utils import timezone
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .choices import ReportStatus
from .dashboard import indicator_shown

FONT = "宋体"


@dataclass
class Dossier:
    task: object
    partners: list
    measures: list
    milestones: list
    indicators: list
    reports: list
    instructions: list
    listings: list


def dossier_of(task):
    """Everything the dossier shows of `task` (a fixed number of queries)."""
    return Dossier(
        task=task,
        partners=[d.name for d in task.partner_departments.all()],
        measures=list(task.measures.all()),
        milestones=list(task.milestones.all()),
        indicators=list(task.indicators.all()),
        reports=list(
            task.reports.exclude(status=ReportStatus.DRAFT)
            .select_related("submitted_by", "reviewed_by")
            .order_by("month")
        ),
        instructions=list(task.instructions.select_related("leader", "responded_by")),
        listings=list(task.listings.select_related("listed_by", "lifted_by")),
    )


def _day(value):
    if value is None:
        return "—"
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return f"{value:%Y-%m-%d}"


def filename(task):
    return f"督办档案-{task.code}-{task.title[:30]}.docx"


def write_docx(dossier, out):
    """The dossier as a Word document (A4) into the file object `out`."""
    task = dossier.task
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)

    title = document.add_heading(f"{task.code} {task.title}", level=1)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(
        f"{task.project.plan.year}年 · {task.project.title}　导出于 "
        f"{timezone.localtime():%Y-%m-%d %H:%M}"
    )
    _table(
        document,
        None,
        [
            ("牵头单位", str(task.lead_department or "未确定")),
            ("配合单位", "、".join(dossier.partners) or "—"),
            ("责任领导", str(task.responsible_leader or "—")),
            ("状态", task.get_status_display()),
            ("开始日期", _day(task.start_date)),
            ("完成时限", _day(task.due_date)),
            ("完成进度", f"{task.percent}%"),
        ],
    )

    document.add_heading("任务原文", level=2)
    for line in task.text.splitlines() or [""]:
        document.add_paragraph(line)
    if dossier.measures:
        document.add_heading("具体措施", level=2)
        for measure in dossier.measures:
            document.add_paragraph(f"{measure.number}. {measure.text}")

    document.add_heading("节点", level=2)
    _table(
        document,
        ["节点", "计划完成", "实际完成", "说明"],
        [(m.title, _day(m.due_date), _day(m.completed_on), m.note) for m in dossier.milestones],
        empty="暂无节点。",
    )
    document.add_heading("量化指标", level=2)
    _table(
        document,
        ["指标", "目标", "最新值", "截至", "达成"],
        [
            (
                i.name,
                f"{i.get_comparison_display()} {i.target_display}",
                indicator_shown(i, i.actual) or "未报",
                f"{i.as_of_month:%Y-%m}" if i.as_of_month else "—",
                "已达成" if i.is_met else "未达成",
            )
            for i in dossier.indicators
        ],
        empty="无量化指标。",
    )

    document.add_heading("月度进展", level=2)
    if not dossier.reports:
        document.add_paragraph("尚无月度进展。")
    for report in dossier.reports:
        document.add_heading(
            f"{report.month.year}年{report.month.month}月 · {report.get_status_display()} · "
            f"进度 {report.percent}%",
            level=3,
        )
        for label, text in (
            ("本月进展", report.progress),
            ("存在问题", report.problems),
            ("下步计划", report.next_steps),
            ("进度说明", report.percent_note),
            ("退回原因", report.return_reason if report.status == ReportStatus.RETURNED else ""),
        ):
            if text:
                _labelled(document, label, text)
        signed = f"报送：{report.submitted_by or '—'} {_day(report.submitted_at)}"
        if report.reviewed_by:
            signed += f"；审核：{report.reviewed_by} {_day(report.reviewed_at)}"
        document.add_paragraph(signed)

    document.add_heading("领导批示", level=2)
    if not dossier.instructions:
        document.add_paragraph("暂无批示。")
    for instruction in dossier.instructions:
        _labelled(
            document,
            f"{instruction.leader}（{_day(instruction.created_at)}）",
            instruction.text,
        )
        if instruction.response:
            _labelled(
                document,
                f"落实情况（{instruction.responded_by}，{_day(instruction.responded_at)}）",
                instruction.response,
            )
        else:
            document.add_paragraph("落实情况：待落实")

    document.add_heading("挂牌督办", level=2)
    _table(
        document,
        ["级别", "事由", "督办时限", "挂牌", "摘牌"],
        [
            (
                listing.get_level_display() + ("（公开）" if listing.is_public else ""),
                listing.reason,
                _day(listing.deadline),
                f"{listing.listed_by} {_day(listing.listed_at)}",
                f"{listing.lifted_by} {_day(listing.lifted_at)}：{listing.lift_reason}"
                if listing.lifted_at
                else "督办中",
            )
            for listing in dossier.listings
        ],
        empty="未挂牌。",
    )
    document.save(out)
    return out


def _labelled(document, label, text):
    paragraph = document.add_paragraph()
    paragraph.add_run(f"{label}：").bold = True
    paragraph.add_run(text)


def _table(document, header, rows, empty=""):
    """A bordered table; `header` None: two columns of label and value."""
    if not rows:
        if empty:
            document.add_paragraph(empty)
        return
    width = len(header) if header else 2
    table = document.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    if header:
        cells = table.add_row().cells
        for cell, text in zip(cells, header, strict=True):
            cell.text = text
            cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = str(text or "")
    document.add_paragraph()
