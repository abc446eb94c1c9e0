"""Issue 12's "done when": permissions for every new URL, and every ladder rule firing exactly
once when the daily run repeats. Each URL of the procedure is tried by anonymous users (sent
to log in), by the roles the rule leaves out (403, or 404 where the record is not theirs to
see) and by the one it lets in; a refused write changes nothing."""

from datetime import date

import pytest
from freezegun import freeze_time

from core.roles import Role
from supervision import ladder, procedure, services
from supervision.choices import AssignmentStatus, ExtensionStatus, LadderPattern, Source
from supervision.models import (
    Assignment,
    Extension,
    LadderRecord,
    LadderRule,
    StateRequest,
    Task,
)
from tests.helpers import login, make_task, make_user

ASSIGNED = "2026-02-12 09:00:00+08:00"


@pytest.fixture
def world(office):
    """An item assigned to the office's department, an extension waiting for a leader (the
    item is under 市政府挂牌), a letter, a 约谈, a 问责, a 暂停 application."""
    make_user("otherhead", Role.HEAD, office["other"])
    with freeze_time(ASSIGNED):
        task = services.create_item(
            user=office["sup"],
            data={
                "source": Source.MEETING,
                "title": "推进金融服务中心建设",
                "text": "市政府常务会议议定。",
                "lead_department": office["dept"],
                "due_date": date(2026, 6, 30),
                "rhythm": "monthly",
                "partner_departments": [],
            },
        )
    extension = Extension.objects.create(
        task=task,
        original_due_date=task.due_date,
        requested_due_date=date(2026, 9, 30),
        reason="需要时间",
        applied_by=office["staff"],
        status=ExtensionStatus.LEADER,
        needs_leader=True,
    )
    letter = ladder.escalate(task, action="letter", reason="滞后", user=office["sup"])
    meeting = ladder.escalate(task, action="interview", reason="红灯", user=office["sup"])
    decision = ladder.escalate(task, action="accountability", reason="逾期", user=office["sup"])
    application = procedure.apply_state(task, user=office["staff"], kind="suspended", reason="x")
    return {
        "task": task,
        "assignment": task.assignments.get(),
        "extension": extension,
        "letter": letter,
        "meeting": meeting,
        "decision": decision,
        "application": application,
    }


def state(world):
    """What a refused request must leave as it was."""
    return (
        list(Assignment.objects.values_list("status", flat=True)),
        list(Extension.objects.values_list("status", flat=True)),
        list(StateRequest.objects.values_list("status", flat=True)),
        list(Task.objects.values_list("status", "lead_department_id")),
        list(LadderRecord.objects.values_list("signed_at", "date", "action")),
    )


def urls(w):
    t, a = w["task"].pk, w["assignment"].pk
    return {
        "sign": ("post", f"/tasks/{t}/sign/", {"action": "sign", "assignment": a}),
        "refuse": (
            "post",
            f"/tasks/{t}/sign/",
            {"action": "refuse", "assignment": a, "reason": "不属本单位职责"},
        ),
        "reassign": (
            "post",
            f"/tasks/{t}/sign/",
            {"action": "insist", "assignment": a},
        ),
        "apply_extension": (
            "post",
            f"/tasks/{t}/extension/",
            {"action": "apply", "new_date": "2026-12-31", "reason": "理由"},
        ),
        "review_extension": (
            "post",
            f"/tasks/{t}/extension/",
            {"action": "review", "decision": "approve"},
        ),
        "leader_extension": (
            "post",
            f"/tasks/{t}/extension/",
            {"action": "leader", "decision": "approve"},
        ),
        "state": ("post", f"/tasks/{t}/state/", {"state": "terminate", "reason": "撤销"}),
        "apply_state": (
            "post",
            f"/tasks/{t}/state/apply/",
            {"kind": "terminated", "reason": "撤销"},
        ),
        "decide_state": (
            "post",
            f"/tasks/{t}/state/{w['application'].pk}/",
            {"decision": "approve"},
        ),
        "escalate": ("post", f"/tasks/{t}/escalate/", {"action": "notice", "reason": "请加快"}),
        "sign_letter": ("post", f"/supervision/letters/{w['letter'].pk}/", {}),
        "letter_docx": ("get", f"/supervision/letters/{w['letter'].pk}.docx", None),
        "letter": ("get", f"/supervision/letters/{w['letter'].pk}/", None),
        "letters": ("get", "/supervision/letters/", None),
        "interviews": ("get", "/supervision/interviews/", None),
        "fill_interview": (
            "post",
            f"/supervision/interviews/{w['meeting'].pk}/",
            {"date": "2026-02-20", "leader": "", "attendees": "", "minutes": "", "follow_up": ""},
        ),
        "decision_record": ("get", f"/supervision/interviews/{w['decision'].pk}/", None),
        "requests": ("get", "/supervision/requests/", None),
        "sign_page": ("get", f"/tasks/{t}/sign/", None),
    }


# (url, user, status): the roles each rule leaves out. Staff of the lead department may not
# 签收 (the head does), heads of another department see none of its records (404).
REFUSED = [
    ("sign", "staff", 403),
    ("sign", "sup", 403),
    ("sign", "otherhead", 403),
    ("refuse", "staff", 403),
    ("refuse", "leader", 403),
    ("reassign", "head", 403),
    ("reassign", "leader", 403),
    ("apply_extension", "outsider", 403),
    ("apply_extension", "sup", 403),
    ("review_extension", "staff", 403),
    ("review_extension", "leader", 403),
    ("leader_extension", "sup", 403),
    ("leader_extension", "head", 403),
    ("state", "staff", 403),
    ("state", "head", 403),
    ("state", "leader", 403),
    ("apply_state", "outsider", 403),
    ("apply_state", "leader", 403),
    ("decide_state", "head", 403),
    ("decide_state", "leader", 403),
    ("escalate", "head", 403),
    ("escalate", "leader", 403),
    ("sign_letter", "sup", 403),
    ("sign_letter", "leader", 403),
    ("sign_letter", "otherhead", 404),
    ("letter_docx", "staff", 404),
    ("letter_docx", "otherhead", 404),
    ("letter", "staff", 404),
    ("letters", "staff", 403),
    ("interviews", "outsider", 403),
    ("fill_interview", "head", 403),
    ("fill_interview", "leader", 403),
    ("decision_record", "head", 404),
    ("requests", "head", 403),
    ("sign_page", "outsider", 403),
]


@pytest.mark.parametrize(("name", "username", "status"), REFUSED)
def test_each_new_url_refuses_the_roles_its_rule_leaves_out(
    client, office, world, name, username, status
):
    method, url, data = urls(world)[name]
    before = state(world)
    login(client, username)
    response = getattr(client, method)(url, data) if data is not None else client.get(url)
    assert response.status_code == status
    assert state(world) == before


def test_each_new_url_sends_anonymous_users_to_log_in(client, office, world):
    before = state(world)
    for name, (method, url, data) in urls(world).items():
        response = getattr(client, method)(url, data) if data is not None else client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/accounts/login/"), name
    assert state(world) == before


@pytest.mark.parametrize(
    ("name", "username"),
    [
        ("sign", "head"),
        ("apply_state", "head"),  # refused as a conflict (one waiting): the page, not a 403
        ("decide_state", "sup"),
        ("leader_extension", "leader"),
        ("escalate", "sup"),
        ("sign_letter", "head"),
        ("letter_docx", "head"),
        ("decision_record", "leader"),
        ("requests", "sup"),
        ("requests", "leader"),  # the 延期申请 waiting for a leader (test_leader_queue.py)
        ("sign_page", "staff"),
    ],
)
def test_and_lets_in_the_one_it_names(client, office, world, name, username):
    method, url, data = urls(world)[name]
    login(client, username)
    response = getattr(client, method)(url, data) if data is not None else client.get(url)
    assert response.status_code in (200, 302)


def test_the_sign_by_the_head_is_recorded(client, office, world):
    method, url, data = urls(world)["sign"]
    login(client, "head")
    client.post(url, data)
    assert world["assignment"].__class__.objects.get(pk=world["assignment"].pk).status == (
        AssignmentStatus.SIGNED
    )


def test_every_rule_fires_exactly_once_however_often_the_ladder_runs(office):
    LadderRule.objects.all().delete()
    rules = [
        LadderRule.objects.create(
            name="黄灯", pattern=LadderPattern.YELLOW_MONTHS, threshold=2, action="letter"
        ),
        LadderRule.objects.create(
            name="红灯", pattern=LadderPattern.RED_MONTHS, threshold=2, action="interview"
        ),
        LadderRule.objects.create(
            name="逾期", pattern=LadderPattern.OVERDUE_WORKDAYS, threshold=5, action="notice"
        ),
    ]
    start = {"year": 2026, "lead_department": office["dept"], "start_date": date(2026, 1, 1)}
    yellow = make_task(2, due_date=date(2026, 12, 31), **start)  # no report: yellow
    red = make_task(3, due_date=date(2026, 1, 30), **start)  # overdue since January: red
    with freeze_time("2026-04-02 09:00:00+08:00"):
        first = ladder.run_ladder()
        assert ladder.run_ladder() == []
    with freeze_time("2026-04-03 09:00:00+08:00"):
        assert ladder.run_ladder() == []  # the next day: the same streaks
    fired = sorted((r.task_id, r.rule.name) for r in first if r.task_id in (yellow.pk, red.pk))
    assert fired == [(yellow.pk, "黄灯"), (red.pk, "红灯"), (red.pk, "逾期")]
    per_rule = {
        rule.name: LadderRecord.objects.filter(rule=rule, task__in=[yellow, red]).count()
        for rule in rules
    }
    assert per_rule == {"黄灯": 1, "红灯": 1, "逾期": 1}
