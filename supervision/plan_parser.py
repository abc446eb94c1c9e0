"""Parse a Chinese government work plan (工作计划 / 实施方案 / 工作要点) into a plan tree.

Pure Python, standard library only; no Django.  The Django layer codes against
:func:`decode_plan_bytes`, :func:`parse_plan`, :func:`content_lines` and :class:`PlanParseError`.

Grammar
=======
The text is first reduced to its *content lines*: lines stripped of indentation (ASCII spaces
and U+3000), empty lines dropped, and *junk* dropped: web page chrome (扫一扫在手机打开当前页,
打印本页, 关闭窗口, 分享到, 字号：大 中 小, 来源：…), pkulaw export headers (【法宝引证码】,
原文链接：…), bare URLs, document numbers alone on a line (（皖政办秘〔2021〕82号）), date-only
lines (2021年9月2日), a signature (an issuing authority alone on the line right before a date
line) and page numbers (— 3 —).  Known footer phrases glued to the end of a content line are cut
off.  When in doubt a line is kept: an extra line is better than a lost character.

Plan      := [title] preamble section+
title     := the first line before the first section that looks like a document title
             (short, no sentence punctuation, contains 计划/方案/要点/意见/通知/…)
section   := "一、" heading NEWLINE body          (Chinese numeral + 、 at a line start, in order;
             the next heading glued after a paragraph's final 。 is split off too)
body      := summary (parent | item)*  |  paragraph+  |  sentence+
parent    := "（一）" text (item)*                (second level, at a line start, in order)
item      := marker text

Item markers (``MARKER_RE`` matches every marker string the parser removes):

* numbered: ``1.`` ``1、`` ``1．`` ``1﹒`` ``（1）`` ``(1)``;
* 一是 二是 … ; 首先是 其次是 第三是 … 再次是 最后是 ; 第一， 第二， … ;
* 在……方面， (one item per sentence starting 在X方面; nothing is removed, the title is X).

Markers may be inline: a marker counts at a paragraph start or right after 。；：！？ (so
统一是 never matches), numbers must run in sequence (1, 2, 3 … ; a numbered list at line
starts may start at any number because plans often number items continuously across （一）
groups), and a family needs at least two items.  The family whose first item comes first
wins; markers of the other families stay in the item text.

A section without markers gives one task per paragraph; a single paragraph gives one task per
sentence (。！？), unless it names responsible units or opens with a short heading sentence,
in which case it is one task.  A paragraph that only names responsible units (责任单位：…) is
attached to the paragraph before it (or to the summary).

Documents wrapping documents
============================
A notice (通知) often wraps one or more documents, each with its own 一、 sections.  When the
numbering restarts at 一、, the new document's title line and intro paragraphs (the lines
between the last title-like line and the restarted heading) become a *divider project*: a
project whose title is the document title, whose summary is the intro, with no tasks.  The
following sections continue as projects, numbered on (numbers stay unique and ordered, and
every character stays in document order).  The notice text and the first document's title and
intro go into the preamble.  Text after the last section (e.g. 附件 lists) stays in the last
task's text: no content is ever dropped.

Extracted fields
================
* lead / partners: only units written in the text, in every usual form: a note in parentheses
  anywhere, alone or beside other clauses (（2022年6月底前完成，责任单位：A）, （10分，牵头处室：A，
  配合处室：B）); any label ending in 单位/部门/处室/科室 (责任单位：A、B — the first leads);
  A牵头 / A负责 / A主办 / A、B按职责分工负责 / B、C配合 / B、C按职责分工配合; 由A负责…;
  A会同B…; a bare list beside such clauses in a note follows their role; a line or sentence
  ending with 责任单位：….  A task's lead is the lead of its first note, its partners every other
  unit named in any of its notes; each measure keeps the units of its own note (or the task's).
  Section summaries and parent tasks pass their units down to tasks that name none.
* indicators: a quantity with a comparison word: 10家以上, 不少于3次, 90%以上, 48小时内,
  不超过N, 达到N, 控制在N以内, 最高N万元.  Bare numbers, years and ordinals are ignored.  A rate
  compared with another (A增速高于B增速) is a relative indicator: comparison ">" or "<", no
  target, and the named `reference`.
* due: only deadline phrases: 年内/年底/全年 → 12-31, N月底(前) → end of month, 上半年,
  一季度…, M月D日前, 2012年10月, 2023年底, 到2023年.  A quantity (5年内), a recurring date
  (每年3月底前) and 长期坚持/按进度推进 give none.  Each measure has its own deadline; the task's
  is the one it states (完成时限：…), else the latest of its measures.
* due_workdays: a completion limit in 工作日 (自交办之日起30个工作日内完成…, 印发后20个工作日内
  制定…): N, when the text has no calendar deadline.  The parser knows no calendar, so the date
  is counted later (planio.workday_dues).  A limit is the item's own only when 内 is followed
  by a completion verb (完成/办结/报送/制定…) and its clause names no recurring service
  (一般事项5个工作日内反馈, 工单在1个工作日内转办, 审批时间不超过15个工作日, 开办时间压缩至3个
  工作日以内): those are service standards (indicators at most), never the item's deadline.
* rhythm: monthly (按月/每月/月度) or quarterly (每季度/按季度/季度).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MARKER_RE",
    "cn_numeral",
    "PlanParseError",
    "content_lines",
    "decode_plan_bytes",
    "parse_plan",
]


class PlanParseError(ValueError):
    """The document cannot be read as a plan; ``str(e)`` is a message in Chinese for the user."""


# --------------------------------------------------------------------------------------------
# Regular expressions
# --------------------------------------------------------------------------------------------

CN_DIGITS = "零〇一二两三四五六七八九十百"
CN_NUM = "[一二三四五六七八九十]{1,3}"

SECTION_RE = re.compile(rf"^({CN_NUM})、(?!{CN_NUM}、)(\S.*)$")
#: a section heading glued to the end of the previous paragraph (…改革。三、标题)
GLUED_SECTION_RE = re.compile(
    rf"^(.*[。！？!?][”’」』）)]*)\s*(({CN_NUM})、[^。，,；;！？!?]{{2,40}})$"
)
L2_RE = re.compile(rf"[（(]({CN_NUM})[）)]")
NUM_DOT_RE = re.compile(r"(\d{1,2})[.．﹒、](?![\d.．﹒、])")
NUM_PAREN_RE = re.compile(r"[（(](\d{1,2})[）)]")
CN_SHI_RE = re.compile(rf"({CN_NUM})是")
ORDINAL_RE = re.compile(
    rf"(?:(首先|其次|再次|最后)(?:是|[，,、：:])|第({CN_NUM})(?:是|[，,、：:]))"
)
ZAI_RE = re.compile(r"在([^，,。；;：:！？!?\n]{1,30}?)方面(?=[，,：:])")

#: Every marker string the parser strips from the text (section, second level and item
#: markers).  Tests use it to check that nothing but markers is dropped.
MARKER_RE = re.compile(
    rf"(?:{CN_NUM}、|[（(]{CN_NUM}[）)]|[（(]\d{{1,2}}[）)]|\d{{1,2}}[.．﹒、]|{CN_NUM}是"
    rf"|(?:首先|其次|再次|最后)(?:是|[，,、：:])|第{CN_NUM}(?:是|[，,、：:]))"
)

BOUNDARY_CHARS = "\n。；;：:！？!?"
SENTENCE_END_RE = re.compile(r"(?<=[。！？!?])[”’」』）)]*")
MEASURE_SPLIT_RE = re.compile(r"(?<=[；;])")
HEADING_CUT_RE = re.compile(r"[。：:]")
TITLE_CUT_RE = re.compile(r"[。！？!?；;\n]")
CLAUSE_CUT_RE = re.compile(r"[，,；;：:]")
TIME_CLAUSE_RE = re.compile(
    r"^(?:(?:到|至|截至|截止|在)?\d{4}年(?:\d{1,2}月)?(?:底|末|内|前)?|年内|年底前|全年|同时|此外|其中)$"
)

# Junk lines ---------------------------------------------------------------------------------
FOOTER_TAIL_RE = re.compile(
    r"(?:\s*(?:扫一扫在手机打开当前页|【?打印本页】?|【?关闭窗口】?|【打印】|【关闭】|返回顶部))+$"
)
CHROME_TOKEN_RE = re.compile(
    r"扫一扫在手机打开当前页|打印本页|打印|关闭窗口|关闭|收藏本页|收藏|返回顶部|我要纠错|纠错"
    r"|分享到[:：]?(?:微信|微博|新浪微博|腾讯微博|QQ空间|朋友圈|QQ|\s|、)*"
    r"|(?:字号|字体)[:：]?\s*大\s*中\s*小|[|｜/【】\[\]\s]"
)
PKULAW_RE = re.compile(
    r"^(?:【(?:法宝引证码|发布部门|发文字号|发布日期|实施日期|时效性|效力级别|法规类别|"
    r"失效依据)】|原文链接[:：]|(?:来源|信息来源|发布时间|发布日期|浏览次数|点击次数|访问次数)[:：])"
)
URL_RE = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
DOC_NUMBER_RE = re.compile(
    r"^[（(]?[\u4e00-\u9fff]{1,14}\s*[〔\[【［(（]\s*\d{4}\s*[〕\]】］)）]\s*第?\s*\d{1,4}\s*号[）)]?$"
)
DATE_BODY = (
    rf"(?:\d{{4}}|[{CN_DIGITS}]{{4}})\s*年\s*[\d{CN_DIGITS}]{{1,3}}\s*月"
    rf"\s*[\d{CN_DIGITS}]{{1,3}}\s*日"
)
DATE_LINE_RE = re.compile(rf"^[（(]?{DATE_BODY}[）)]?$")
ORG_SUFFIX = (
    r"(?:政府|办公厅|办公室|委员会|领导小组|小组|指挥部|局|厅|委|办|部|院|中心|公司|集团|支行"
    r"|分行|银行|海关|党委|会|署|所|处|室|站|社|馆|台|队|团|组|单位|企业)"
)
ORG_LINE_RE = re.compile(rf"^[\u4e00-\u9fff（）()、\s]{{2,40}}{ORG_SUFFIX}$")
ORG_DATE_LINE_RE = re.compile(rf"^[\u4e00-\u9fff]{{2,30}}{ORG_SUFFIX}\s+{DATE_BODY}$")
PAGE_NUMBER_RE = re.compile(
    r"^(?:[—－\-–]+\s*\d{1,4}\s*[—－\-–]+|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4})$"
)
TITLE_KEYWORD_RE = re.compile(
    r"计划|方案|要点|意见|通知|规划|办法|措施|细则|安排|政策|决定|纲要|清单|分工|报告"
)
TITLE_FORBIDDEN_RE = re.compile(r"[。，,；;！？!?：:]")

# Responsible units ---------------------------------------------------------------------------
UNIT_SUFFIX = (
    r"(?:政府|办公厅|办公室|委员会|领导小组|工作组|小组|指挥部|部门|单位|企业|公司|集团|支行|分行"
    r"|银行|海关|党委|党组|支部|中心|局|厅|委|办|院|会|署|所|处|科|室|站|社|馆|队|团|组)"
)
#: one unit name: 市发展改革委, 各区（市）政府, 省推进工业互联网创新发展专项工作组成员单位
UNIT_ITEM_RE = re.compile(rf"^[\u4e00-\u9fffA-Za-z0-9\ue000\ue001]{{1,40}}{UNIT_SUFFIX}$")
#: a label: 责任单位：… 牵头部门：… 配合处室：… 主责单位：… 协办科室：…
UNIT_LABEL_RE = re.compile(r"(?P<label>[\u4e00-\u9fff]{0,6}?(?:单位|部门|处室|科室))\s*[:：]\s*")
#: any label (完成时限：, 牵头市领导：): a unit list stops where the next label starts
ANY_LABEL_RE = re.compile(r"[\u4e00-\u9fff]{2,8}[:：]")
LEAD_LABEL_RE = re.compile(r"牵头|主责|主办|主管")
PARTNER_LABEL_RE = re.compile(r"配合|协办|协助|参与|参加|协同")
#: a role word at the end of a clause: A牵头 / A、B按职责分工负责 / B、C配合
ROLE_RE = re.compile(r"牵头负责|牵头|负责|主办|配合|协办|协助|参与")
ROLE_FILLER_RE = re.compile(
    r"(?:按照|按|依照|依据|根据|依)?(?:各自)?(?:职责分工|职能分工|职责|分工)?(?:分别|共同|具体)?$"
)
ROLE_END_RE = re.compile(
    r"(?:按照|按|依照|依)?(?:各自)?(?:职责分工|职责)?(?:分别|共同)?(?:牵头负责|牵头|负责|配合)$"
)
ROLE_TAIL_RE = re.compile(r"^(?:落实|实施|推进|组织实施|抓好落实)?$")
#: A会同B(等单位)… : A leads, B partners
TOGETHER_RE = re.compile(r"^(?:由)?(?P<a>[^，,；;。会]{2,40}?)会同(?P<b>.+)$")
TOGETHER_B_RE = re.compile(
    rf"^(?P<units>(?:[\u4e00-\u9fff\ue000\ue001]{{2,30}}?{UNIT_SUFFIX}[、和及]?)+?)"
    r"(?:等(?:有关|相关)?(?:单位|部门))?(?=[\u4e00-\u9fff])"
)
UNIT_SPLIT_RE = re.compile(r"[、，,；;/]")
UNIT_TAIL_RE = re.compile(r"(?:等(?:有关|相关)?(?:单位|部门)?)$")
#: a short parenthesis inside a word (各区（市）政府, 企业（工厂）) is part of the word
INLINE_PAREN_RE = re.compile(r"[（(]([^（）()，,。；;：:、\s]{1,4})[）)](?=[\u4e00-\u9fff])")
PAREN_RE = re.compile(r"[（(]([^（）()]{1,300})[）)]")
SEGMENT_SPLIT_RE = re.compile(r"[。！？!?\n]")
CLAUSE_SPLIT_RE = re.compile(r"[，,；;。\n]")
UNIT_PAREN_TAIL_RE = re.compile(
    r"\s*[（(][^（）()]*(?:牵头|负责|配合|单位|部门|处室)[^（）()]*[）)]\s*$"
)
#: interpretation clauses (本办法由X负责解释) name no responsible unit
NOT_ROLE_TAIL_RE = re.compile(r"解释")

# Indicators ---------------------------------------------------------------------------------
GE_PREFIXES = (
    "不少于|不低于|至少|达到|超过|突破|高于|多于|大于|提高到|提高至|提升到|提升至|增至|增加到|"
    "扩大到|扩大至|达"
)
LE_PREFIXES = (
    "不超过|不高于|不多于|控制在|低于|少于|小于|缩短到|缩短至|压缩到|压缩至|降至|降低到|降低至|"
    "最高|最多"
)
GE_SUFFIXES = "及以上|或以上|以上"
LE_SUFFIXES = "及以下|以下|以内|之内|内"
UNITS = (
    "个百分点|个工作日|工作日|平方公里|平方米|万平方米|万人次|人次|万元|亿元|万吨|万户|万家|万名|万人|"
    "万台|万个|个月|小时|分钟|公里|千米|千瓦|兆瓦|公顷|课时|学时|%|％|‰|元|个|家|次|项|件|天|日|"
    "人|名|台|套|所|座|米|亩|户|批|场|期|篇|条|份|张|辆|吨|倍|周|万|亿|年|处|类|种|部|支"
)
INDICATOR_RE = re.compile(
    rf"(?P<pre>{GE_PREFIXES}|{LE_PREFIXES})?\s*(?<![\d.．第前〔\[])"
    rf"(?P<num>\d+(?:\.\d+)?|[一二两三四五六七八九十百]+)\s*(?P<unit>{UNITS})"
    rf"(?P<suf>{GE_SUFFIXES}|{LE_SUFFIXES})?"
)
GE_PREFIX_SET = set(GE_PREFIXES.split("|"))
GE_SUFFIX_SET = set(GE_SUFFIXES.split("|"))
INDICATOR_CLAUSE_RE = re.compile(r"[^，,。；;：:！？!?\n]+")
NAME_CUT_RE = re.compile(r".*[等的、]")
#: a rate compared with a named reference instead of a number: 小微企业、涉农贷款增速高于各项贷款
#: 平均增速 → 小微企业、涉农贷款增速 > 各项贷款平均增速 (a relative target)
RATE_WORDS = r"增速|增幅|增长率|增长速度|比重|占比|比例|水平"
RELATIVE_RE = re.compile(
    rf"(?P<name>[^，,。；;：:！？!?\n]{{2,30}}?(?:{RATE_WORDS}))"
    rf"(?P<cmp>高于|快于|超过|低于|慢于)"
    rf"(?P<ref>[^，,。；;：:！？!?\n（(]{{2,30}}?(?:{RATE_WORDS}))"
)
RELATIVE_GT = {"高于", "快于", "超过"}
NAME_VERB_RE = re.compile(
    r"引进|新增|新建|建成|建设|培育|打造|完成|实现|推动|开展|组织|举办|发布|遴选|推广应用|推广|"
    r"采用|形成|编发|覆盖|办结|认定|创建|争取|确保|保持|给予|安排|吸引|招引|帮助|扶持|"
    r"落实|开通|设立|举行|召开|做到|作出|进行"
)
NAME_TRAIL_RE = re.compile(
    r"(?:提高|提升|增长|增加|降低|减少|达到|保持|稳定在|控制在|应用|在|于|为|是|要|均|都|应|需|"
    r"必须|力争|分别|累计|总计|每年|每月|每季度|全年|年内|后)+$"
)
NAME_LEAD_RE = re.compile(
    r"^(?:力争|确保|年内|全年|每年|每月|每季度|累计|共计|共|对|在|将|把|按|由|为|使|让|并|且|"
    r"同时|其中)+"
)

# Due dates and rhythm ---------------------------------------------------------------------------
#: 年内/年底 after a number is a quantity (5年内) or another year (2021年底, see FULL_DATE_RE)
YEAR_END_RE = re.compile(
    r"(?<![\d〇零一二两三四五六七八九十几数多半每])(?:年内|年底|年末)|(?<![每])全年|本年度"
)
#: phrases that mean "no single date": the measure has no deadline
NO_DATE_RE = re.compile(r"长期坚持|长期推进|按进度推进|按计划推进|常态化推进|持续推进落实")
#: a deadline the task states as its own: 完成时限：2019年12月底前
DUE_LABEL_RE = re.compile(
    r"(?:完成时限|完成时间|时间节点|时限要求|办结时限)\s*[:：]\s*([^\n。；;（）()]{1,30})"
)
HALF_YEAR_RE = re.compile(r"(上|下)半年")
QUARTER_RE = re.compile(r"(?<![每按逐])第?([一二三四1-4])季度")
MONTH_RE = re.compile(
    r"(?<![每次隔\d])(?<!每年)(?:(\d{4})年)?(\d{1,2}|[一二三四五六七八九十]{1,3})月份?"
    r"(底前|底|末|前|上旬前?|中旬前?|下旬前?)"
)
DAY_RE = re.compile(
    r"(?<![每次隔\d])(?<!每年)(?:(\d{4})年)?(\d{1,2}|[一二三四五六七八九十]{1,3})月"
    r"(\d{1,2}|[一二三四五六七八九十]{1,3})日(?:之前|以前|前)"
)
FULL_DATE_RE = re.compile(
    r"(到|至|截至|截止|于)?(?<!\d)(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})日)?)?(底|末|前|内)?"
)
#: "N个工作日内完成": a limit in working days followed by a completion verb (the item's own
#: deadline, counted from its 交办); 以内 / 不超过 / 压缩至 make a quantity, not a deadline
WORKDAY_LIMIT_RE = re.compile(
    r"(?<![过至])(\d{1,3}|[一二两三四五六七八九十]{1,3})个工作日内"
    r"(?:[须应要需必]|全部|全面|依法)?"
    r"(?:完成|办结|报送|上报|报|提交|制定|出台|印发|建成|整改到位|落实到位|拿出|形成)"
)
#: a recurring service limit: the clause before it names a kind of case handled again and
#: again (一般事项, 工单, 诉求, 申请, 业务, 批示件…) or a time standard (时间, 时限, 期限, 每…)
RECURRING_LIMIT_RE = re.compile(
    r"一般|事项|工单|诉求|申请|业务|批示件|案件|来信|来电|信访|投诉|每|均|凡|实行|限时|承诺|"
    r"时间|时限|期限|审批|登记|受理|转办|答复|办件"
)
MONTHLY_RE = re.compile(r"按月|每月|月度|逐月")
QUARTERLY_RE = re.compile(r"(?:每|按|逐)季度|(?<![一二三四1-4第上下])季度")


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------


def decode_plan_bytes(data: bytes) -> str:
    """Decode an uploaded plan file (UTF-8 text) and normalise its line ends."""
    if not data or not data.strip():
        raise PlanParseError("文件为空，请选择包含工作计划正文的文本文件。")
    if b"\x00" in data:
        raise PlanParseError("不是文本文件：请上传 UTF-8 编码的纯文本（.txt）工作计划。")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            data.decode("gb18030")
            hint = "（看起来是 GBK/GB2312 编码）"
        except UnicodeDecodeError:
            pass
        raise PlanParseError(
            f"文件不是 UTF-8 编码{hint}，请用记事本等工具另存为 UTF-8 编码后重新上传。"
        ) from exc
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(1 for ch in text if _is_control(ch))
    if controls > max(3, len(text) // 100):
        raise PlanParseError("不是文本文件：文件中含有大量控制字符，请上传纯文本（.txt）工作计划。")
    if not text.strip():
        raise PlanParseError("文件为空，请选择包含工作计划正文的文本文件。")
    return text


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return (code < 32 and ch not in "\t\n\f\v") or code == 0x7F


# --------------------------------------------------------------------------------------------
# Content lines (junk removal)
# --------------------------------------------------------------------------------------------


def content_lines(text: str) -> list[str]:
    """The plan-content lines of ``text``: junk removed, indentation stripped, no empty lines."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = [_strip_footer(line.strip()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    keep: list[str] = []
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _is_junk(line) or _is_signature(line, following):
            continue
        keep.append(line)
    return keep


def _strip_footer(line: str) -> str:
    return FOOTER_TAIL_RE.sub("", line).strip()


def _is_junk(line: str) -> bool:
    return bool(
        not CHROME_TOKEN_RE.sub("", line)
        or PKULAW_RE.match(line)
        or URL_RE.match(line)
        or DOC_NUMBER_RE.match(line)
        or DATE_LINE_RE.match(line)
        or ORG_DATE_LINE_RE.match(line)
        or PAGE_NUMBER_RE.match(line)
    )


def _is_signature(line: str, following: str) -> bool:
    """An issuing authority alone on the line right before a date-only line."""
    return bool(
        ORG_LINE_RE.match(line)
        and not TITLE_KEYWORD_RE.search(line)
        and DATE_LINE_RE.match(following)
    )


# --------------------------------------------------------------------------------------------
# Markers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A family of item markers, e.g. ``1.`` ``2.`` or ``一是`` ``二是``."""

    name: str
    regex: re.Pattern[str]
    line_start_only: bool = False
    free_start: bool = False  # a list at line starts may start at any number
    keeps_marker: bool = False  # the marker is part of the text (在……方面)


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    value: int | None  # None: any position in the sequence (再次是, 最后是, 在……方面)
    line_start: bool
    hint: str | None = None  # a title taken from the marker (在X方面 → X)


L2_FAMILY = Family("l2", L2_RE, line_start_only=True)
ITEM_FAMILIES = (
    Family("num_dot", NUM_DOT_RE, free_start=True),
    Family("num_paren", NUM_PAREN_RE, free_start=True),
    Family("cn_shi", CN_SHI_RE),
    Family("ordinal", ORDINAL_RE),
    Family("zai", ZAI_RE, keeps_marker=True),
)

CN_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
CN_VALUES.update({"五": 5, "六": 6, "七": 7, "八": 8, "九": 9})


def cn_to_int(numeral: str) -> int | None:
    """Convert a small Chinese or Arabic numeral (一 … 九十九, 百 as 100) to an int."""
    if numeral.isdigit():
        return int(numeral)
    if numeral == "百":
        return 100
    if "十" in numeral:
        tens, _, units = numeral.partition("十")
        high = CN_VALUES.get(tens, -1) if tens else 1
        low = CN_VALUES.get(units, -1) if units else 0
        return None if high < 0 or low < 0 else high * 10 + low
    if len(numeral) == 1 and numeral in CN_VALUES:
        return CN_VALUES[numeral]
    return None


def cn_numeral(value: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (1 … 99); other values as Arabic digits."""
    digits = "零一二三四五六七八九"
    if not 0 < value < 100:
        return str(value)
    tens, units = divmod(value, 10)
    if not tens:
        return digits[units]
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[units] if units else "")


def _at_boundary(text: str, pos: int) -> tuple[bool, bool]:
    """(is at a paragraph or sentence start, is at a line start)."""
    index = pos - 1
    while index >= 0 and text[index] in " \t\u3000":
        index -= 1
    if index < 0 or text[index] == "\n":
        return True, True
    return text[index] in BOUNDARY_CHARS, False


def _hit_value(family: Family, match: re.Match[str]) -> tuple[int | None, str | None]:
    if family.name == "zai":
        return None, match.group(1)
    if family.name == "ordinal":
        word = match.group(1)
        if word == "首先":
            return 1, None
        if word == "其次":
            return 2, None
        if word in ("再次", "最后"):
            return None, None
        return cn_to_int(match.group(2)), None
    return cn_to_int(match.group(1)), None


def _scan(text: str, family: Family) -> list[Hit]:
    """The accepted markers of one family in ``text`` (empty when fewer than two)."""
    accepted: list[Hit] = []
    expected: int | None = None
    for match in family.regex.finditer(text):
        ok, line_start = _at_boundary(text, match.start())
        if not ok or (family.line_start_only and not line_start):
            continue
        value, hint = _hit_value(family, match)
        hit = Hit(match.start(), match.end(), value, line_start, hint)
        if not accepted:
            starts = (
                value == 1
                or (family.name == "zai")
                or (family.free_start and line_start and value is not None and value > 0)
            )
            if starts:
                accepted.append(hit)
                expected = None if value is None else value + 1
            continue
        if value is None or value == expected:
            accepted.append(hit)
            expected = None if expected is None else expected + 1
    return accepted if len(accepted) >= 2 else []


def _find_items(text: str, families: tuple[Family, ...]) -> tuple[Family | None, list[Hit]]:
    best: tuple[Family | None, list[Hit]] = (None, [])
    for family in families:
        hits = _scan(text, family)
        if hits and (not best[1] or hits[0].start < best[1][0].start):
            best = (family, hits)
    return best


@dataclass
class Piece:
    """An item cut out of a body: its text (marker removed) and a title hint."""

    text: str
    hint: str | None = None
    children: list[Piece] | None = None


def _cut(text: str, family: Family, hits: list[Hit]) -> tuple[str, list[Piece]]:
    prefix = text[: hits[0].start].strip()
    pieces = []
    for index, hit in enumerate(hits):
        end = hits[index + 1].start if index + 1 < len(hits) else len(text)
        start = hit.start if family.keeps_marker else hit.end
        pieces.append(Piece(text[start:end].strip(), hit.hint))
    return prefix, pieces


# --------------------------------------------------------------------------------------------
# Bodies: summary + pieces
# --------------------------------------------------------------------------------------------


def _split_body(body: str) -> tuple[str, list[Piece]]:
    """Split a section body into its summary and its (possibly nested) task pieces."""
    l2_hits = _scan(body, L2_FAMILY)
    if l2_hits:
        summary, parents = _cut(body, L2_FAMILY, l2_hits)
        for parent in parents:
            family, hits = _find_items(parent.text, ITEM_FAMILIES)
            if family is not None:
                parent.text, parent.children = _cut(parent.text, family, hits)
        return summary, parents
    family, hits = _find_items(body, ITEM_FAMILIES)
    if family is not None:
        return _cut(body, family, hits)
    return _split_unmarked(body)


def _split_unmarked(body: str) -> tuple[str, list[Piece]]:
    summary = ""
    paragraphs: list[str] = []
    for paragraph in (p.strip() for p in body.split("\n")):
        if not paragraph:
            continue
        if _is_unit_line(paragraph):
            if paragraphs:
                paragraphs[-1] += "\n" + paragraph
            else:
                summary = f"{summary}\n{paragraph}".strip()
            continue
        paragraphs.append(paragraph)
    if len(paragraphs) >= 2:
        return summary, [Piece(p) for p in paragraphs]
    if not paragraphs:
        return summary, []
    paragraph = paragraphs[0]
    if _names_units(paragraph) or _opens_with_heading(paragraph):
        return summary, [Piece(paragraph)]
    return summary, [Piece(s) for s in split_sentences(paragraph)]


def _is_unit_line(paragraph: str) -> bool:
    """A paragraph that only names responsible units: 责任单位：… or （A牵头，B配合）."""
    if len(paragraph) > 160:
        return False
    if UNIT_LABEL_RE.match(paragraph.strip("（）() ")):
        return True
    return bool(PAREN_RE.fullmatch(paragraph)) and _names_units(paragraph)


def _names_units(text: str) -> bool:
    lead, partners = extract_units(text)
    return lead is not None or bool(partners)


def _opens_with_heading(paragraph: str) -> bool:
    first = TITLE_CUT_RE.split(paragraph, maxsplit=1)[0]
    return len(first) <= 20 and not CLAUSE_CUT_RE.search(first) and first != paragraph


def split_sentences(paragraph: str) -> list[str]:
    """Split at 。！？ (closing quotes stay with their sentence); parentheticals stay attached."""
    sentences: list[str] = []
    start = 0
    for match in SENTENCE_END_RE.finditer(paragraph):
        sentences.append(paragraph[start : match.end()])
        start = match.end()
    if start < len(paragraph):
        sentences.append(paragraph[start:])
    merged: list[str] = []
    for sentence in sentences:
        bare = sentence.strip()
        if merged and (not bare or PAREN_RE.fullmatch(bare)):
            merged[-1] += sentence
        else:
            merged.append(sentence)
    return [s.strip() for s in merged if s.strip()]


# --------------------------------------------------------------------------------------------
# Field extraction
# --------------------------------------------------------------------------------------------


def task_title(text: str, hint: str | None = None) -> str:
    """A short heading: the first clause of the first sentence, at most 40 characters."""
    if hint:
        return hint.strip()
    sentence = TITLE_CUT_RE.split(text.strip(), maxsplit=1)[0]
    sentence = UNIT_PAREN_TAIL_RE.sub("", sentence).strip()
    clauses = [c.strip() for c in CLAUSE_CUT_RE.split(sentence)]
    while len(clauses) > 1 and TIME_CLAUSE_RE.match(clauses[0]):
        clauses.pop(0)
    clause = clauses[0]
    title = clause if len(clause) >= 4 else sentence.strip()
    # a whole clause, never cut off inside it (the field holds 200 characters)
    return title.rstrip("，,、：:；;。.．！？!? ")[:200]


def split_measures(text: str) -> list[dict[str, Any]]:
    """Split at ；/; outside parentheses, keeping the punctuation, so the pieces concatenate
    back to ``text``."""
    pieces: list[str] = []
    start = depth = 0
    for index, char in enumerate(text):
        if char in "（(":
            depth += 1
        elif char in "）)":
            depth = max(0, depth - 1)
        elif char in "；;" and depth == 0:
            pieces.append(text[start : index + 1])
            start = index + 1
    pieces.append(text[start:])
    merged: list[str] = []
    for piece in pieces:
        if merged and not piece.strip():
            merged[-1] += piece
        elif piece:
            merged.append(piece)
    pieces = merged
    if not pieces:
        pieces = [text]
    return [{"number": n, "text": piece} for n, piece in enumerate(pieces, start=1)]


def _protect(text: str) -> str:
    """Mask the brackets of short in-word parentheses (各区（市）政府) with private-use marks of
    the same length, so that clause splitting keeps them inside the word."""
    return INLINE_PAREN_RE.sub(lambda m: f"\ue000{m.group(1)}\ue001", text)


def _clean_unit(unit: str) -> str:
    unit = unit.strip(" \u3000\t")
    for prefix in ("由", "以及", "及", "和", "请"):
        unit = unit.removeprefix(prefix)
    return UNIT_TAIL_RE.sub("", unit).strip()


def _is_unit(name: str) -> bool:
    return bool(UNIT_ITEM_RE.match(name)) and not ROLE_RE.search(name[-2:])


def _unit_list(raw: str, validate: bool = True) -> list[str]:
    """The units of a list ``A、B，C``; empty when ``validate`` and an item is not a unit."""
    units = [_clean_unit(u) for u in UNIT_SPLIT_RE.split(raw)]
    units = [u for u in units if u]
    if validate and not all(_is_unit(u) for u in units):
        return []
    return units


def _label_units(value: str) -> list[str]:
    """The leading unit names of a label's value; stops at the first item that is not one."""
    units: list[str] = []
    for item in UNIT_SPLIT_RE.split(value):
        item = _clean_unit(ROLE_END_RE.sub("", item.strip()))
        if not item:
            continue
        if not _is_unit(item):
            break
        units.append(item)
    return units


@dataclass
class Mention:
    """Units named in the text with their role: ``lead`` (first unit leads), ``partner``."""

    start: int
    role: str
    units: list[str]


def _label_mentions(masked: str) -> list[Mention]:
    found = []
    for match in UNIT_LABEL_RE.finditer(masked):
        rest = masked[match.end() :]
        stop = re.search(r"[。；;\n（）()]", rest)
        value = rest[: stop.start()] if stop else rest
        following = ANY_LABEL_RE.search(value)
        if following:
            value = value[: following.start()]
        units = _label_units(value)
        if not units:
            continue
        label = match.group("label")
        if PARTNER_LABEL_RE.search(label):
            role = "partner"
        else:
            role = "lead"  # 牵头单位, 主责单位, 责任单位 (the first leads), 单位
        found.append(Mention(match.start(), role, units))
    return found


def _role_clause(clause: str) -> tuple[str, list[str]] | None:
    """``A牵头`` / ``由A负责落实`` / ``A、B按职责分工配合`` → (role, units), else None."""
    if ":" in clause or "：" in clause:
        return None
    for match in reversed(list(ROLE_RE.finditer(clause))):
        head, tail = clause[: match.start()], clause[match.end() :]
        starts_with_you = head.startswith("由")
        if not ROLE_TAIL_RE.match(tail) and not (
            starts_with_you and len(tail) <= 12 and not NOT_ROLE_TAIL_RE.search(tail)
        ):
            continue
        head = ROLE_FILLER_RE.sub("", head)
        units = _unit_list(head)
        if units:
            role = "partner" if match.group(0) in ("配合", "协办", "协助", "参与") else "lead"
            return role, units
    return None


def _together_clause(clause: str) -> list[Mention]:
    """``A会同B等单位制定…``: A leads, B partners."""
    match = TOGETHER_RE.match(clause)
    if not match or not _is_unit(_clean_unit(match.group("a"))):
        return []
    partners = TOGETHER_B_RE.match(match.group("b"))
    mentions = [Mention(0, "lead", [_clean_unit(match.group("a"))])]
    if partners:
        units = _unit_list(partners.group("units").rstrip("、和及"))
        if units:
            mentions.append(Mention(0, "partner", units))
    return mentions


def _segments(masked: str) -> list[tuple[int, str, bool]]:
    """(start, text, is a parenthesis) of the notes in parentheses and the sentences outside."""
    segments: list[tuple[int, str, bool]] = []
    outside_start = 0
    depth_start = None
    for index, char in enumerate(masked + "\n"):
        if char in "（(" and depth_start is None:
            segments.extend(_sentences_at(masked, outside_start, index))
            depth_start = index + 1
        elif char in "）)" and depth_start is not None:
            segments.append((depth_start, masked[depth_start:index], True))
            depth_start = None
            outside_start = index + 1
    if depth_start is None:
        segments.extend(_sentences_at(masked, outside_start, len(masked)))
    return segments


def _sentences_at(text: str, start: int, end: int) -> list[tuple[int, str, bool]]:
    out = []
    position = start
    for part in SEGMENT_SPLIT_RE.split(text[start:end]):
        if part.strip():
            out.append((position, part, False))
        position += len(part) + 1
    return out


def _clause_mentions(masked: str) -> list[Mention]:
    """Role clauses, ``会同`` clauses and bare unit lists, note by note."""
    found: list[Mention] = []
    for start, segment, in_paren in _segments(masked):
        pending: list[str] = []
        mentions: list[Mention] = []
        position = start
        for clause in CLAUSE_SPLIT_RE.split(segment):
            bare = clause.strip()
            here = position
            position += len(clause) + 1
            if not bare:
                continue
            role = _role_clause(bare)
            if role:
                mentions.append(Mention(here, role[0], pending + role[1]))
                pending = []
                continue
            together = _together_clause(bare)
            if together:
                mentions.extend(Mention(here, m.role, m.units) for m in together)
                continue
            units = _unit_list(bare) if in_paren else []
            pending.extend(units)
        if pending and in_paren:
            # （A、B） alone is a list of responsible units; beside roles they follow the lead
            role = "partner" if mentions else "lead"
            if role == "lead" and not _note_at_end(masked, start, segment):
                pending = []
            if pending:
                mentions.append(Mention(start, role, pending))
        found.extend(mentions)
    return found


def _note_at_end(masked: str, start: int, segment: str) -> bool:
    """A parenthesis at the end of a sentence or measure (not inside a phrase)."""
    after = masked[start + len(segment) + 1 :].lstrip(" \u3000")
    return not after or after[0] in "。；;，,\n"


def extract_unit_mentions(text: str) -> list[Mention]:
    """Every unit named in ``text`` with its role, in text order."""
    masked = _protect(text)
    labelled = _label_mentions(masked)
    clauses = [
        m
        for m in _clause_mentions(masked)
        if not any(lab.start <= m.start < lab.start + 200 and _overlaps(lab, m) for lab in labelled)
    ]
    mentions = sorted(labelled + clauses, key=lambda m: m.start)
    for mention in mentions:
        mention.units = [_restore(u) for u in mention.units]
    return mentions


def _overlaps(label: Mention, other: Mention) -> bool:
    return bool(set(label.units) & set(other.units))


def _restore(unit: str) -> str:
    return unit.replace("\ue000", "（").replace("\ue001", "）")


def units_of(mentions: list[Mention]) -> tuple[str | None, list[str]]:
    """(lead, partners): the lead of the first note that names one; every other unit partners."""
    lead = next((m.units[0] for m in mentions if m.role == "lead"), None)
    partners: list[str] = []
    for mention in mentions:
        for unit in mention.units:
            if unit != lead and unit not in partners:
                partners.append(unit)
    return lead, partners


def extract_units(text: str) -> tuple[str | None, list[str]]:
    """(lead department, partner departments) written in ``text``."""
    return units_of(extract_unit_mentions(text))


def _number(raw: str) -> int | float | None:
    if raw[0].isdigit():
        value = float(raw)
    else:
        parsed = cn_to_int(raw)
        if parsed is None:
            return None
        value = float(parsed)
    return int(value) if value.is_integer() else value


def _trim_name(name: str) -> str:
    previous = None
    while previous != name:
        previous = name
        name = NAME_LEAD_RE.sub("", NAME_TRAIL_RE.sub("", name.strip(" \u3000")))
    return name


def _indicator_name(prefix: str) -> str:
    """The noun phrase right before a quantity: 力争年内引进…等金融机构 → 金融机构."""
    name = NAME_CUT_RE.sub("", _trim_name(prefix))
    verbs = list(NAME_VERB_RE.finditer(name))
    if verbs:
        after = _trim_name(name[verbs[-1].end() :])
        if len(after) >= 2:
            name = after
    return _trim_name(name)[-20:]


def extract_indicators(text: str) -> list[dict[str, Any]]:
    """Quantities with a comparison word (以上, 不少于, 以内, 不超过, 最高 …)."""
    indicators: list[dict[str, Any]] = []
    previous = ""  # the previous clause, when it holds no indicator of its own
    for clause_match in INDICATOR_CLAUSE_RE.finditer(text):
        clause = clause_match.group(0)
        last_end = 0
        found = False
        last_name = ""
        for match in INDICATOR_RE.finditer(clause):
            indicator = _indicator(match, clause[last_end : match.start()], previous)
            last_end = match.end()
            if indicator and len(indicator["name"].strip("和及与或、")) < 2:
                # 30小时和1小时以内: the second quantity shares the first one's noun
                indicator = {**indicator, "name": last_name} if last_name else None
            if indicator:
                last_name = indicator["name"]
                found = True
                if indicator not in indicators:
                    indicators.append(indicator)
        previous = "" if found else clause
    for indicator in relative_indicators(text):
        if indicator not in indicators:
            indicators.append(indicator)
    return indicators


def relative_indicators(text: str) -> list[dict[str, Any]]:
    """Rates compared with a named reference: 力争A增速高于B平均增速 → A增速 > B平均增速."""
    out = []
    for match in RELATIVE_RE.finditer(text):
        name = _trim_name(match["name"])
        reference = _trim_name(match["ref"])
        if len(name) < 2 or len(reference) < 2:
            continue
        out.append(
            {
                "name": name[-30:],
                "target": None,
                "unit": "",
                "comparison": ">" if match["cmp"] in RELATIVE_GT else "<",
                "reference": reference[:100],
            }
        )
    return out


def _indicator(match: re.Match[str], prefix: str, previous: str) -> dict[str, Any] | None:
    pre, suf, unit, raw = match["pre"], match["suf"], match["unit"], match["num"]
    if not pre and not suf:
        return None
    if not raw[0].isdigit() and not pre:
        return None
    target = _number(raw)
    if target is None or target <= 0:
        return None
    if unit == "年" and (not pre or target >= 100):
        return None
    if suf:
        comparison = ">=" if suf in GE_SUFFIX_SET else "<="
    else:
        comparison = ">=" if pre in GE_PREFIX_SET else "<="
    name = _indicator_name(prefix) or _indicator_name(previous)
    if not name:
        return None
    return {
        "name": name,
        "target": target,
        "unit": unit.replace("％", "%"),
        "comparison": comparison,
    }


def _month_end(year: int, month: int) -> str | None:
    if not 1 <= month <= 12:
        return None
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"


def _date(year: int, month: int, day: int) -> str | None:
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def extract_due(text: str, year: int) -> str | None:
    """The latest deadline written in ``text`` as YYYY-MM-DD, or None.

    Only deadline phrases count (6月底前, 年底前, 2023年底, 到2024年, 第三季度, 上半年,
    9月15日前); a quantity (5年内, 3年时间) is not one, nor a recurring date (每月10日前,
    每年3月底前), and 长期坚持 / 按进度推进 mean no single date."""
    if NO_DATE_RE.search(text):
        return None
    return _latest_date(text, year)


def workday_limit(text: str) -> int | None:
    """The completion limit in working days that ``text`` sets for the item itself
    (自交办之日起30个工作日内完成 → 30), or None: a recurring service limit (一般事项5个工作日内
    反馈, 审批时间不超过15个工作日) or a text with a calendar deadline gives none.  The longest
    of several limits wins (the item is done when its last part is)."""
    if extract_due(text, 2000) or DUE_LABEL_RE.search(text):
        return None
    days = []
    for match in WORKDAY_LIMIT_RE.finditer(text):
        clause = re.split(r"[，,。；;：:！？]", text[: match.start()])[-1]
        if RECURRING_LIMIT_RE.search(clause):
            continue
        value = cn_to_int(match.group(1))
        if value:
            days.append(value)
    return max(days) if days else None


def task_due(text: str, measure_dues: list[str | None], year: int) -> str | None:
    """A task's deadline: the one it states as its own (完成时限：…), else the latest of its
    measures' deadlines."""
    label = DUE_LABEL_RE.search(text)
    if label:
        own = _latest_date(label.group(1), year)
        if own:
            return own
    dues = [d for d in measure_dues if d]
    return max(dues) if dues else None


def _latest_date(text: str, year: int) -> str | None:
    dates: list[str | None] = []
    if YEAR_END_RE.search(text):
        dates.append(f"{year:04d}-12-31")
    for match in HALF_YEAR_RE.finditer(text):
        dates.append(f"{year:04d}-06-30" if match.group(1) == "上" else f"{year:04d}-12-31")
    for match in QUARTER_RE.finditer(text):
        quarter = cn_to_int(match.group(1)) or 0
        dates.append(_month_end(year, quarter * 3))
    for match in MONTH_RE.finditer(text):
        when = int(match.group(1)) if match.group(1) else year
        month = cn_to_int(match.group(2)) or 0
        suffix = match.group(3)
        if suffix.startswith("上旬"):
            dates.append(_date(when, month, 10) if 1 <= month <= 12 else None)
        elif suffix.startswith("中旬"):
            dates.append(_date(when, month, 20) if 1 <= month <= 12 else None)
        else:
            dates.append(_month_end(when, month))
    for match in DAY_RE.finditer(text):
        when = int(match.group(1)) if match.group(1) else year
        month, day = cn_to_int(match.group(2)) or 0, cn_to_int(match.group(3)) or 0
        dates.append(_date(when, month, day))
    for match in FULL_DATE_RE.finditer(text):
        dates.append(_full_date(match))
    valid = [d for d in dates if d]
    return max(valid) if valid else None


def _full_date(match: re.Match[str]) -> str | None:
    lead, year_s, month_s, day_s, suffix = match.groups()
    when = int(year_s)
    if not 1900 <= when <= 2200:
        return None
    if month_s and day_s:
        return _date(when, int(month_s), int(day_s))
    if month_s:
        return _month_end(when, int(month_s))
    if suffix or lead in ("到", "至", "截至", "截止"):
        return f"{when:04d}-12-31"
    return None


def extract_rhythm(text: str) -> str | None:
    if MONTHLY_RE.search(text):
        return "monthly"
    if QUARTERLY_RE.search(text):
        return "quarterly"
    return None


# --------------------------------------------------------------------------------------------
# Tree building
# --------------------------------------------------------------------------------------------


def _task(number: int, piece: Piece, year: int, inherited: tuple[str | None, list[str]]) -> dict:
    lead, partners = extract_units(piece.text)
    if lead is None and not partners:
        lead, partners = inherited[0], list(inherited[1])
    measures = split_measures(piece.text)
    for measure in measures:
        own_lead, own_partners = extract_units(measure["text"])
        if own_lead is None and not own_partners:
            own_lead, own_partners = lead, list(partners)
        measure["lead_department"] = own_lead
        measure["partner_departments"] = own_partners
        measure["due"] = extract_due(measure["text"], year)
        _set_workdays(measure)
    children = [
        _task(n, child, year, (lead, partners))
        for n, child in enumerate(piece.children or [], start=1)
    ]
    node = {
        "number": number,
        "title": task_title(piece.text, piece.hint),
        "text": piece.text,
        "lead_department": lead,
        "partner_departments": partners,
        "due": task_due(piece.text, [m["due"] for m in measures], year),
        "rhythm": extract_rhythm(piece.text),
        "measures": measures,
        "indicators": extract_indicators(piece.text),
        "tasks": children,
    }
    _set_workdays(node)
    return node


def _set_workdays(node: dict[str, Any]) -> None:
    """`due_workdays` on a task or measure whose text sets a limit in 工作日 (absent otherwise,
    so a tree without one is the shape export_plan gives back)."""
    node.pop("due_workdays", None)
    days = workday_limit(node["text"])
    if days:
        node["due_workdays"] = days


def _split_heading(rest: str) -> tuple[str, str]:
    """Section heading text → (title, text following the title on the same line)."""
    match = HEADING_CUT_RE.search(rest, 1)
    if match and match.start() <= 40 and rest[match.end() :].strip():
        return rest[: match.start()].strip(), rest[match.end() :].strip()
    return rest.rstrip("。.．：:；; ").strip(), ""


def _project(heading: str, body_lines: list[str], year: int) -> dict[str, Any]:
    title, first = _split_heading(heading)
    body = "\n".join(([first] if first else []) + body_lines)
    summary, pieces = _split_body(body)
    inherited = extract_units(summary)
    tasks = [_task(n, piece, year, inherited) for n, piece in enumerate(pieces, start=1)]
    return {"number": 0, "title": title, "summary": summary, "tasks": tasks}


def _is_title_line(line: str) -> bool:
    return (
        4 <= len(line) <= 100
        and not TITLE_FORBIDDEN_RE.search(line)
        and bool(TITLE_KEYWORD_RE.search(line))
        and not SECTION_RE.match(line)
    )


def _unglue_headings(lines: list[str]) -> list[str]:
    """Put a section heading glued after a paragraph's last sentence on its own line.

    Only the next heading in sequence, at the very end of the line and short, is split off.
    """
    result: list[str] = []
    last = 0
    for line in lines:
        match = SECTION_RE.match(line)
        value = cn_to_int(match.group(1)) if match else None
        if value is not None and (value == last + 1 or (value == 1 and last)):
            last = value
        elif (glued := GLUED_SECTION_RE.match(line)) and cn_to_int(glued.group(3)) == last + 1:
            result.extend([glued.group(1), glued.group(2)])
            last += 1
            continue
        result.append(line)
    return result


def _find_sections(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, numeral value, heading text) of every section heading, in order."""
    sections: list[tuple[int, int, str]] = []
    for index, line in enumerate(lines):
        match = SECTION_RE.match(line)
        if not match:
            continue
        value = cn_to_int(match.group(1))
        expected = sections[-1][1] + 1 if sections else 1
        if value == expected or (value == 1 and sections):
            sections.append((index, value, match.group(2).strip()))
    return sections


def _divider_start(body_lines: list[str]) -> int | None:
    """Index of the next document's title line at the end of a section body, if any."""
    for index in range(len(body_lines) - 1, max(-1, len(body_lines) - 6), -1):
        if _is_title_line(body_lines[index]):
            return index
    return None


def parse_plan(text: str, year: int) -> dict[str, Any]:
    """Parse a plan text into the plan tree (see the module docstring for the grammar)."""
    lines = content_lines(text)
    if not lines:
        raise PlanParseError("文件中没有可识别的计划正文。")
    lines = _unglue_headings(lines)
    sections = _find_sections(lines)
    if not sections:
        raise PlanParseError(
            "没有找到章节标题：计划正文应按“一、二、三、……”分章节，每个章节标题单独成行。"
        )
    head = lines[: sections[0][0]]
    title_index = next((i for i, line in enumerate(head) if _is_title_line(line)), None)
    title = head[title_index] if title_index is not None else f"{year}年工作计划"
    preamble_lines = [line for i, line in enumerate(head) if i != title_index]
    projects: list[dict[str, Any]] = []
    for position, (index, _value, heading) in enumerate(sections):
        end = sections[position + 1][0] if position + 1 < len(sections) else len(lines)
        body_lines = lines[index + 1 : end]
        divider: dict[str, Any] | None = None
        restarts = position + 1 < len(sections) and sections[position + 1][1] == 1
        start = _divider_start(body_lines) if restarts else None
        if start is not None:
            divider = {
                "number": 0,
                "title": body_lines[start],
                "summary": "\n".join(body_lines[start + 1 :]),
                "tasks": [],
            }
            body_lines = body_lines[:start]
        projects.append(_project(heading, body_lines, year))
        if divider:
            projects.append(divider)
    for number, project in enumerate(projects, start=1):
        project["number"] = number
    return {
        "year": year,
        "title": title,
        "preamble": "\n".join(preamble_lines),
        "projects": projects,
    }


# --------------------------------------------------------------------------------------------
# Tree editing (the import review page's splits and merges)
# --------------------------------------------------------------------------------------------


def _units_of_measures(measures: list[dict[str, Any]], lead: str | None) -> list[str]:
    names = {m.get("lead_department") for m in measures}
    for measure in measures:
        names.update(measure.get("partner_departments", []))
    names.discard(None)
    names.discard(lead)
    return sorted(names)


def _renumber(nodes: list[dict[str, Any]]) -> None:
    for number, node in enumerate(nodes, start=1):
        node["number"] = number


def _refresh(task: dict[str, Any], year: int) -> None:
    """A task's text, deadline, rhythm and indicators from its (changed) measures."""
    _renumber(task["measures"])
    task["text"] = "".join(m["text"] for m in task["measures"])
    task["due"] = task_due(task["text"], [m.get("due") for m in task["measures"]], year)
    _set_workdays(task)
    task["rhythm"] = extract_rhythm(task["text"])
    task["indicators"] = extract_indicators(task["text"])


def split_task(siblings: list[dict[str, Any]], index: int, at: int, year: int) -> None:
    """Split siblings[index] before its measure `at` (2 … number of measures): the measures
    from `at` on become a new task right after it. Its title is their first clause, its lead
    the first of their units (else the task's), its partners every other unit they name."""
    task = siblings[index]
    measures = task["measures"]
    if not 2 <= at <= len(measures):
        raise PlanParseError(f"任务只有 {len(measures)} 条措施，无法从第 {at} 条拆分。")
    first, second = measures[: at - 1], measures[at - 1 :]
    lead = second[0].get("lead_department") or task.get("lead_department")
    new = {
        "number": 0,
        "title": task_title("".join(m["text"] for m in second)),
        "text": "",
        "lead_department": lead,
        "partner_departments": _units_of_measures(second, lead),
        "due": None,
        "rhythm": None,
        "measures": second,
        "indicators": [],
        "tasks": [],
    }
    if "lead_suggested" in task:  # read_plan's key: a guess stays a guess
        new["lead_suggested"] = bool(task["lead_suggested"]) and lead == task["lead_department"]
    task["measures"] = first
    task["partner_departments"] = _units_of_measures(first, task.get("lead_department"))
    _refresh(task, year)
    _refresh(new, year)
    siblings.insert(index + 1, new)
    _renumber(siblings)


def merge_tasks(siblings: list[dict[str, Any]], index: int, year: int) -> None:
    """Merge siblings[index + 1] into siblings[index]: its measures, units and subtasks follow
    the first task's; the first task keeps its title and lead."""
    if index + 1 >= len(siblings):
        raise PlanParseError("这是本级最后一项任务，没有可合并的下一项。")
    task, other = siblings[index], siblings.pop(index + 1)
    lead = task.get("lead_department") or other.get("lead_department")
    if not task.get("lead_department") and "lead_suggested" in other:  # read_plan's key
        task["lead_suggested"] = bool(other["lead_suggested"])
    names = set(task.get("partner_departments", [])) | set(other.get("partner_departments", []))
    names |= {other.get("lead_department")}
    task["lead_department"] = lead
    task["partner_departments"] = sorted(names - {None, lead})
    task["measures"] = task["measures"] + other["measures"]
    task["tasks"] = task.get("tasks", []) + other.get("tasks", [])
    _renumber(task["tasks"])
    _refresh(task, year)
    _renumber(siblings)
