"""Plan documents as text: UTF-8 text, Word .docx (also .wps saved as .docx) and PDF.

:func:`read_plan_file` turns an uploaded or named file into the plain text that
:func:`plan_parser.parse_plan` reads, or raises :class:`PlanParseError` with a message in
Chinese.  The kind is told by the file's first bytes, not by its name.

* .docx (python-docx): one line per paragraph, in document order with the tables; Word's
  automatic numbering (一、 （一） 1. …), which is not part of a paragraph's text, is written out
  as the paragraph's marker.  A task table whose header names units or deadlines (序号 | 任务 |
  牵头单位 | 配合单位 | 完成时限) becomes numbered items with a note: ``1. 任务（牵头单位：…；…）``.
* PDF (pypdf): the text layer, page by page; lines that the page width broke are joined again.
  A PDF without a text layer (a scan) is refused with a clear message.
"""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pypdf
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf.errors import PdfReadError

from .plan_parser import PlanParseError, cn_numeral, decode_plan_bytes

__all__ = ["read_plan_file"]

ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # .doc, .wps, .xls of the old binary formats
MIN_PDF_CHARS = 20  # fewer characters of text than this: a scan

#: a line that starts a new paragraph even when the previous one ran to the page's edge
MARKER_START_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.．﹒、]"
    r"|[一二三四五六七八九十]是|第[一二三四五六七八九十]{1,3}[条章，,、]|附件)"
)
PARAGRAPH_END_RE = re.compile(r"[。！？!?：:；;）)”」』]$")
TABLE_LABEL_RE = re.compile(r"单位|部门|处室|科室|时限|时间|节点")
TABLE_NUMBER_RE = re.compile(r"^(?:序号|编号|序)$")


def read_plan_file(data: bytes, name: str = "") -> str:
    """The text of a plan document given as bytes (``name`` is only used in messages)."""
    if data.startswith(PDF_MAGIC):
        return _checked(read_pdf(data))
    if data.startswith(ZIP_MAGIC):
        return _checked(read_docx(data))
    if data.startswith(OLE_MAGIC):
        raise PlanParseError(
            "这是旧版 Word/WPS 文件（.doc/.wps），无法直接读取：请在 Word 或 WPS 中“另存为”"
            ".docx 格式（或 PDF、UTF-8 文本）后重新上传。"
        )
    return decode_plan_bytes(data)


def _checked(text: str) -> str:
    if not text.strip():
        raise PlanParseError("文档中没有文字内容，请检查是否选错了文件。")
    return text


# --- .docx ---------------------------------------------------------------------------------


def read_docx(data: bytes) -> str:
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PlanParseError(
            "无法读取该 Word 文档：文件已损坏，或不是 .docx 格式（请用 Word 或 WPS 另存为 .docx）。"
        ) from exc
    numbering = _Numbering(document)
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = Paragraph(child, document)
            text = paragraph.text.strip()
            if text:
                lines.append(numbering.label(paragraph) + text)
        elif child.tag == qn("w:tbl"):
            lines.extend(_table_lines(Table(child, document)))
    return "\n".join(lines)


class _Numbering:
    """Writes out Word's automatic list numbers (一、 （一） 1. …) as text."""

    def __init__(self, document):
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.abstract_of: dict[str, str] = {}
        self.counters: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        for abstract in root.findall(qn("w:abstractNum")):
            abstract_id = abstract.get(qn("w:abstractNumId"))
            for level in abstract.findall(qn("w:lvl")):
                ilvl = int(level.get(qn("w:ilvl"), "0"))
                fmt = _val(level, "w:numFmt") or "decimal"
                text = _val(level, "w:lvlText") or ""
                start = int(_val(level, "w:start") or "1")
                self.levels[(abstract_id, ilvl)] = (fmt, text, start)
        for num in root.findall(qn("w:num")):
            abstract = num.find(qn("w:abstractNumId"))
            if abstract is not None:
                self.abstract_of[num.get(qn("w:numId"))] = abstract.get(qn("w:val"))

    def label(self, paragraph) -> str:
        num_pr = self._num_pr(paragraph)
        if num_pr is None:
            return ""
        num_id = _val(num_pr, "w:numId")
        ilvl = int(_val(num_pr, "w:ilvl") or "0")
        abstract_id = self.abstract_of.get(num_id or "")
        if abstract_id is None or (abstract_id, ilvl) not in self.levels:
            return ""
        counters = self.counters.setdefault(abstract_id, {})
        fmt, text, start = self.levels[(abstract_id, ilvl)]
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [level for level in counters if level > ilvl]:
            del counters[deeper]
        if fmt == "bullet" or not text:
            return ""

        def number(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            level_fmt, _, level_start = self.levels.get((abstract_id, level), (fmt, "", 1))
            return _format(counters.get(level, level_start), level_fmt)

        return re.sub(r"%(\d)", number, text)

    @staticmethod
    def _num_pr(paragraph):
        p_pr = paragraph._p.pPr
        num_pr = p_pr.find(qn("w:numPr")) if p_pr is not None else None
        if num_pr is None and paragraph.style is not None:
            style_pr = paragraph.style.element.pPr
            num_pr = style_pr.find(qn("w:numPr")) if style_pr is not None else None
        return num_pr


def _val(element, tag: str) -> str | None:
    child = element.find(qn(tag))
    return child.get(qn("w:val")) if child is not None else None


def _format(value: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional"):
        return cn_numeral(value)
    if fmt in ("japaneseCounting", "ideographDigital", "taiwaneseCounting"):
        return cn_numeral(value)
    return str(value)


def _table_lines(table) -> list[str]:
    """A task table as numbered items with a note of its unit and deadline columns; any
    other table as one line per row."""
    rows = [[cell.text.strip().replace("\n", "") for cell in row.cells] for row in table.rows]
    rows = [_dedupe(row) for row in rows if any(row)]
    if not rows:
        return []
    header = rows[0]
    labelled = [i for i, h in enumerate(header) if TABLE_LABEL_RE.search(h)]
    if not labelled or len(rows) < 2:
        return ["\u3000".join(c for c in row if c) for row in rows]
    number_col = next((i for i, h in enumerate(header) if TABLE_NUMBER_RE.match(h)), None)
    lines = []
    for index, row in enumerate(rows[1:], start=1):
        row = row + [""] * (len(header) - len(row))
        number = row[number_col] if number_col is not None and row[number_col] else str(index)
        content = "".join(
            row[i] for i in range(len(header)) if i not in labelled and i != number_col
        ).strip()
        notes = "；".join(f"{header[i]}：{row[i]}" for i in labelled if row[i])
        if not content:
            continue
        number = number.rstrip(".．、")
        lines.append(f"{number}. {content}" + (f"（{notes}）" if notes else ""))
    return lines


def _dedupe(row: list[str]) -> list[str]:
    """python-docx repeats a merged cell's text once per grid column: keep it once."""
    out: list[str] = []
    for cell in row:
        if not out or cell != out[-1] or not cell:
            out.append(cell)
    return out


# --- PDF -----------------------------------------------------------------------------------


def read_pdf(data: bytes) -> str:
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PlanParseError("该 PDF 文件已加密，请先解除密码保护后再上传。")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PlanParseError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise PlanParseError("无法读取该 PDF 文件：文件可能已损坏，请重新导出后上传。") from exc
    text = "\n".join(pages)
    if len(re.sub(r"\s", "", text)) < MIN_PDF_CHARS:
        raise PlanParseError(
            "该 PDF 没有可提取的文字（可能是扫描件或图片）：请上传带文字层的 PDF，"
            "或 Word（.docx）、UTF-8 文本格式的计划文档。"
        )
    return join_wrapped_lines(text)


def join_wrapped_lines(text: str) -> str:
    """Join the lines that a PDF page broke inside a paragraph.

    A line is joined to the next when it ran (nearly) to the right edge, does not end a
    sentence, and the next line does not start with a marker (一、 （一） 1. …)."""
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    lengths = sorted(len(line) for line in lines)
    full = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 5 else lengths[-1]
    out = [lines[0]]
    for previous, line in zip(lines, lines[1:], strict=False):
        wrapped = (
            len(previous) >= full * 0.85
            and not PARAGRAPH_END_RE.search(previous)
            and not MARKER_START_RE.match(line)
        )
        if wrapped:
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)
