"""建议提案: the whole life (登记 → 办理 → 答复 → 不满意 → 二次办理 → 办结), the figures with
known answers, the reminder rule, permissions and the list's query count."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time

from core import scoring
from core.choices import ReminderKind
from core.roles import Role
from services import proposals
from services.choices import Opinion, ProposalStatus
from services.models import Inquiry, Proposal
from supervision.choices import Light
from supervision.lights import with_lights
from supervision.models import Task
from tests.helpers import (
    count_queries,
    login,
    make_department,
    make_office,
    make_user,
    only,
    run_on,
    sent,
)


@pytest.fixture
def people(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dept = make_department("市住房城乡建设局")
    other = make_department("市教育局")
    return {
        "dept": dept,
        "other": other,
        "sup": make_user("sup", Role.SUPERVISOR, email="sup@example.gov.cn"),
        "staff": make_user("staff", Role.STAFF, dept, email="staff@example.gov.cn"),
        "head": make_user("head", Role.HEAD, dept),
        "partner": make_user("partner", Role.STAFF, other),
        "leader": make_user("leader", Role.LEADER),
        "outsider": make_user("outsider", Role.STAFF, make_department("文电处")),
    }


def proposal(people, number="JY001", due=date(2026, 6, 30), **values):
    values.setdefault("lead_department", people["dept"])
    return Proposal.objects.create(
        number=number,
        kind="deputy",
        title="加快老旧小区改造",
        proposer="王代表",
        received_on=date(2026, 3, 1),
        due_date=due,
        **values,
    )


@freeze_time("2026-05-10 10:00:00+08:00")
def test_a_proposal_lives_through_second_handling_to_closure(client, people):
    login(client, "sup")
    created = client.post(
        "/services/proposals/new/",
        {
            "number": "JY100",
            "kind": "member",
            "title": "完善社区养老服务",
            "proposer": "李委员",
            "lead_department": people["dept"].pk,
            "partner_departments": [people["other"].pk],
            "received_on": "2026-03-01",
            "due_date": "2026-06-01",
            "key": "on",
        },
    )
    assert created.status_code == 302
    item = Proposal.objects.get(number="JY100")
    assert list(item.partner_departments.all()) == [people["other"]]
    task = item.item  # its 督办事项: reports, lights and 挂牌督办 come with it
    assert (task.source, task.doc_number, task.lead_department) == (
        "cppcc",
        "JY100",
        people["dept"],
    )
    assert task.due_date == date(2026, 6, 1) and task.start_date == date(2026, 3, 1)
    assert list(task.partner_departments.all()) == [people["other"]]
    url = item.get_absolute_url()

    login(client, "staff")
    assert client.post(f"{url}start/").status_code == 302
    assert client.post(f"{url}reply/", {"reply": "已制定方案。"}).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.replied_on) == (ProposalStatus.REPLIED, date(2026, 5, 10))

    login(client, "sup")
    missing_due = client.post(f"{url}opinion/", {"opinion": Opinion.UNSATISFIED})
    assert missing_due.status_code == 400
    assert "二次办理时限" in missing_due.content.decode()
    second = client.post(
        f"{url}opinion/", {"opinion": Opinion.UNSATISFIED, "new_due": "2026-07-15"}
    )
    assert second.status_code == 302
    item.refresh_from_db()
    assert item.status == ProposalStatus.SECOND and item.rounds == 2
    assert item.due_date == date(2026, 7, 15)
    task.refresh_from_db()
    assert task.due_date == date(2026, 7, 15)  # the item follows 二次办理's deadline

    login(client, "staff")
    client.post(f"{url}reply/", {"reply": "已落实资金并开工。"})
    login(client, "sup")
    client.post(f"{url}opinion/", {"opinion": Opinion.SATISFIED, "implemented": "on"})
    item.refresh_from_db()
    assert item.status == ProposalStatus.CLOSED and item.implemented
    assert item.closed_on == date(2026, 5, 10)
    reasons = [h.history_change_reason for h in item.history.order_by("history_date")]
    assert "代表委员不满意，进入二次办理（第2轮）" in reasons
    assert reasons[-1] == "代表委员满意，办结"
    page = client.get(url).content.decode()
    assert "二次办理" in page and "第2轮答复" in page


def test_steps_out_of_turn_are_refused(client, people):
    item = proposal(people)
    item.partner_departments.add(people["other"])  # a partner reads it, but may not reply
    login(client, "sup")
    response = client.post(f"{item.get_absolute_url()}opinion/", {"opinion": 3}, follow=True)
    assert "只有已答复的建议提案" in response.content.decode()
    item.refresh_from_db()
    assert item.status == ProposalStatus.ASSIGNED and item.opinion is None
    login(client, "partner")
    assert client.post(f"{item.get_absolute_url()}reply/", {"reply": "x"}).status_code == 403
    login(client, "staff")
    assert client.post(f"{item.get_absolute_url()}opinion/", {"opinion": 3}).status_code == 403
    assert client.post(f"{item.get_absolute_url()}other/").status_code == 404


def test_figures_have_the_known_values(people):
    day = date(2026, 7, 10)
    on_time = proposal(people, "A1")
    proposals.reply(on_time, None, "答复")
    Proposal.objects.filter(pk=on_time.pk).update(replied_on=date(2026, 6, 1))
    proposals.record_opinion(on_time, None, Opinion.SATISFIED, implemented=True)
    late = proposal(people, "A2")
    proposals.reply(late, None, "答复")
    Proposal.objects.filter(pk=late.pk).update(replied_on=date(2026, 7, 5))
    proposals.record_opinion(late, None, Opinion.FAIR, implemented=False)
    proposal(people, "A3")  # past its deadline, not replied
    proposal(people, "A4", due=date(2026, 8, 1))  # not yet due
    figures = proposals.figures_by_unit(Proposal.objects.all(), day)[people["dept"].pk]
    assert (figures.total, figures.due, figures.replied_on_time) == (4, 3, 1)
    assert figures.on_time_rate == Decimal("0.3333")
    assert figures.implement_rate == 0.5
    assert figures.satisfaction == 1
    measures = scoring.CRITERIA["services.proposal_implement_rate"].measure(date(2026, 7, 1))
    assert measures[people["dept"].pk].value == 0.5


def test_a_late_proposal_is_chased(people, settings, django_capture_on_commit_callbacks):
    only(settings, "proposal_due")
    item = proposal(people, due=date(2026, 6, 30))
    soon = run_on(date(2026, 6, 27), django_capture_on_commit_callbacks)
    assert {(u, k) for u, k, _e in sent(soon)} == {("staff", ReminderKind.DUE_SOON)}
    late = run_on(date(2026, 7, 2), django_capture_on_commit_callbacks)
    assert {(u, k) for u, k, _e in sent(late)} == {
        ("staff", ReminderKind.OVERDUE),
        ("head", ReminderKind.OVERDUE),
    }
    escalated = run_on(date(2026, 7, 8), django_capture_on_commit_callbacks)
    assert ("sup", ReminderKind.ESCALATION) in {(u, k) for u, k, _e in sent(escalated)}
    proposals.reply(item, None, "已答复")
    assert not run_on(date(2026, 7, 11), django_capture_on_commit_callbacks).items


@pytest.mark.parametrize(
    ("username", "status"),
    [("sup", 200), ("leader", 200), ("staff", 200), ("partner", 200), ("outsider", 404)],
)
def test_who_may_read_a_proposal(client, people, username, status):
    item = proposal(people)
    item.partner_departments.add(people["other"])
    login(client, username)
    assert client.get(item.get_absolute_url()).status_code == status


def test_only_supervisors_register(client, people):
    for username, status in (("sup", 200), ("leader", 403), ("head", 403)):
        login(client, username)
        assert client.get("/services/proposals/new/").status_code == status


def test_the_list_is_scoped_and_its_query_count_constant(
    client, people, django_assert_max_num_queries
):
    proposal(people)
    login(client, "outsider")
    assert "JY001" not in client.get("/services/proposals/").content.decode()
    login(client, "sup")
    before = count_queries(django_assert_max_num_queries, client, "/services/proposals/", 10)
    for n in range(25):
        proposal(people, f"JY{n + 100}", due=date(2026, 6, 30) + timedelta(days=n))
        proposal(people, f"JX{n + 100}", lead_department=people["other"])
    after = count_queries(django_assert_max_num_queries, client, "/services/proposals/", 10)
    assert after == before


def sheet(rows, header):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("登记表.csv", text.getvalue().encode("utf-8-sig"))


PROPOSAL_HEADER = ["编号", "类别", "标题", "提出人", "内容分类", "主办单位", "协办单位",
                   "交办日期", "办理时限", "重点"]  # fmt: skip


def test_a_good_register_imports_and_a_bad_one_writes_nothing(client, people):
    login(client, "sup")
    good = [
        ["JY201", "人大代表建议", "增加公交线路", "张代表", "交通", "市住房城乡建设局",
         "市教育局", "2026-03-01", "2026-06-01", "是"],
        ["ZX202", "政协提案", "发展托育服务", "赵委员", "民生", "市教育局", "",
         "2026/3/2", "2026年6月2日", ""],
    ]  # fmt: skip
    response = client.post("/services/proposals/import/", {"file": sheet(good, PROPOSAL_HEADER)})
    assert response.status_code == 302
    first = Proposal.objects.get(number="JY201")
    assert first.key and list(first.partner_departments.all()) == [people["other"]]
    assert Proposal.objects.get(number="ZX202").due_date == date(2026, 6, 2)
    bad = [
        ["JY301", "人大代表建议", "好的一行", "张代表", "", "市教育局", "", "2026-03-01",
         "2026-06-01", ""],
        ["JY201", "建议", "重复编号", "张代表", "", "市教育局", "", "2026-03-01",
         "2026-06-01", ""],
        ["JY302", "意见", "类别错", "张代表", "", "不存在的局", "某局", "2026-03-01",
         "2026-02-01", ""],
    ]  # fmt: skip
    refused = client.post("/services/proposals/import/", {"file": sheet(bad, PROPOSAL_HEADER)})
    assert refused.status_code == 400
    body = refused.content.decode()
    for text in ("第 3 行", "已经登记过", "第 4 行", "类别「意见」", "不存在的局", "某局",
                 "办理时限早于交办日期"):  # fmt: skip
        assert text in body, text
    assert not Proposal.objects.filter(number="JY301").exists()
    assert Proposal.objects.count() == 2
    login(client, "staff")
    assert client.get("/services/proposals/import/").status_code == 403


def test_an_inquiry_register_imports_answered_and_open_ones(client, people):
    login(client, "sup")
    header = ["编号", "问题", "平台", "提问时间", "答复单位", "答复时限", "答复时间", "答复内容"]
    rows = [
        ["WZ1", "学区怎么划", "市长信箱", "2026-03-01 09:00", "市教育局", "", "2026-03-03 10:00",
         "按街道划分。"],
        ["WZ2", "物业费标准", "网络问政平台", "2026-03-02 09:00", "市住房城乡建设局",
         "2026-03-10", "", ""],
    ]  # fmt: skip
    assert (
        client.post("/services/inquiries/import/", {"file": sheet(rows, header)}).status_code == 302
    )
    answered = Inquiry.objects.get(number="WZ1")
    assert answered.due_date == date(2026, 3, 6) and answered.days_taken == 2
    assert Inquiry.objects.get(number="WZ2").answered_at is None
    bad = [["WZ3", "问题", "", "2026-03-05 09:00", "市教育局", "", "2026-03-01 09:00", ""]]
    refused = client.post("/services/inquiries/import/", {"file": sheet(bad, header)})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "答复时间早于提问时间" in body and "没有答复内容" in body
    assert Inquiry.objects.count() == 2


def test_a_late_proposal_turns_its_task_red_and_shows_on_the_task_page(client, db):
    office = make_office()
    task = office["task"]
    task.percent = 30  # on schedule on 2030-03-10
    task.save()
    today = date(2030, 3, 10)

    def light():
        return with_lights(Task.objects.filter(pk=task.pk), today).get().light

    before = light()
    assert before != Light.RED
    item = Proposal.objects.create(
        number="JY9", kind="deputy", title="优化融资环境", proposer="王代表",
        lead_department=office["dept"], received_on=date(2030, 1, 5),
        due_date=date(2030, 3, 9), task=task,
    )  # fmt: skip
    assert light() == Light.RED
    with freeze_time("2030-03-10 10:00:00+08:00"):
        client.force_login(office["sup"])
        page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'data-source="services.proposals"' in page and "逾期 1 条" in page
    assert f"/services/proposals/?task={task.pk}" in page
    proposals.reply(item, office["staff"], "已答复")
    assert light() == before
