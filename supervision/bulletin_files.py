"""The 督查通报 as a .docx (python-docx) and as a PDF (reportlab) of the same content.

Both are rendered from one list of blocks (`blocks`), built from the stored bulletin only, so
the two files say the same and never change after issue. Layout follows the habits of
government documents (GB/T 9704): A4, margins 37/35/28/26 mm, the title and headings in 黑体,
the text in 仿宋 (font names set for East Asian text, so Word and WPS use them where installed
and fall back otherwise), page numbers “— N —” centred in the footer.

The PDF uses reportlab (pure Python, offline, long maintained) with the CID font STSong-Light
of the PDF standard's Chinese font pack: every reader has it, so nothing is embedded or
shipped. (The Noto CJK fonts on our machines are CFF-flavoured OpenType collections, which
reportlab cannot embed.) Nothing here touches the database.
"""

import io
import zipfile
from xml.sax.saxutils import escape

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.months import cn_month

NUMERALS = "一二三四五六七八九十"
FANGSONG = "仿宋"
HEITI = "黑体"
PDF_FONT = "STSong-Light"
RED = RGBColor(0xC0, 0x00, 0x00)  # the 红头 title
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def cn_date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def blocks(bulletin):
    """[(kind, …)]: ("title", text), ("meta", text), ("heading", text), ("para", text),
    ("table", header, rows)."""
    f = bulletin.facts
    issued = timezone.localtime(bulletin.issued_at).date() if bulletin.issued_at else None
    number = f"{bulletin.month.year}年第{bulletin.number}期" if bulletin.number else "（草稿）"
    out = [
        ("title", "督查通报"),
        ("meta", number),
        ("meta", f"{bulletin.issuer}　　{cn_date(issued) if issued else '未印发'}"),
        ("subtitle", f"关于{cn_month(bulletin.month)}年度工作计划落实情况的通报"),
    ]
    sections = [
        ("总体情况", bulletin.overview, None),
        (
            "完成情况",
            bulletin.completed,
            (
                ["牵头单位", "已完成", "已办结", "牵头任务"],
                [
                    [r["department"], r["completed"], r["closed"], r["tasks"]]
                    for r in f["completed"]
                ],
            ),
        ),
        (
            "滞后事项",
            bulletin.lagging,
            (
                ["编号", "任务", "牵头单位", "完成时限", "逾期天数", "进度", "原因"],
                [
                    [
                        r["code"],
                        r["title"],
                        r["department"],
                        r["due"],
                        r["days"],
                        f"{r['percent']}%",
                        r["reason"],
                    ]
                    for r in f["lagging"]
                ],
            ),
        ),
        (
            "",
            "",
            (
                ["牵头单位", "红灯", "黄灯", "平均进度", "序时进度"],
                [
                    [
                        r["department"],
                        r["red"],
                        r["yellow"],
                        f"{r['avg_percent']}%",
                        f"{r['avg_expected']}%",
                    ]
                    for r in f.get("behind", [])  # bulletins generated before it was kept
                ],
            ),
        ),
        (
            "挂牌督办事项",
            bulletin.listed,
            (
                ["编号", "任务", "挂牌级别", "督办时限", "状态"],
                [
                    [
                        r["code"],
                        r["title"],
                        r["level"],
                        r["deadline"],
                        "已超期" if r["late"] else "督办中",
                    ]
                    for r in f["listed"]
                ],
            ),
        ),
        (
            "督办约谈情况",
            bulletin.escalation,
            (
                ["日期", "约谈单位", "事项", "约谈领导", "整改事项"],
                [
                    [
                        r["date"],
                        r["department"],
                        f"{r['code']} {r['title']}",
                        r["leader"],
                        r["follow_up"],
                    ]
                    for r in f.get("interviews", [])  # bulletins generated before they were kept
                ],
            ),
        ),
        (
            "",
            "",
            (
                ["文号", "受文单位", "事项", "签收"],
                [
                    [
                        r["number"],
                        r["department"],
                        f"{r['code']} {r['title']}",
                        "已签收" if r["signed"] else "未签收",
                    ]
                    for r in f.get("letters", [])
                ],
            ),
        ),
        (
            "",
            "",
            (
                ["日期", "通报批评单位", "事项", "决定"],
                [
                    [r["date"], r["department"], f"{r['code']} {r['title']}", r["decision"]]
                    for r in f.get("criticisms", [])
                ],
            ),
        ),
        (
            "领导批示落实",
            bulletin.instructions,
            (
                ["编号", "任务", "批示领导", "批示内容", "批示日期"],
                [
                    [r["code"], r["title"], r["leader"], r["text"], r["at"]]
                    for r in f["instructions"]
                ],
            ),
        ),
        (
            "报送情况",
            bulletin.reporting,
            (
                ["单位", "未报送", "逾期报送"],
                _reporting_rows(f),
            ),
        ),
    ]
    if bulletin.ranking:
        sections.append(
            (
                "目标绩效考核排名",
                "",
                (
                    ["名次", "单位", "得分"],
                    [[r["rank"], r["department"], r["total"]] for r in bulletin.ranking],
                ),
            )
        )
    sections.append(("下步工作", bulletin.next_steps, None))
    number = 0
    for heading, text, table in sections:
        if heading:  # "": one more table of the section above
            out.append(("heading", f"{NUMERALS[number]}、{heading}"))
            number += 1
        for line in (text or "").splitlines():
            if line.strip():
                out.append(("para", line.strip()))
        if table and table[1]:
            out.append(("table", table[0], [[str(c) for c in row] for row in table[1]]))
    return out


def _reporting_rows(f):
    rows = {}
    for r in f["missing"]:
        rows.setdefault(r["department"], [r["department"], 0, 0])[1] = r["missing"]
    for r in f["late"]:
        rows.setdefault(r["department"], [r["department"], 0, 0])[2] = r["late"]
    return list(rows.values())


# --- .docx -----------------------------------------------------------------------------------


def _fonts(run_or_style, name, size=None, bold=None):
    font = run_or_style.font
    font.name = name
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attr), name)


def _page_number(paragraph):
    """“— PAGE —” with Word's PAGE field."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(paragraph.add_run("— "), FANGSONG, 14)
    run = paragraph.add_run()
    _fonts(run, FANGSONG, 14)
    for kind, text in (
        ("begin", None),
        (None, " PAGE "),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        if kind:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        else:
            node = OxmlElement("w:instrText" if text.startswith(" ") else "w:t")
            node.set(qn("xml:space"), "preserve")
            node.text = text
        run._r.append(node)
    _fonts(paragraph.add_run(" —"), FANGSONG, 14)


def as_docx(bulletin):
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _fonts(document.styles["Normal"], FANGSONG, 16)
    _page_number(section.footer.paragraphs[0])
    for block in blocks(bulletin):
        kind = block[0]
        if kind == "table":
            _docx_table(document, block[1], block[2])
            continue
        paragraph = document.add_paragraph()
        run = paragraph.add_run(block[1])
        if kind == "title":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _fonts(run, HEITI, 26, bold=False)
            run.font.color.rgb = RED
        elif kind in ("meta", "subtitle"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _fonts(run, HEITI if kind == "subtitle" else FANGSONG, 18 if kind == "subtitle" else 16)
        elif kind == "heading":
            _fonts(run, HEITI, 16)
        else:
            paragraph.paragraph_format.first_line_indent = Pt(32)
            _fonts(run, FANGSONG, 16)
    out = io.BytesIO()
    document.save(out)
    return _stable(out.getvalue())


def _stable(package):
    """The package with every member dated 1980-01-01: the zip otherwise stamps each member
    with the time of writing, and the same bulletin must give the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


def _docx_table(document, header, rows):
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _fonts(cell.paragraphs[0].add_run(text), HEITI, 12)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = ""
            _fonts(cell.paragraphs[0].add_run(text), FANGSONG, 12)
    document.add_paragraph()


# --- PDF -------------------------------------------------------------------------------------


def _styles():
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    base = {"fontName": PDF_FONT, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle(
            "title",
            fontSize=26,
            leading=36,
            alignment=TA_CENTER,
            textColor=colors.red,
            spaceAfter=6,
            **base,
        ),
        "meta": ParagraphStyle("meta", fontSize=14, leading=22, alignment=TA_CENTER, **base),
        "subtitle": ParagraphStyle(
            "subtitle",
            fontSize=17,
            leading=28,
            alignment=TA_CENTER,
            spaceBefore=12,
            spaceAfter=8,
            **base,
        ),
        "heading": ParagraphStyle("heading", fontSize=15, leading=26, spaceBefore=8, **base),
        "para": ParagraphStyle(
            "para", fontSize=14, leading=24, firstLineIndent=28, alignment=TA_JUSTIFY, **base
        ),
        "cell": ParagraphStyle("cell", fontSize=10, leading=14, **base),
    }


def _page(canvas, doc):
    canvas.saveState()
    canvas.setFont(PDF_FONT, 12)
    canvas.drawCentredString(A4[0] / 2, 18 * mm, f"— {doc.page} —")
    canvas.restoreState()


WIDE = {
    "任务": 3,
    "批示内容": 4,
    "原因": 3,
    "牵头单位": 2.4,
    "单位": 3,
    "批示日期": 1.9,
    "完成时限": 1.9,
    "督办时限": 1.9,
}
TEXT_WIDTH = (210 - 28 - 26) * mm


def _widths(header):
    """Column widths over the text width: wide for names and texts, narrow for figures."""
    weights = [WIDE.get(h, 1.4) for h in header]
    return [TEXT_WIDTH * w / sum(weights) for w in weights]


def as_pdf(bulletin):
    styles = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        topMargin=37 * mm,
        bottomMargin=35 * mm,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        title=str(bulletin),
        author=bulletin.issuer,
    )
    story = []
    for block in blocks(bulletin):
        kind = block[0]
        if kind == "table":
            cells = [
                [Paragraph(escape(c), styles["cell"]) for c in row] for row in [block[1], *block[2]]
            ]
            table = Table(cells, repeatRows=1, hAlign="LEFT", colWidths=_widths(block[1]))
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            story += [table, Spacer(1, 4 * mm)]
        else:
            story.append(Paragraph(escape(block[1]), styles[kind]))
    doc.build(story, onFirstPage=_page, onLaterPages=_page)
    return out.getvalue()
