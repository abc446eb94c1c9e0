"""督查通报: generated from a closed month's snapshot of a small plan with known figures, read
back from the .docx (python-docx) and the PDF (pypdf); unchanged by later edits; edited,
issued (numbered, notifying every head), final afterwards; the list page's queries."""

import io
from datetime import date

import pytest
from django.utils import timezone
from docx import Document
from docx.oxml.ns import qn
from freezegun import freeze_time
from pypdf import PdfReader

from core.models import Reminder
from supervision import bulletins
from supervision.bulletin_files import as_docx, as_pdf
from supervision.choices import BulletinStatus
from supervision.dashboard import reopen_month
from supervision.demo import load_demo
from supervision.models import Bulletin, MonthClose, MonthlyReport, ScoringScheme
from supervision.scores import DEMO_CRITERIA
from tests.helpers import (
    JUNE,
    close_june,
    count_queries,
    drain,
    login,
    make_month_office,
)

pytestmark = pytest.mark.django_db
URL = "/bulletins/2030-06/"


@pytest.fixture
def office():
    made = make_month_office()
    scheme = ScoringScheme.objects.create(year=2030, in_bulletin=True)
    for key, weight, per_unit, params in DEMO_CRITERIA:
        if key != "supervision.progress":
            scheme.items.create(key=key, weight=weight, per_unit=per_unit, params=params)
    close_june(made)
    return made


def generated(office):
    return bulletins.generate(office["plan"], JUNE, office["sup"])


def docx_text(content):
    """{heading: [paragraphs and table rows after it]} and the document."""
    document = Document(io.BytesIO(content))
    body = document.element.body
    sections, current = {"": []}, ""
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            text = "".join(t.text or "" for t in child.iter(qn("w:t"))).strip()
            if text[:2] in {f"{n}、" for n in "一二三四五六七八九"}:
                current = text[2:]
                sections[current] = []
            elif text:
                sections[current].append(text)
        elif child.tag == qn("w:tbl"):
            for row in child.iter(qn("w:tr")):
                cells = [
                    "".join(t.text or "" for t in c.iter(qn("w:t"))) for c in row.iter(qn("w:tc"))
                ]
                sections[current].append(cells)
    return sections, document


def test_every_section_states_the_snapshot_figures_and_names(office):
    bulletin = bulletins.issue(generated(office), office["sup"])
    sections, document = docx_text(as_docx(bulletin))
    assert sections[""][:2] == ["督查通报", "2030年第1期"]
    assert list(sections)[1:] == [
        "总体情况",
        "完成情况",
        "滞后事项",
        "挂牌督办事项",
        "督办约谈情况",
        "领导批示落实",
        "报送情况",
        "目标绩效考核排名",
        "下步工作",
    ]
    assert sections["总体情况"] == [
        "截至2030年6月底，年度工作计划共有任务4项，已完成1项、已办结0项，平均完成进度50.0%，"
        "序时进度62.1%。亮红灯2项、亮黄灯1项，挂牌督办1项。本月应报送进展4项，实报3项，"
        "其中逾期报送1项。"
    ]
    assert sections["完成情况"][1:] == [
        ["牵头单位", "已完成", "已办结", "牵头任务"],
        ["乙处", "1", "0", "2"],
    ]
    assert sections["滞后事项"][0].endswith(
        "乙处、甲处牵头的任务中有亮红灯或黄灯的（见下表），请对照序时进度加快推进。"
    )
    # t1 yellow (no May report), t2 red (overdue); t4 red (listing past its deadline)
    assert sections["滞后事项"][1:] == [
        ["编号", "任务", "牵头单位", "完成时限", "逾期天数", "进度", "原因"],
        ["1.2", "引进金融机构", "甲处", "2030-05-31", "30", "40%", "资金未到位"],
        ["牵头单位", "红灯", "黄灯", "平均进度", "序时进度"],
        ["乙处", "1", "0", "50.0%", "49.5%"],  # in the departments' order
        ["甲处", "1", "1", "50.0%", "74.7%"],
    ]
    assert sections["挂牌督办事项"][1:] == [
        ["编号", "任务", "挂牌级别", "督办时限", "状态"],
        ["1.4", "整治校园周边", "办公厅挂牌", "2030-06-25", "已超期"],
    ]
    assert sections["领导批示落实"][1][:4] == ["编号", "任务", "批示领导", "批示内容"]
    assert sections["领导批示落实"][2][:4] == ["1.4", "整治校园周边", "leader", "限期整改校园周边"]
    assert sections["报送情况"] == [
        "乙处本月有进展未报送。乙处本月有进展逾期报送。",
        ["单位", "未报送", "逾期报送"],
        ["乙处", "1", "1"],
    ]
    assert sections["目标绩效考核排名"] == [
        ["名次", "单位", "得分"],
        ["1", "甲处", "65.00"],
        ["2", "乙处", "15.00"],
    ]
    assert "督查处将对滞后事项" in sections["下步工作"][0]
    # A4, 仿宋 body and 黑体 headings for East Asian text, a PAGE field in the footer
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    heading = next(p for p in document.paragraphs if p.text == "一、总体情况")
    assert heading.runs[0].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    footer = section.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and 'w:fldCharType="begin"' in footer


def test_the_pdf_has_the_same_text_on_a4_pages_with_numbers(office):
    bulletin = bulletins.issue(generated(office), office["sup"])
    reader = PdfReader(io.BytesIO(as_pdf(bulletin)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 2
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]
    for words in (
        "督查通报",
        "2030年第1期",
        "引进金融机构",
        "资金未到位",
        "整治校园周边",
        "九、下步工作",  # 督办约谈情况 (issue 12) comes before it
    ):
        assert words in text.replace(" ", "").replace("\n", "")
    assert "— 1 —" in reader.pages[0].extract_text() and "— 2 —" in reader.pages[1].extract_text()


def test_the_bulletin_is_the_same_after_later_edits_to_the_data(office):
    bulletin = bulletins.issue(generated(office), office["sup"])
    # the clock stands still: a .docx is a zip whose entries carry the time they were written
    # (2-second steps), which two writes a moment apart need not share
    with freeze_time(timezone.now()):
        before = (as_docx(bulletin), bulletin.facts)
        t1, t2, t3, t4 = office["tasks"]
        MonthlyReport.objects.filter(task=t2).update(problems="另一个原因", percent=90)
        t2.title = "改了标题"
        t2.save()
        t4.delete()
        again = Bulletin.objects.get(pk=bulletin.pk)
        assert (as_docx(again), again.facts) == before


def test_generate_refused_for_an_open_month_and_an_issued_bulletin(office):
    with pytest.raises(bulletins.BulletinError, match="只能为已关账的月份生成"):
        bulletins.generate(office["plan"], JUNE.replace(month=7), office["sup"])
    bulletin = bulletins.issue(generated(office), office["sup"])
    with pytest.raises(bulletins.BulletinError, match="已印发，不能重新生成"):
        generated(office)
    with pytest.raises(bulletins.BulletinError, match="已印发的督查通报不能修改"):
        bulletins.edit(bulletin, {name: "x" for name in bulletins.PARAGRAPHS})
    with pytest.raises(bulletins.BulletinError, match="该督查通报已印发"):
        bulletins.issue(bulletin, office["sup"])


def test_edit_and_issue_through_the_page_number_it_and_notify_every_head(client, office):
    login(client, "sup")
    assert client.post(URL, {"action": "generate"}).status_code == 302
    form = {"action": "save", "issuer": "市政府办公厅督查处"}
    form |= {name: f"{name}段落" for name in bulletins.PARAGRAPHS}
    form["overview"] = "本月总体平稳。\n第二段。"
    assert client.post(URL, form).status_code == 302
    assert client.post(URL, {"action": "issue"}).status_code == 302
    bulletin = Bulletin.objects.get()
    assert (bulletin.status, bulletin.number) == (BulletinStatus.ISSUED, 1)
    assert bulletin.history.count() == 3  # generated, edited, issued
    sections, _ = docx_text(drain(client.get("/bulletins/2030-06.docx")))
    assert sections["总体情况"] == ["本月总体平稳。", "第二段。"]
    notices = Reminder.objects.filter(kind="bulletin", channel="in_app")
    assert sorted(n.recipient.username for n in notices) == ["head_a", "head_b"]
    assert {n.url for n in notices} == {URL}
    page = client.get(URL).content.decode()
    assert 'id="bulletin-form"' not in page and "2030年第1期" in page
    history = page[page.index('id="bulletin-history"') :]
    assert [history.count(w) for w in ("生成", "修改", "印发（第1期）")] == [1, 1, 1]


def test_a_bad_edit_shows_the_form_again_and_saves_nothing(client, office):
    generated(office)
    login(client, "sup")
    form = {"action": "save", "issuer": ""} | {name: "新" for name in bulletins.PARAGRAPHS}
    form["overview"] = "长" * 5001
    response = client.post(URL, form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "不能超过 5000 字" in page and "这个字段是必填项" in page
    assert Bulletin.objects.get().completed != "新"


def test_readers_see_only_issued_bulletins(client, office):
    bulletin = generated(office)
    login(client, "head_a")
    assert client.get(URL).status_code == 404
    assert client.get("/bulletins/2030-06.pdf").status_code == 404
    assert "2030年6月" not in client.get("/bulletins/").content.decode()
    bulletins.issue(bulletin, office["sup"])
    assert client.get(URL).status_code == 200
    assert client.get("/bulletins/2030-06.pdf")["Content-Type"] == "application/pdf"


def test_the_list_costs_the_same_queries_whatever_the_number_of_bulletins(
    client, office, django_assert_max_num_queries
):
    login(client, "sup")
    bulletins.issue(generated(office), office["sup"])
    few = count_queries(django_assert_max_num_queries, client, "/bulletins/")
    for month in range(1, 6):
        Bulletin.objects.create(
            plan=office["plan"],
            month=JUNE.replace(month=month),
            number=month + 1,
            status=BulletinStatus.ISSUED,
            generated_by=office["sup"],
            issued_by=office["sup"],
        )
    many = count_queries(django_assert_max_num_queries, client, "/bulletins/")
    assert few == many


def test_load_demo_issues_the_closed_months_bulletins_and_sets_up_a_scheme(demo):
    issued = Bulletin.objects.order_by("month")
    assert [(b.month.month, b.number, b.status) for b in issued] == [
        (m, m, BulletinStatus.ISSUED) for m in range(1, 6)
    ]
    assert all(b.ranking for b in issued)  # the demo scheme puts the ranking in
    scheme = ScoringScheme.objects.get(year=2012)
    assert scheme.items.count() == 6
    load_demo(year=2012, out=lambda *a: None)  # safe to run twice
    assert Bulletin.objects.count() == 5 and ScoringScheme.objects.count() == 1


def test_a_draft_regenerated_after_a_reopen_and_close_takes_the_new_snapshot(office):
    draft = generated(office)
    assert [row["title"] for row in draft.facts["lagging"]] == ["引进金融机构"]
    close = reopen_month(MonthClose.objects.get(month=JUNE), office["sup"], "数据更正")
    t2 = office["tasks"][1]
    t2.due_date = date(2030, 12, 31)  # the deadline was wrong: not overdue after all
    t2.save()
    close_june(office)
    again = generated(office)
    assert again.pk == draft.pk and again.facts["lagging"] == []
    assert again.lagging.startswith("本月没有逾期未完成的任务。")
    assert close.reopen_reason == "数据更正"
