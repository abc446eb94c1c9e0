"""Issue 12: 交办 → 签收 or 拒签 (改派, 坚持交办) with the unsigned reminder rule, 延期申请 and
its effect on on-time figures, 暂停 / 终止 / 挂账结转, 办结 reported back to the 批示's leader,
and the deadline the 立项 form proposes from the source."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from core.access import can
from core.models import Reminder
from core.roles import Role
from supervision import item_defaults, procedure, scoring_criteria, services
from supervision.choices import (
    AssignmentStatus,
    ExtensionStatus,
    ListingLevel,
    Source,
    TaskStatus,
    Urgency,
)
from supervision.lights import with_lights
from supervision.models import Assignment, Extension, Instruction, Listing, Task
from tests.helpers import login, make_department, make_user, only, run_on, sent

# 2026-02-12 is a Thursday before the Spring Festival: 3 working days later is 2026-02-24
# (Friday 13th, the 调休 Saturday 14th, then the holiday until the 23rd).
ASSIGNED = "2026-02-12 09:00:00+08:00"


def new_item(office, **extra):
    data = {
        "source": Source.MEETING,
        "title": "推进金融服务中心建设",
        "text": "市政府常务会议议定：推进金融服务中心建设。",
        "lead_department": office["dept"],
        "due_date": date(2026, 6, 30),
        "rhythm": "monthly",
        "partner_departments": [],
        **extra,
    }
    return services.create_item(user=office["sup"], data=data)


@pytest.fixture
def item(office):
    with freeze_time(ASSIGNED):
        return new_item(office)


@pytest.fixture
def other_head(office):
    return make_user("otherhead", Role.HEAD, office["other"])


def pending(task):
    return task.assignments.get(status=AssignmentStatus.PENDING)


def test_an_item_is_assigned_with_its_limits_in_working_days(office):
    partner = make_department("市财政局")
    with freeze_time(ASSIGNED):
        task = new_item(office, partner_departments=[partner])
    lead, part = task.assignments.order_by("-is_lead")
    assert (lead.department, lead.is_lead, part.department) == (office["dept"], True, partner)
    assert lead.sign_by == date(2026, 2, 24) and lead.refuse_by == date(2026, 2, 24)
    notice = Reminder.objects.get(
        recipient=office["head"], channel="in_app", key__contains="assignment"
    )
    assert "2026-02-24" in notice.body
    # the partner's head signs for its part; the lead's head may not sign for the partner
    partner_head = make_user("parthead", Role.HEAD, partner)
    assert not can(office["head"], "sign", part) and can(partner_head, "sign", part)
    with freeze_time("2026-02-13 09:00:00+08:00"):
        procedure.sign(part, user=partner_head)
    part.refresh_from_db()
    assert part.status == AssignmentStatus.SIGNED
    assert task.assignments.get(is_lead=True).status == AssignmentStatus.PENDING


def test_signing_on_time_and_late(client, office, item):
    login(client, "head")
    assignment = pending(item)
    with freeze_time("2026-02-24 17:00:00+08:00"):
        response = client.post(
            f"/tasks/{item.pk}/sign/", {"action": "sign", "assignment": assignment.pk}
        )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SIGNED and not assignment.late
    with freeze_time(ASSIGNED):
        late = new_item(office, title="另一事项")
    with freeze_time("2026-02-25 09:00:00+08:00"):
        client.post(f"/tasks/{late.pk}/sign/", {"action": "sign", "assignment": pending(late).pk})
    signed = late.assignments.get()
    assert signed.status == AssignmentStatus.SIGNED and signed.late
    assert signed.answered_by == office["head"]


def test_refusal_then_reassignment_and_the_new_head_signs(client, office, item, other_head):
    assignment = pending(item)
    login(client, "staff")  # staff may not sign for the department
    url = f"/tasks/{item.pk}/sign/"
    assert client.post(url, {"action": "sign", "assignment": assignment.pk}).status_code == 403
    login(client, "head")
    with freeze_time("2026-02-13 10:00:00+08:00"):
        blank = client.post(url, {"action": "refuse", "assignment": assignment.pk, "reason": " "})
        assert blank.status_code == 400 and "请填写拒签理由" in blank.content.decode()
        client.post(
            url,
            {
                "action": "refuse",
                "assignment": assignment.pk,
                "reason": "属文电处职责",
                "suggested_department": office["other"].pk,
            },
        )
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REFUSED
    assert assignment.suggested_department == office["other"]
    assert Reminder.objects.filter(recipient=office["sup"], key__contains=":refused").exists()
    login(client, "sup")
    with freeze_time("2026-02-13 11:00:00+08:00"):
        response = client.post(
            url,
            {"action": "reassign", "assignment": assignment.pk, "department": office["other"].pk},
        )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.lead_department == office["other"]
    new = pending(item)
    assert new.department == office["other"]
    login(client, "otherhead")
    with freeze_time("2026-02-13 12:00:00+08:00"):
        client.post(url, {"action": "sign", "assignment": new.pk})
    new.refresh_from_db()
    assert new.status == AssignmentStatus.SIGNED
    history = client.get(f"/tasks/{item.pk}/history/").content.decode()
    assert "交办签收" in history and "拒签理由" in history


def test_refusal_is_late_after_its_limit_and_impossible_once_insisted(client, office, item):
    assignment = pending(item)
    login(client, "head")
    url = f"/tasks/{item.pk}/sign/"
    with freeze_time("2026-02-25 10:00:00+08:00"):
        response = client.post(
            url, {"action": "refuse", "assignment": assignment.pk, "reason": "不属职责"}
        )
    assert response.status_code == 409 and "已超过拒签时限" in response.content.decode()
    assert pending(item) == assignment
    with freeze_time("2026-02-13 10:00:00+08:00"):
        procedure.refuse(assignment, user=office["head"], reason="不属职责")
        procedure.insist(assignment, user=office["sup"])
        insisted = pending(item)
        assert insisted.insisted and insisted.department == office["dept"]
        response = client.post(
            url, {"action": "refuse", "assignment": insisted.pk, "reason": "仍不属"}
        )
    assert "不能再拒签" in response.content.decode()
    assert pending(item) == insisted


def test_unsigned_items_are_chased_once(office, item, settings, django_capture_on_commit_callbacks):
    only(settings, "unsigned")
    assignment = pending(item)
    first = run_on(date(2026, 2, 24), django_capture_on_commit_callbacks)
    assert sent(first) == {("head", "due_soon", f"unsigned:{assignment.pk}:due")}
    assert sent(run_on(date(2026, 2, 24), django_capture_on_commit_callbacks)) == set()
    late = run_on(date(2026, 2, 25), django_capture_on_commit_callbacks)
    assert sent(late) == {("head", "overdue", f"unsigned:{assignment.pk}:step:0")}
    settings.REMINDER_ESCALATE_SUPERVISOR_DAYS = 4
    later = run_on(date(2026, 2, 28), django_capture_on_commit_callbacks)
    assert ("sup", "escalation", f"unsigned:{assignment.pk}:step:1") in sent(later)


def test_pausing_stops_reminders_and_the_light(
    office, item, settings, django_capture_on_commit_callbacks
):
    only(settings, "unsigned", "overdue")
    with freeze_time("2026-02-13 10:00:00+08:00"):
        procedure.set_state(
            item, user=office["sup"], status=TaskStatus.SUSPENDED, reason="等待规划调整"
        )
    assert sent(run_on(date(2026, 7, 10), django_capture_on_commit_callbacks)) == set()
    with freeze_time("2026-07-10 10:00:00+08:00"):
        assert with_lights(Task.objects.filter(pk=item.pk)).get().light == "grey"
        procedure.set_state(item, user=office["sup"], status=TaskStatus.IN_PROGRESS, reason="恢复")
    assert sent(run_on(date(2026, 7, 10), django_capture_on_commit_callbacks))


def finished_on_time(task, finished):
    return finished <= procedure.counted_due(task)


def test_an_extension_approved_in_time_moves_the_counted_deadline(client, office, item):
    login(client, "staff")
    url = f"/tasks/{item.pk}/extension/"
    with freeze_time("2026-06-20 10:00:00+08:00"):
        response = client.post(
            url, {"action": "apply", "new_date": "2026-08-31", "reason": "征地手续未完成"}
        )
        assert response.status_code == 302
        assert client.post(url, {"action": "review", "decision": "approve"}).status_code == 403
        login(client, "sup")
        client.post(url, {"action": "review", "decision": "approve"})
        page = client.get(f"/tasks/{item.pk}/").content.decode()
    item.refresh_from_db()
    assert (item.due_date, item.original_due_date) == (date(2026, 8, 31), date(2026, 6, 30))
    assert item.counted_due_date == date(2026, 8, 31)
    assert finished_on_time(item, date(2026, 8, 20))
    with freeze_time("2026-08-20 10:00:00+08:00"):
        closure = services.apply_close(item, user=office["staff"], summary="已完成")
        services.decide_close(closure, user=office["sup"], confirm=True)
    figure = scoring_criteria.closed_on_time(date(2026, 8, 1))[office["dept"].pk]
    assert (figure.value, figure.detail) == (1, "按期办结 1/1 项")
    assert "2026-08-31" in page and "2026-06-30" in page


def test_an_extension_refused_or_approved_too_late_keeps_the_original(client, office, item):
    with freeze_time("2026-06-20 10:00:00+08:00"):
        extension = procedure.apply_extension(
            item, user=office["staff"], new_date=date(2026, 8, 31), reason="资金未到位"
        )
        login(client, "sup")
        refused = client.post(
            f"/tasks/{item.pk}/extension/", {"action": "review", "decision": "refuse"}
        )
        assert "不予批准时请填写理由" in refused.content.decode()
        procedure.review_extension(
            extension, user=office["sup"], approve=False, reason="理由不充分"
        )
    item.refresh_from_db()
    assert item.due_date == date(2026, 6, 30) and item.original_due_date is None
    assert not finished_on_time(item, date(2026, 8, 20))
    with freeze_time("2026-06-29 10:00:00+08:00"):
        again = procedure.apply_extension(
            item, user=office["staff"], new_date=date(2026, 8, 31), reason="资金仍未到位"
        )
    with freeze_time("2026-07-02 10:00:00+08:00"):  # decided after the original passed
        procedure.review_extension(again, user=office["sup"], approve=True)
    item.refresh_from_db()
    assert item.due_date == date(2026, 8, 31) and item.counted_due_date == date(2026, 6, 30)
    assert not finished_on_time(item, date(2026, 8, 20))
    with freeze_time("2026-09-02 10:00:00+08:00"), pytest.raises(services.Conflict):
        procedure.apply_extension(
            item, user=office["staff"], new_date=date(2026, 10, 1), reason="再延"
        )


def test_a_city_listed_item_needs_a_leader_too(client, office, item):
    with freeze_time("2026-06-01 10:00:00+08:00"):
        Listing.objects.create(
            task=item,
            level=ListingLevel.CITY,
            reason="重点",
            deadline=date(2026, 6, 30),
            listed_by=office["sup"],
            listed_at="2026-06-01T10:00:00+08:00",
        )
        extension = procedure.apply_extension(
            item, user=office["staff"], new_date=date(2026, 7, 31), reason="等待批复"
        )
        procedure.review_extension(extension, user=office["sup"], approve=True)
        extension.refresh_from_db()
        assert extension.status == ExtensionStatus.LEADER
        login(client, "sup")
        url = f"/tasks/{item.pk}/extension/"
        assert client.post(url, {"action": "leader", "decision": "approve"}).status_code == 403
        login(client, "leader")
        client.post(url, {"action": "leader", "decision": "approve"})
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.APPROVED and extension.leader == office["leader"]


def test_year_end_carry_over_links_the_two_items(client, office, item):
    with freeze_time("2026-12-31 16:00:00+08:00"):
        assert item in procedure.year_end_candidates(2026)
        login(client, "staff")
        url = f"/tasks/{item.pk}/state/"
        assert client.post(url, {"state": "carry", "reason": "跨年实施"}).status_code == 403
        login(client, "sup")
        response = client.post(url, {"state": "carry", "reason": "跨年实施"})
    new = Task.objects.get(carried_from=item)
    assert response.url == f"/tasks/{new.pk}/"
    item.refresh_from_db()
    assert item.status == TaskStatus.CARRIED and item.state_reason == "跨年实施"
    assert (new.year, new.lead_department, new.due_date) == (
        2027,
        office["dept"],
        date(2027, 12, 31),
    )
    assert item.history.count() >= 2  # the old item keeps its history
    assert item not in procedure.year_end_candidates(2026)
    with pytest.raises(services.Conflict):
        procedure.carry_over(item, user=office["sup"], reason="再次")


def test_closing_an_item_from_an_instruction_reports_back_to_its_leader(office):
    task = office["task"]
    instruction = Instruction.objects.create(task=task, leader=office["leader"], text="抓紧落实")
    with freeze_time(ASSIGNED):
        item = services.create_item(
            user=office["sup"],
            data={
                "source": Source.INSTRUCTION,
                "title": "落实批示",
                "text": "抓紧落实",
                "lead_department": office["dept"],
                "due_date": date(2026, 3, 31),
                "rhythm": "once",
            },
            instruction=instruction,
        )
        closure = services.apply_close(item, user=office["staff"], summary="已全部落实")
        services.decide_close(closure, user=office["sup"], confirm=True)
    notice = Reminder.objects.get(
        recipient=office["leader"], key__contains=":report_back", channel="in_app"
    )
    assert "已全部落实" in notice.body


@freeze_time(ASSIGNED)
def test_defaults_by_source_and_urgency(db, settings):
    today = date(2026, 2, 12)
    assert item_defaults.proposed_defaults(Source.INSTRUCTION, Urgency.URGENT, today) == (
        date(2026, 2, 26),  # 5 working days across the Spring Festival
        "once",
    )
    settings.ITEM_URGENT_WORKDAYS = 1
    assert item_defaults.proposed_defaults(Source.INSTRUCTION, Urgency.URGENT, today)[0] == date(
        2026, 2, 13
    )
    assert item_defaults.proposed_defaults(Source.GOV_REPORT, "", today) == (
        date(2026, 12, 31),
        "monthly",
    )
    assert item_defaults.proposed_defaults(Source.MEETING, "", today)[0] == date(2026, 4, 1)


def test_permissions_of_the_sign_and_extension_pages(client, office, item):
    login(client, "outsider")  # a department the item was not assigned to
    assert client.get(f"/tasks/{item.pk}/sign/").status_code == 403
    assert client.post(f"/tasks/{item.pk}/extension/", {"action": "apply"}).status_code == 403
    assert (
        client.post(f"/tasks/{item.pk}/state/", {"state": "suspend", "reason": "x"}).status_code
        == 403
    )
    login(client, "staff")
    assert client.get(f"/tasks/{item.pk}/sign/").status_code == 200
    assert client.get(f"/tasks/{item.pk}/extension/").status_code == 200
    login(client, "leader")
    assert client.get(f"/tasks/{item.pk}/sign/").status_code == 200
    assert client.get("/tasks/999999/sign/").status_code == 404
    client.logout()
    assert client.get(f"/tasks/{item.pk}/sign/").status_code == 302
    assert not Assignment.objects.filter(status=AssignmentStatus.SIGNED).exists()
    assert not Extension.objects.exists()


def test_the_item_form_proposes_the_deadline(client, office):
    login(client, "sup")
    with freeze_time(ASSIGNED):
        page = client.get("/tasks/new/").content.decode()
        assert 'value="2026-04-01"' in page  # 会议议定: 30 working days
        assert "instruction:urgent" in page and "2026-02-26" in page
        response = client.post(
            "/tasks/new/",
            {
                "source": "instruction",
                "urgency": "urgent",
                "title": "紧急批示件",
                "text": "请五个工作日内报告。",
                "lead_department": office["dept"].pk,
                "rhythm": "once",
                "due_date": "2026-02-26",  # as proposed
            },
        )
    assert response.status_code == 302
    task = Task.objects.get(title="紧急批示件")
    assert (task.due_date, task.urgency) == (date(2026, 2, 26), "urgent")
    assert task.assignments.get().department == office["dept"]


def test_the_year_end_command_carries_every_open_item(office, item):
    out = io.StringIO()
    with freeze_time("2026-12-31 18:00:00+08:00"):
        call_command("carry_over", year=2026, user="sup", dry_run=True, stdout=out)
        assert Task.objects.filter(year=2027).count() == 0
        call_command("carry_over", year=2026, user="sup", stdout=out)
    assert "would carry: 1 items" in out.getvalue() and "carried: 1 items" in out.getvalue()
    assert Task.objects.get(year=2027).carried_from == item
