"""Tests of supervision.plan_parser: pure Python, no Django, no database."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from supervision.plan_parser import (
    MARKER_RE,
    PlanParseError,
    content_lines,
    decode_plan_bytes,
    extract_due,
    extract_indicators,
    extract_rhythm,
    extract_units,
    merge_tasks,
    parse_plan,
    split_task,
)

ROOT = Path(__file__).resolve().parent.parent  # tests/, where plans/ lives
PLANS = ROOT / "plans"
# the customer's seed plan, as shipped with the demo data
SEED = ROOT.parent / "supervision" / "demo_data" / "qingdao-office-2012-workplan.txt"
# a real document with pkulaw export quirks (copied from the shared samples)
ANHUI = PLANS / "anhui-industrial-internet-2021.txt"
# plans written for these tests, one per style
SHINAN = PLANS / "shinan-business-environment-2013.txt"
LICANG = PLANS / "licang-hotline-2014.txt"
LAOSHAN = PLANS / "laoshan-key-points-2015.txt"
OWN_PLANS = [SHINAN, LICANG, LAOSHAN]

GAP_RE = re.compile(rf"(?:{MARKER_RE.pattern})*")
HEADING_GAP_RE = re.compile(rf"[。．.：:；;]?(?:{MARKER_RE.pattern})*")


def read(path: Path) -> str:
    return decode_plan_bytes(path.read_bytes())


def parsed(path: Path, year: int) -> dict[str, Any]:
    return parse_plan(read(path), year)


def normalise(s: str) -> str:
    return re.sub(r"\s+", "", s)


def walk(tasks: list[dict[str, Any]]):
    for task in tasks:
        yield task
        yield from walk(task["tasks"])


def all_tasks(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for project in plan["projects"] for t in walk(project["tasks"])]


def assert_no_text_lost(text: str, plan: dict[str, Any]) -> None:
    """Every content character is in the tree, in document order; only markers are dropped.

    The tree is read in order (preamble, then per project: title, summary, tasks depth first)
    and aligned against the content: the only characters allowed between two pieces are item
    markers (``MARKER_RE``), plus the one 。/： that ends a section heading.
    """
    lines = content_lines(text)
    if plan["title"] != f"{plan['year']}年工作计划":
        lines.remove(plan["title"])  # the title line, taken out of the text as a whole
    content = normalise("".join(lines))
    pieces: list[tuple[str, str]] = [("text", plan["preamble"])]
    for project in plan["projects"]:
        pieces.append(("heading", project["title"]))
        pieces.append(("text", project["summary"]))
        pieces.extend(("text", task["text"]) for task in walk(project["tasks"]))
    pos = 0
    gap_re = GAP_RE
    for kind, raw in pieces:
        piece = normalise(raw)
        if not piece:
            continue
        found = content.find(piece, pos)
        assert found >= 0, f"piece not found in order: {piece[:40]}"
        gap = content[pos:found]
        assert gap_re.fullmatch(gap), f"text lost before {piece[:30]!r}: {gap!r}"
        pos = found + len(piece)
        gap_re = HEADING_GAP_RE if kind == "heading" else GAP_RE
    rest = content[pos:]
    assert gap_re.fullmatch(rest), f"text lost at the end: {rest[:60]!r}"


def assert_measures_rejoin(plan: dict[str, Any]) -> None:
    for task in all_tasks(plan):
        assert task["measures"], task["title"]
        assert "".join(m["text"] for m in task["measures"]) == task["text"]
        assert [m["number"] for m in task["measures"]] == list(range(1, len(task["measures"]) + 1))


def assert_well_formed(plan: dict[str, Any]) -> None:
    assert set(plan) == {"year", "title", "preamble", "projects"}
    assert [p["number"] for p in plan["projects"]] == list(range(1, len(plan["projects"]) + 1))
    task_keys = {
        "number",
        "title",
        "text",
        "lead_department",
        "partner_departments",
        "due",
        "rhythm",
        "measures",
        "indicators",
        "tasks",
    }
    for project in plan["projects"]:
        assert set(project) == {"number", "title", "summary", "tasks"}
        assert project["title"]
        for task in walk(project["tasks"]):
            assert set(task) == task_keys
            assert task["title"] and task["text"]
            children = [c["number"] for c in task["tasks"]]
            assert children == list(range(1, len(children) + 1))
            assert task["rhythm"] in (None, "monthly", "quarterly")
            for indicator in task["indicators"]:
                # a relative indicator has no target and names its reference
                keys = {"name", "target", "unit", "comparison"}
                relative = "reference" in indicator
                assert set(indicator) == (keys | {"reference"} if relative else keys)
                assert (indicator["target"] is None) == relative
                assert indicator["comparison"] in ((">", "<") if relative else (">=", "<="))
    json.dumps(plan, ensure_ascii=False)


def titles(tasks: list[dict[str, Any]]) -> list[str]:
    return [t["title"] for t in tasks]


# ------------------------------------------------------------------------------------------
# The customer's seed plan
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    return parsed(SEED, 2012)


def test_seed_projects(seed: dict[str, Any]) -> None:
    assert seed["year"] == 2012
    assert seed["title"] == "2012年工作计划"
    assert [p["title"] for p in seed["projects"]] == [
        "大力实施政务运行加速工程",
        "大力实施政务环境提升工程",
        "大力实施政民互动增效工程",
        "大力实施应急安全保障工程",
        "深入开展“五型”机关创建活动",
    ]
    assert [len(p["tasks"]) for p in seed["projects"][:4]] == [7, 4, 4, 2]


def test_seed_fifth_project_is_one_task_per_sentence(seed: dict[str, Any]) -> None:
    lines = read(SEED).split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith("五、"))
    body = lines[heading + 1]
    sentences = body.count("。")
    assert sentences == 6
    fifth = seed["projects"][4]
    assert len(fifth["tasks"]) == sentences
    assert fifth["summary"] == ""
    assert [t["text"] for t in fifth["tasks"]] == [s + "。" for s in body.split("。") if s]
    assert fifth["tasks"][2]["title"] == "深入开展学习贯彻党的十八大精神活动"
    assert all(len(t["title"]) <= 40 for t in fifth["tasks"])


def test_seed_preamble_and_summaries(seed: dict[str, Any]) -> None:
    assert seed["preamble"].startswith("2012年")
    assert seed["preamble"].endswith("献礼。")
    assert "\n" not in seed["preamble"]
    first = seed["projects"][0]
    assert first["summary"].startswith("围绕加速推进")
    assert first["summary"].endswith("突出抓好“一个强化、六个加速”。")


def test_seed_task_titles(seed: dict[str, Any]) -> None:
    projects = seed["projects"]
    assert titles(projects[0]["tasks"]) == [
        "强化按规则和程序办事",
        "政务督查加速",
        "政务调研加速",
        "公文办理加速",
        "会议服务加速",
        "政务接待加速",
        "信息服务加速",
    ]
    assert titles(projects[1]["tasks"]) == [
        "提升电子政务环境",
        "提升融资环境",
        "提升审批环境",
        "提升会展环境",
    ]
    assert titles(projects[2]["tasks"]) == [
        "政府信息公开",
        "政务服务热线品牌建设",
        "建议提案办理",
        "“网络在线问政”活动常态化",
    ]
    assert projects[2]["tasks"][0]["text"].startswith("在政府信息公开方面")
    assert titles(projects[3]["tasks"]) == ["全面加强应急管理保障", "全面加强食品安全保障"]
    assert projects[0]["tasks"][0]["text"].startswith("强化按规则和程序办事。制发")


def test_seed_financing_task(seed: dict[str, Any]) -> None:
    task = seed["projects"][1]["tasks"][1]
    assert task["title"] == "提升融资环境"
    # The seed's second indicator is relative: a rate against a named reference, no target.
    assert task["indicators"] == [
        {"name": "金融机构", "target": 10, "unit": "家", "comparison": ">="},
        {
            "name": "小微企业、涉农贷款增速",
            "target": None,
            "unit": "",
            "comparison": ">",
            "reference": "各项贷款平均增速",
        },
    ]
    assert task["due"] == "2012-12-31"
    assert len(task["measures"]) == 4
    assert task["measures"][0]["text"].endswith(";")


def test_seed_fields(seed: dict[str, Any]) -> None:
    tasks = all_tasks(seed)
    assert all(t["lead_department"] is None and t["partner_departments"] == [] for t in tasks)
    assert seed["projects"][0]["tasks"][1]["rhythm"] == "monthly"  # 按月公开
    assert [t["due"] for t in tasks if t["due"]] == ["2012-12-31"]
    assert sum(len(t["indicators"]) for t in tasks) == 2  # 金融机构 ≥ 10家, 贷款增速 > 平均增速
    assert all(t["tasks"] == [] for t in tasks)


def test_seed_footer_removed(seed: dict[str, Any]) -> None:
    assert "扫一扫在手机打开当前页" not in json.dumps(seed, ensure_ascii=False)
    assert not any("扫一扫" in line for line in content_lines(read(SEED)))
    glued = read(SEED).rstrip().removesuffix("扫一扫在手机打开当前页").rstrip()
    glued_plan = parse_plan(glued + "扫一扫在手机打开当前页", 2012)
    assert glued_plan == seed


def test_seed_no_text_lost(seed: dict[str, Any]) -> None:
    assert_well_formed(seed)
    assert_no_text_lost(read(SEED), seed)
    assert_measures_rejoin(seed)


def test_seed_deterministic_and_json(seed: dict[str, Any]) -> None:
    again = parsed(SEED, 2012)
    assert again == seed
    assert json.loads(json.dumps(again, ensure_ascii=False)) == seed


# ------------------------------------------------------------------------------------------
# The Anhui sample: pkulaw export, a notice wrapping two documents
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anhui() -> dict[str, Any]:
    return parsed(ANHUI, 2021)


def test_anhui_junk_removed(anhui: dict[str, Any]) -> None:
    lines = content_lines(read(ANHUI))
    dumped = json.dumps(anhui, ensure_ascii=False)
    for junk in ("法宝引证码", "原文链接", "pkulaw", "皖政办秘〔2021〕82号", "2021年9月2日"):
        assert junk not in dumped
        assert not any(junk in line for line in lines)
    assert "安徽省人民政府办公厅" not in lines  # the signature line
    assert not any(line != line.strip() or "\u3000" in line[:1] for line in lines)


def test_anhui_structure(anhui: dict[str, Any]) -> None:
    assert anhui["title"].startswith("安徽省人民政府办公厅关于印发支持工业互联网发展若干政策")
    assert anhui["title"].endswith("的通知")
    assert anhui["preamble"].startswith("安徽省人民政府办公厅关于印发")  # the second title line
    assert "各市人民政府，省政府各部门，各直属机构：" in anhui["preamble"]
    assert "支持工业互联网发展若干政策" in anhui["preamble"]
    projects = anhui["projects"]
    assert len(projects) == 13
    assert projects[0]["title"] == "支持工业互联网平台建设"
    assert projects[7]["title"] == "支持工业互联网利用资本市场加快发展"
    divider = projects[8]
    assert divider["title"] == "安徽省工业互联网创新发展行动计划（2021-2023年）"
    assert divider["summary"].startswith("为深入实施工业互联网创新发展战略")
    assert divider["tasks"] == []
    assert [p["title"] for p in projects[9:]] == [
        "总体要求",
        "行动步骤",
        "发挥市场和企业的主体作用",
        "建立齐抓共管的工作机制",
    ]
    assert [len(p["tasks"]) for p in projects] == [2, 3, 3, 1, 2, 1, 1, 5, 0, 2, 9, 5, 4]


def test_anhui_second_level(anhui: dict[str, Any]) -> None:
    steps = anhui["projects"][10]["tasks"]
    assert [len(t["tasks"]) for t in steps] == [2, 2, 5, 2, 3, 2, 3, 2, 3]
    first = steps[0]
    assert first["title"] == "网络体系强基行动"
    assert first["text"] == "网络体系强基行动。"
    child = first["tasks"][0]
    assert child["number"] == 1
    assert child["title"] == "推进工业互联网外网建设"
    assert child["lead_department"] == "省通信管理局"
    assert child["partner_departments"] == ["省铁塔公司", "各基础电信企业", "各市人民政府"]
    # items are numbered 3﹒ 4﹒ in the document, 1 and 2 within their parent
    second = steps[1]["tasks"]
    assert [c["number"] for c in second] == [1, 2]
    assert second[0]["title"] == "加快标识解析体系建设"
    assert {"name": "标识注册总量", "target": 5, "unit": "亿", "comparison": ">="} in second[0][
        "indicators"
    ]


def test_anhui_units_and_indicators(anhui: dict[str, Any]) -> None:
    task = anhui["projects"][0]["tasks"][0]
    assert task["title"] == "培育各类工业互联网平台"
    assert task["lead_department"] == "省经济和信息化厅"
    assert task["partner_departments"] == ["省财政厅"]
    assert {"name": "奖补", "target": 3000, "unit": "万元", "comparison": "<="} in task[
        "indicators"
    ]
    goals = anhui["projects"][9]["tasks"][1]
    assert goals["title"] == "发展目标"
    assert goals["due"] == "2023-12-31"
    assert {"name": "重点企业生产效率", "target": 20, "unit": "%", "comparison": ">="} in goals[
        "indicators"
    ]
    dumped = json.dumps(anhui["projects"], ensure_ascii=False)
    assert '"unit": "A' not in dumped  # 3A、4A、5A级 are not indicators
    for task in all_tasks(anhui):
        for indicator in task["indicators"]:
            assert not (indicator["unit"] == "年" and indicator["target"] > 100)


def test_anhui_no_text_lost(anhui: dict[str, Any]) -> None:
    assert_well_formed(anhui)
    assert_no_text_lost(read(ANHUI), anhui)
    assert_measures_rejoin(anhui)


# ------------------------------------------------------------------------------------------
# Our own plans, one per style
# ------------------------------------------------------------------------------------------


def test_shinan_implementation_plan() -> None:
    plan = parsed(SHINAN, 2013)
    assert plan["title"] == "青岛市市南区优化营商环境实施方案"
    assert plan["preamble"].startswith("为深入贯彻")
    assert [p["title"] for p in plan["projects"]] == ["总体目标", "重点任务", "保障措施"]
    assert [len(p["tasks"]) for p in plan["projects"]] == [1, 3, 3]
    goal = plan["projects"][0]["tasks"][0]
    assert goal["title"] == "全区政务服务事项网上可办率达到90%以上"
    assert goal["due"] == "2013-12-31"
    assert goal["indicators"] == [
        {"name": "全区政务服务事项网上可办率", "target": 90, "unit": "%", "comparison": ">="},
        {"name": "企业开办时间", "target": 3, "unit": "个工作日", "comparison": "<="},
    ]
    reform, trade, oversight = plan["projects"][1]["tasks"]
    assert [len(t["tasks"]) for t in (reform, trade, oversight)] == [2, 3, 2]
    assert reform["text"] == "深化商事制度改革。（市南区市场监管局牵头，区行政审批服务局配合）"
    assert reform["lead_department"] == "市南区市场监管局"
    assert reform["partner_departments"] == ["区行政审批服务局"]
    one_window, certificates = reform["tasks"]
    assert one_window["title"] == "推行企业开办“一窗通办”"
    assert one_window["due"] == "2013-06-30"
    assert one_window["lead_department"] == "市南区市场监管局"  # from the parent
    assert certificates["due"] == "2013-09-30"
    assert len(certificates["measures"]) == 2
    window, briefings, refunds = trade["tasks"]
    assert window["lead_department"] == "区商务局"
    assert window["partner_departments"] == ["区财政局", "区税务局"]
    assert window["indicators"] == [
        {"name": "主要申报业务应用率", "target": 95, "unit": "%", "comparison": ">="}
    ]
    assert briefings["indicators"] == [
        {"name": "外贸企业政策宣讲会", "target": 3, "unit": "次", "comparison": ">="}
    ]
    assert briefings["due"] == "2013-09-15"
    assert refunds["lead_department"] == "区税务局"
    assert oversight["tasks"][1]["due"] == "2013-03-31"
    assert oversight["tasks"][1]["rhythm"] == "quarterly"
    review = plan["projects"][2]["tasks"][1]
    assert review["title"] == "强化督查考核"
    assert review["rhythm"] == "monthly"
    assert review["due"] == "2013-12-31"
    assert review["lead_department"] == "区政府督查室"
    dumped = json.dumps(plan, ensure_ascii=False)
    for junk in ("扫一扫", "南政办发", "2013年3月1日", "青岛市市南区人民政府办公室"):
        assert junk not in dumped
    assert_well_formed(plan)
    assert_no_text_lost(read(SHINAN), plan)
    assert_measures_rejoin(plan)


def test_licang_hotline_plan() -> None:
    plan = parsed(LICANG, 2014)
    assert plan["title"] == "李沧区2014年12345政务服务热线工作计划"
    assert [len(p["tasks"]) for p in plan["projects"]] == [3, 2, 2, 2]
    efficiency = plan["projects"][0]
    assert efficiency["summary"] == "牵头单位：区政务服务热线办公室"
    assert {t["lead_department"] for t in efficiency["tasks"]} == {"区政务服务热线办公室"}
    urgent = efficiency["tasks"][1]
    assert urgent["indicators"][0]["target"] == 48
    assert urgent["indicators"][0]["unit"] == "小时"
    assert urgent["indicators"][0]["comparison"] == "<="
    assert urgent["indicators"][1] == {
        "name": "办结率",
        "target": 98,
        "unit": "%",
        "comparison": ">=",
    }
    assert efficiency["tasks"][2]["rhythm"] == "monthly"
    rules, results = plan["projects"][1]["tasks"]
    assert rules["title"] == "健全考核办法"
    assert rules["text"] == "健全考核办法"
    revise, ranking = rules["tasks"]
    assert revise["due"] == "2014-06-30"
    assert revise["lead_department"] == "区政务服务热线办公室"
    assert revise["partner_departments"] == ["区政府督查室"]
    assert ranking["lead_department"] == "区政府督查室"
    assert ranking["rhythm"] == "quarterly"
    assert results["tasks"][0]["indicators"] == [
        {"name": "权重", "target": 5, "unit": "%", "comparison": ">="}
    ]
    # a condition (连续两个月低于80%的单位) is not a target; 由A负责约谈 names A as the lead
    assert results["tasks"][1]["indicators"] == []
    assert results["tasks"][1]["lead_department"] == "区政府督查室"
    knowledge = plan["projects"][2]
    assert knowledge["summary"] == "（区大数据中心牵头，区政务服务热线办公室配合）"
    for task in knowledge["tasks"]:
        assert task["lead_department"] == "区大数据中心"
        assert task["partner_departments"] == ["区政务服务热线办公室"]
    assert knowledge["tasks"][0]["due"] == "2014-06-30"  # 上半年
    assert knowledge["tasks"][1]["rhythm"] == "monthly"
    training = plan["projects"][3]["tasks"][0]
    assert [(i["target"], i["unit"]) for i in training["indicators"]] == [(12, "次"), (40, "课时")]
    assert "打印本页" not in json.dumps(plan, ensure_ascii=False)
    assert_well_formed(plan)
    assert_no_text_lost(read(LICANG), plan)
    assert_measures_rejoin(plan)


def test_laoshan_key_points() -> None:
    plan = parsed(LAOSHAN, 2015)
    assert plan["title"] == "崂山区人民政府办公室2015年工作要点"
    assert plan["preamble"].startswith("各街道办事处，区政府各部门：")
    assert [len(p["tasks"]) for p in plan["projects"]] == [3, 3, 3, 3]
    decisions, supervision, openness, self_building = (p["tasks"] for p in plan["projects"])
    assert titles(decisions) == ["加强调查研究", "提高信息质量", "做好文稿起草"]
    assert decisions[0]["due"] == "2015-12-31"
    assert decisions[0]["indicators"] == [
        {"name": "调研报告", "target": 10, "unit": "篇", "comparison": ">="}
    ]
    assert decisions[1]["rhythm"] == "monthly"
    assert titles(supervision) == ["重点工作督查", "领导批示督办", "建议提案办理"]
    assert supervision[0]["lead_department"] == "区政府督查室"
    assert supervision[0]["due"] == "2015-09-30"
    assert supervision[1]["indicators"] == [
        {"name": "一般事项", "target": 5, "unit": "个工作日", "comparison": "<="}
    ]
    assert supervision[2]["due"] == "2015-08-31"
    assert titles(openness) == [
        "深化政府信息主动公开",
        "规范依申请公开办理",
        "办好政府网站“政务公开”专栏",
    ]
    assert openness[1]["text"].startswith("规范依申请公开办理")
    assert openness[2]["due"] == "2015-03-31"
    assert titles(self_building) == [
        "深入推进机关作风建设",
        "加强干部教育培训",
        "完善机关内部管理制度",
    ]
    dumped = json.dumps(plan, ensure_ascii=False)
    assert "崂政办字" not in dumped and "2015年1月20日" not in dumped
    assert_well_formed(plan)
    assert_no_text_lost(read(LAOSHAN), plan)
    assert_measures_rejoin(plan)


@pytest.mark.parametrize("path", OWN_PLANS, ids=lambda p: p.name)
def test_own_plans_generic(path: Path) -> None:
    year = int(re.search(r"(\d{4})\.txt$", path.name).group(1))
    plan = parsed(path, year)
    assert 3 <= len(plan["projects"]) <= 5
    assert_well_formed(plan)
    assert_no_text_lost(read(path), plan)
    assert_measures_rejoin(plan)
    assert parsed(path, year) == plan


# ------------------------------------------------------------------------------------------
# Bad files
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件为空"),
        (b"   \n\t\r\n  ", "文件为空"),
        ("\u3000\u3000\n".encode(), "文件为空"),
        ("二〇一二年工作计划：一、加强督查".encode("gbk"), "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "不是文本文件"),
        (bytes(range(1, 32)) * 20, "不是文本文件"),
    ],
    ids=["empty", "whitespace", "ideographic-space", "gbk", "png", "control-chars"],
)
def test_bad_bytes(data: bytes, message: str) -> None:
    with pytest.raises(PlanParseError) as info:
        decode_plan_bytes(data)
    assert message in str(info.value)
    assert re.search(r"[\u4e00-\u9fff]", str(info.value))


def test_decode_normalises() -> None:
    data = "\ufeff一、标题\r\n正文。\r二、标题二\n正文。".encode()
    assert decode_plan_bytes(data) == "一、标题\n正文。\n二、标题二\n正文。"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "扫一扫在手机打开当前页\n【打印本页】【关闭窗口】\n",
        "为做好今年工作，各单位要加强领导，狠抓落实，确保各项任务按期完成。",
    ],
    ids=["empty", "junk-only", "no-sections"],
)
def test_parse_rejects_text_without_sections(text: str) -> None:
    with pytest.raises(PlanParseError) as info:
        parse_plan(text, 2012)
    assert re.search(r"[\u4e00-\u9fff]", str(info.value))


def test_plan_parse_error_is_value_error() -> None:
    assert issubclass(PlanParseError, ValueError)


# ------------------------------------------------------------------------------------------
# Grammar details
# ------------------------------------------------------------------------------------------


def test_content_lines_drops_junk() -> None:
    text = "\n".join(
        [
            "　　【法宝引证码】 CLI.12.1",
            "原文链接：https://www.pkulaw.com/x.html",
            "https://www.qingdao.gov.cn/n172/n24624151/index.html",
            "青政办发〔2012〕1号",
            "（皖政办秘〔2021〕82号）",
            "各区市人民政府，市政府各部门：",
            "　　一、加强督查",
            "　　建立台账。扫一扫在手机打开当前页",
            "— 3 —",
            "分享到：微信 微博",
            "字号：大 中 小",
            "【打印】【关闭】",
            "青岛市人民政府办公厅",
            "　　2012年1月10日",
        ]
    )
    assert content_lines(text) == ["各区市人民政府，市政府各部门：", "一、加强督查", "建立台账。"]


def test_content_lines_keeps_unsure_lines() -> None:
    text = "青岛市人民政府办公厅\n一、加强督查\n打印机采购要按规定执行。\n2012年1月10日前完成。"
    assert content_lines(text) == text.split("\n")


def test_inline_markers_need_sentence_start() -> None:
    text = "一、加强管理\n推进统一是关键。一是建立制度。二是统一是标准，加强考核。"
    plan = parse_plan(text, 2012)
    tasks = plan["projects"][0]["tasks"]
    assert plan["projects"][0]["summary"] == "推进统一是关键。"
    assert titles(tasks) == ["建立制度", "统一是标准"]
    assert_no_text_lost(text, plan)


def test_half_width_markers_and_paren_items() -> None:
    text = (
        "2013年督查工作方案\n一、加强督查。(市督查室牵头,市财政局配合)\n"
        "(1)建立台账,每月通报;\n(2)开展专项督查不少于3次。\n二、严格考核\n"
        "1.纳入考核;2.结果公开。\n"
    )
    plan = parse_plan(text, 2013)
    first, second = plan["projects"]
    assert first["title"] == "加强督查"
    assert first["summary"] == "(市督查室牵头,市财政局配合)"
    assert [t["lead_department"] for t in first["tasks"]] == ["市督查室", "市督查室"]
    assert first["tasks"][0]["partner_departments"] == ["市财政局"]
    assert first["tasks"][0]["rhythm"] == "monthly"
    assert first["tasks"][1]["indicators"] == [
        {"name": "专项督查", "target": 3, "unit": "次", "comparison": ">="}
    ]
    assert titles(second["tasks"]) == ["纳入考核", "结果公开"]
    assert_no_text_lost(text, plan)
    assert_measures_rejoin(plan)


def test_ordinals_and_single_paragraph_with_units() -> None:
    text = (
        "一、重点工作\n首先是完善机制。建立制度。其次是强化考核。再次是加强宣传。最后是总结提高。\n"
        "二、组织保障\n加强组织领导。各单位要明确分工。（市政府办公厅负责）\n"
    )
    plan = parse_plan(text, 2012)
    assert titles(plan["projects"][0]["tasks"]) == ["完善机制", "强化考核", "加强宣传", "总结提高"]
    only = plan["projects"][1]["tasks"]
    assert len(only) == 1
    assert only[0]["lead_department"] == "市政府办公厅"
    assert_no_text_lost(text, plan)


def test_unmarked_paragraphs_are_tasks_and_unit_lines_attach() -> None:
    text = "一、任务\n建立台账。\n责任单位：市督查室、市财政局\n开展评估。\n"
    plan = parse_plan(text, 2012)
    tasks = plan["projects"][0]["tasks"]
    assert [t["text"] for t in tasks] == ["建立台账。\n责任单位：市督查室、市财政局", "开展评估。"]
    assert tasks[0]["lead_department"] == "市督查室"
    assert tasks[0]["partner_departments"] == ["市财政局"]
    assert tasks[1]["lead_department"] is None
    assert_no_text_lost(text, plan)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("年内完成", "2012-12-31"),
        ("年底前完成", "2012-12-31"),
        ("全年开展", "2012-12-31"),
        ("6月底前完成", "2012-06-30"),
        ("2月底", "2012-02-29"),
        ("上半年完成", "2012-06-30"),
        ("一季度完成", "2012-03-31"),
        ("第三季度完成", "2012-09-30"),
        ("9月15日前报送", "2012-09-15"),
        ("2012年10月完成", "2012-10-31"),
        ("2013年6月底前完成", "2013-06-30"),
        ("6月底前启动，10月底前完成", "2012-10-31"),
        ("每月10日前报送进展", None),
        ("按季度报送", None),
        ("2012年是开局之年", None),
        ("加强督查", None),
    ],
)
def test_due(text: str, due: str | None) -> None:
    assert extract_due(text, 2012) == due


@pytest.mark.parametrize(
    ("text", "rhythm"),
    [
        ("按月报送", "monthly"),
        ("每月通报", "monthly"),
        ("月度调度", "monthly"),
        ("每季度通报", "quarterly"),
        ("量化季度工作目标", "quarterly"),
        ("一季度完成", None),
        ("加强督查", None),
    ],
)
def test_rhythm(text: str, rhythm: str | None) -> None:
    assert extract_rhythm(text) == rhythm


@pytest.mark.parametrize(
    ("text", "lead", "partners"),
    [
        ("推进工作（省商务厅牵头，合肥海关配合）", "省商务厅", ["合肥海关"]),
        ("推进工作(市商务局牵头,市财政局、市税务局配合)", "市商务局", ["市财政局", "市税务局"]),
        ("推进工作（市统计局负责）", "市统计局", []),
        (
            "牵头单位：市发展改革委；配合单位：市财政局、市审计局",
            "市发展改革委",
            ["市财政局", "市审计局"],
        ),
        (
            "（责任单位：省经济和信息化厅、省财政厅，各市人民政府）",
            "省经济和信息化厅",
            ["省财政厅", "各市人民政府"],
        ),
        ("由市政府办公厅牵头，各区市政府配合。", "市政府办公厅", ["各区市政府"]),
        ("由省经济和信息化厅负责解释。", None, []),
        ("加强统筹协调，形成工作合力。", None, []),
        ("建设工业互联网（云）服务商资源池", None, []),
    ],
)
def test_units(text: str, lead: str | None, partners: list[str]) -> None:
    assert extract_units(text) == (lead, partners)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("力争年内引进法人、外资、区域性总部等金融机构10家以上", [("金融机构", 10, "家", ">=")]),
        ("开展专项督查不少于3次", [("专项督查", 3, "次", ">=")]),
        ("群众满意率达到90%以上", [("群众满意率", 90, "%", ">=")]),
        ("诉求在48小时内回复", [("诉求", 48, "小时", "<=")]),
        ("审批时限不超过5个工作日", [("审批时限", 5, "个工作日", "<=")]),
        ("库存控制在3.5万吨以内", [("库存", 3.5, "万吨", "<=")]),
        ("2012年全面完成", []),
        ("抓好“一个强化、六个加速”", []),
        ("评估等级在3A、4A、5A级的企业", []),
        ("新建800个智能工厂", []),
        ("落实青政办发〔2012〕1号文件", []),
    ],
)
def test_indicators(text: str, expected: list[tuple[Any, ...]]) -> None:
    found = [(i["name"], i["target"], i["unit"], i["comparison"]) for i in extract_indicators(text)]
    assert found == expected
    for indicator in extract_indicators(text):
        assert type(indicator["target"]) is (
            int if float(indicator["target"]).is_integer() else float
        )


def test_heading_glued_to_previous_paragraph(seed: dict[str, Any]) -> None:
    text = read(SEED)
    start = text.index("第四是提升会展环境")
    end = text.index("三、大力实施政民互动增效工程")
    edited = text[:start] + text[end:]  # the newline before 三、 is gone too
    plan = parse_plan(edited, 2012)
    assert [len(p["tasks"]) for p in plan["projects"]] == [7, 3, 4, 2, 6]
    assert plan["projects"][1]["tasks"][2]["text"].endswith("探索推进公共资源交易管理体制改革。")
    assert plan["projects"][2] == seed["projects"][2]
    assert_no_text_lost(edited, plan)
    # a numbered list inside a sentence is not a heading
    inline = "一、任务\n重点抓好两项工作。二、三产业融合发展要加快，各单位要落实。\n"
    assert len(parse_plan(inline, 2012)["projects"]) == 1


# ------------------------------------------------------------------------------------------
# Issue 13: units in every usual form, deadlines only from deadline phrases
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lead", "partners"),
    [
        # a note beside other clauses (deadline, score)
        (
            "推行一网通办（2022年6月底前完成，责任单位：市行政审批服务局、市市场监管局）。",
            "市行政审批服务局",
            ["市市场监管局"],
        ),
        ("建立台账（15分；责任科室：督查科；按季度考评）。", "督查科", []),
        ("完成起草（10分，牵头处室：综合科，配合处室：秘书科）。", "综合科", ["秘书科"]),
        ("办结率达到98%（主责单位：热线办；协办单位：督查科）。", "热线办", ["督查科"]),
        # A牵头 / A负责 / A主办 / 按职责分工负责 / 按职责分工配合 / 各区政府
        (
            "推进工作（市发展改革委牵头，各区（市）政府，市直有关部门按职责分工负责）",
            "市发展改革委",
            ["各区（市）政府", "市直有关部门"],
        ),
        (
            "稳外资（市商务局牵头，市发展改革委、青岛海关按职责分工配合）",
            "市商务局",
            ["市发展改革委", "青岛海关"],
        ),
        ("建设政务云（市大数据局、市财政局按职责分工负责）", "市大数据局", ["市财政局"]),
        ("建设平台（各区政府负责）", "各区政府", []),
        ("举办展会（市贸促会主办，市商务局协办）", "市贸促会", ["市商务局"]),
        ("由区政府督查室负责约谈。", "区政府督查室", []),
        ("省经济和信息化厅会同省财政厅等单位制定实施细则。", "省经济和信息化厅", ["省财政厅"]),
        # an unparenthesised line or sentence ending with 责任单位：…
        (
            "推进联动过户。责任单位：市自然资源和规划局、市大数据局",
            "市自然资源和规划局",
            ["市大数据局"],
        ),
        ("控制在55微克以内；责任单位：市生态环境局", "市生态环境局", []),
        (
            "推进工作。\n牵头市领导：王副市长\n牵头单位：市发展改革委\n配合单位：市财政局",
            "市发展改革委",
            ["市财政局"],
        ),
        # several notes in one task: the first note's lead, every other unit a partner
        ("甲（A局负责）；乙（B局牵头，A局配合）；丙（B局牵头，C局配合）。", "A局", ["B局", "C局"]),
        # no unit: nothing invented
        ("各单位要明确专人负责，加强统筹。", None, []),
        ("推动企业智能车间（工厂）测试验证。", None, []),
        ("本政策由省经济和信息化厅负责解释。", None, []),
    ],
)
def test_units_in_every_usual_form(text: str, lead: str | None, partners: list[str]) -> None:
    assert extract_units(text) == (lead, partners)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("2023年底前完成", "2023-12-31"),
        ("到2024年推出集成服务", "2024-12-31"),
        ("第三季度出台", "2012-09-30"),
        ("力争5年内进入全国前列", None),
        ("3年内完成网络改造", None),
        ("比2011年增长8%", None),
        ("每年3月底前报送", None),
        ("每月5日前报送上月进展", None),
        ("年底前建成，长期坚持", None),
        ("按进度推进", None),
        ("2011年底前完成", "2011-12-31"),
    ],
)
def test_due_only_from_deadline_phrases(text: str, due: str | None) -> None:
    assert extract_due(text, 2012) == due


def test_each_measure_keeps_its_own_units_and_deadline() -> None:
    text = (
        "一、任务\n1. 推行电子营业执照（市市场监管局负责）；推进档案查询（市行政审批服务局牵头，"
        "市市场监管局配合）；年底前实现注销一网服务（市市场监管局牵头，市税务局配合）。\n"
        "2. 建设平台；6月底前上线。（市大数据局牵头，市财政局配合）\n"
    )
    first, second = parse_plan(text, 2022)["projects"][0]["tasks"]
    assert first["lead_department"] == "市市场监管局"
    assert first["partner_departments"] == ["市行政审批服务局", "市税务局"]
    assert first["due"] == "2022-12-31"
    assert [
        (m["lead_department"], m["partner_departments"], m["due"]) for m in first["measures"]
    ] == [
        ("市市场监管局", [], None),
        ("市行政审批服务局", ["市市场监管局"], None),
        ("市市场监管局", ["市税务局"], "2022-12-31"),
    ]
    # a note after the last measure covers the measures that name no unit of their own
    assert [m["lead_department"] for m in second["measures"]] == ["市大数据局", "市大数据局"]
    assert [m["due"] for m in second["measures"]] == [None, "2022-06-30"]
    assert second["due"] == "2022-06-30"


def test_a_deadline_the_task_states_wins_over_its_measures() -> None:
    text = "一、任务\n1. 第二季度形成报告；9月底前完成评估。\n完成时限：2019年6月底前\n2. 其他。\n"
    task = parse_plan(text, 2019)["projects"][0]["tasks"][0]
    assert task["due"] == "2019-06-30"


def test_titles_are_never_cut_inside_a_clause() -> None:
    clause = "推动集成电路设计企业开展工程产品首轮流片和关键研发设备及工具购置奖补工作"
    task = parse_plan(f"一、任务\n1. {clause}，省级给予奖补。\n2. 其他。", 2021)
    assert task["projects"][0]["tasks"][0]["title"] == clause


def test_a_second_quantity_shares_the_first_ones_noun() -> None:
    found = extract_indicators("整体通关时间分别压缩至30小时和1小时以内")
    assert [i["name"] for i in found] == ["整体通关时间", "整体通关时间"]


def test_split_then_merge_gives_the_task_back(seed: dict[str, Any]) -> None:
    """The review page's tree edits: splitting the seed's 融资 task before its third measure
    makes two tasks whose texts rejoin; merging them again gives the task back."""
    tasks = copy.deepcopy(seed["projects"][1]["tasks"])
    original = copy.deepcopy(tasks[1])
    split_task(tasks, 1, 3, 2012)
    assert [t["number"] for t in tasks] == list(range(1, len(tasks) + 1))
    first, second = tasks[1], tasks[2]
    assert first["text"] + second["text"] == original["text"]
    assert [len(first["measures"]), len(second["measures"])] == [2, 2]
    assert second["measures"][0]["number"] == 1
    assert [i["name"] for i in first["indicators"]] == ["金融机构"]
    assert [i["name"] for i in second["indicators"]] == ["小微企业、涉农贷款增速"]
    merge_tasks(tasks, 1, 2012)
    assert tasks[1] == original
    with pytest.raises(PlanParseError):
        split_task(tasks, 1, 1, 2012)
    with pytest.raises(PlanParseError):
        merge_tasks(tasks, len(tasks) - 1, 2012)
