"""暂停 / 终止 as an application (issue 12): the lead department (head or staff) applies with a
reason, a supervisor approves or refuses from the task page or the queue
(/supervision/requests/), and may still act directly; each step is in the history, whom it
concerns is told, and every new URL refuses everyone else."""

from datetime import date

import pytest
from django.contrib.messages import get_messages

from core.models import Reminder
from core.roles import Role
from supervision import procedure, services
from supervision.choices import StateRequestStatus, TaskStatus
from supervision.models import StateRequest
from tests.helpers import count_queries, login, make_task, make_user, only, run_on, sent

QUEUE = "/supervision/requests/"


@pytest.fixture
def task(office):
    return office["task"]


def apply_url(task):
    return f"/tasks/{task.pk}/state/apply/"


def decide_url(application):
    return f"/tasks/{application.task_id}/state/{application.pk}/"


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_staff_apply_the_supervisor_approves_from_the_queue_and_the_item_stops(
    client,
    office,
    task,
    settings,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    login(client, "staff")
    response = client.post(apply_url(task), {"kind": "suspended", "reason": "等待规划调整"})
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/"
    application = StateRequest.objects.get()
    assert (application.kind, application.status, application.applied_by) == (
        "suspended",
        StateRequestStatus.PENDING,
        office["staff"],
    )
    task.refresh_from_db()
    assert task.status != TaskStatus.SUSPENDED  # nothing stops before the decision
    notice = Reminder.objects.get(
        recipient=office["sup"], channel="in_app", key__startswith="state-application"
    )
    assert "申请暂停" in notice.body and "等待规划调整" in notice.body
    # the pending application is on the task page, with no decision form for the department
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert f'id="state-request-{application.pk}"' in page and "待督查处审批" in page
    assert "state-decision" not in page
    assert 'id="state-apply-form"' not in page  # one application at a time
    # a second application waits for the first
    response = client.post(apply_url(task), {"kind": "terminated", "reason": "不再需要"})
    assert "该事项已有待审批的暂停或终止申请。" in said(response)
    assert StateRequest.objects.count() == 1

    login(client, "sup")
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "state-decision" in page
    # the queue: its queries do not grow with the applications waiting
    other = make_task(2, year=2030, lead_department=office["dept"], title="第二个事项")
    procedure.apply_state(other, user=office["head"], kind="terminated", reason="已由省级统筹")
    queue = client.get(QUEUE).content.decode()
    assert 'id="queue-state-' in queue and "第二个事项" in queue and "等待规划调整" in queue
    few = count_queries(django_assert_max_num_queries, client, QUEUE, at_most=12)
    third = make_task(3, year=2030, lead_department=office["dept"], title="第三个事项")
    procedure.apply_state(third, user=office["staff"], kind="suspended", reason="资金未到位")
    assert count_queries(django_assert_max_num_queries, client, QUEUE, at_most=12) == few

    response = client.post(decide_url(application), {"decision": "approve", "back": "queue"})
    assert response["Location"] == QUEUE
    application.refresh_from_db()
    task.refresh_from_db()
    assert application.status == StateRequestStatus.APPROVED
    assert application.decided_by == office["sup"]
    assert (task.status, task.state_reason) == (TaskStatus.SUSPENDED, "等待规划调整")
    told = Reminder.objects.get(
        recipient=office["staff"], channel="in_app", key__startswith=f"state:{task.pk}:"
    )
    assert "批准" in told.body and "暂停" in told.subject
    assert f'id="queue-state-{application.pk}"' not in client.get(QUEUE).content.decode()
    # each step is in the task's history
    history = client.get(f"/tasks/{task.pk}/history/").content.decode()
    assert history.count("暂停/终止申请") >= 2
    # and a suspended item gets no reminders
    only(settings, "overdue", "due_soon")
    scanned = sent(run_on(date(2031, 1, 10), django_capture_on_commit_callbacks))
    assert {event for _, _, event in scanned if event.startswith(f"overdue:task:{other.pk}:")}
    assert not {event for _, _, event in scanned if f":task:{task.pk}:" in event}


def test_a_head_applies_to_terminate_and_the_supervisor_refuses_with_a_reason(client, office, task):
    application = procedure.apply_state(
        task, user=office["head"], kind="terminated", reason="上级已调整任务"
    )
    login(client, "sup")
    response = client.post(decide_url(application), {"decision": "refuse", "reason": ""})
    assert "不予批准时请填写理由。" in said(response)
    application.refresh_from_db()
    assert application.status == StateRequestStatus.PENDING
    response = client.post(
        decide_url(application), {"decision": "refuse", "reason": "任务仍须完成"}
    )
    assert response["Location"] == f"/tasks/{task.pk}/"
    application.refresh_from_db()
    task.refresh_from_db()
    assert (application.status, application.refuse_reason) == (
        StateRequestStatus.REFUSED,
        "任务仍须完成",
    )
    assert task.status != TaskStatus.TERMINATED
    refused = Reminder.objects.filter(
        channel="in_app",
        recipient__in=[office["staff"], office["head"]],
        key__startswith=f"state-application:{application.pk}:refused:",
    )
    assert refused.count() == 2 and "任务仍须完成" in refused.first().body
    # deciding twice is a conflict, not a second change
    response = client.post(decide_url(application), {"decision": "approve"})
    assert "该申请已处理，请刷新后核对。" in said(response)
    task.refresh_from_db()
    assert task.status != TaskStatus.TERMINATED


def test_the_supervisor_acting_directly_settles_a_pending_application(client, office, task):
    first = procedure.apply_state(task, user=office["staff"], kind="suspended", reason="停工")
    login(client, "sup")
    client.post(f"/tasks/{task.pk}/state/", {"state": "suspend", "reason": "督查处决定暂停"})
    first.refresh_from_db()
    assert (first.status, first.decided_by) == (StateRequestStatus.APPROVED, office["sup"])
    client.post(f"/tasks/{task.pk}/state/", {"state": "resume", "reason": "复工"})
    second = procedure.apply_state(task, user=office["staff"], kind="suspended", reason="再停")
    client.post(f"/tasks/{task.pk}/state/", {"state": "terminate", "reason": "撤销该项目"})
    second.refresh_from_db()
    assert second.status == StateRequestStatus.REFUSED
    assert second.refuse_reason == "督查处已决定终止该事项。"


def test_bad_applications_save_nothing(client, office, task):
    login(client, "staff")
    assert 'id="state-apply-form"' in client.get(f"/tasks/{task.pk}/").content.decode()
    response = client.post(apply_url(task), {"kind": "suspended", "reason": "  "})
    assert "请填写申请理由。" in said(response)
    response = client.post(apply_url(task), {"kind": "closed", "reason": "理由"})
    assert "请选择暂停或终止。" in said(response)
    assert not StateRequest.objects.exists()
    task.status = TaskStatus.TERMINATED
    task.save()
    response = client.post(apply_url(task), {"kind": "suspended", "reason": "理由"})
    assert "该事项已办结、终止或结转，不能再改变状态。" in said(response)
    assert not StateRequest.objects.exists()


@pytest.mark.parametrize("username", ["outsider", "leader", "sup"])
def test_only_the_lead_department_may_apply(client, office, task, username):
    login(client, username)
    response = client.post(apply_url(task), {"kind": "suspended", "reason": "理由"})
    assert response.status_code == 403
    assert not StateRequest.objects.exists()


@pytest.mark.parametrize("username", ["staff", "head", "leader", "outsider"])
def test_only_supervisors_decide_and_see_the_applications(client, office, task, username):
    application = procedure.apply_state(task, user=office["staff"], kind="suspended", reason="x")
    login(client, username)
    assert client.post(decide_url(application), {"decision": "approve"}).status_code == 403
    response = client.get(QUEUE)
    if username == "leader":  # a leader's queue holds the extensions waiting for a leader
        assert response.status_code == 200
        assert f'id="queue-state-{application.pk}"' not in response.content.decode()
    else:
        assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == StateRequestStatus.PENDING


def test_the_new_urls_refuse_anonymous_users_get_and_foreign_ids(client, office, task):
    application = procedure.apply_state(task, user=office["staff"], kind="suspended", reason="x")
    for url in (QUEUE, apply_url(task), decide_url(application)):
        assert client.get(url).status_code == 302  # to the login page
    login(client, "staff")
    assert client.get(apply_url(task)).status_code == 405
    login(client, "sup")
    assert client.get(decide_url(application)).status_code == 405
    other = make_task(2, year=2030, lead_department=office["dept"])
    foreign = f"/tasks/{other.pk}/state/{application.pk}/"
    assert client.post(foreign, {"decision": "approve"}).status_code == 404
    admin = make_user("admin2", Role.ADMIN)
    client.force_login(admin)
    assert client.get(QUEUE).status_code == 200


def test_closing_the_item_refuses_an_application_still_waiting(client, office, task):
    application = procedure.apply_state(task, user=office["staff"], kind="suspended", reason="停工")
    closure = services.apply_close(task, user=office["staff"], summary="已全部完成")
    login(client, "sup")
    assert f"/tasks/{task.pk}/state/{application.pk}/" in client.get(QUEUE).content.decode()
    services.decide_close(closure, user=office["sup"], confirm=True)
    application.refresh_from_db()
    assert (application.status, application.decided_by) == (
        StateRequestStatus.REFUSED,
        office["sup"],
    )
    assert application.refuse_reason == "该事项已办结（销号）。"
    assert application.history.count() == 2  # applied, then refused: both in the history
    assert f"/tasks/{task.pk}/state/{application.pk}/" not in client.get(QUEUE).content.decode()


def test_returning_a_closure_leaves_the_application_waiting(office, task):
    application = procedure.apply_state(task, user=office["staff"], kind="suspended", reason="停工")
    closure = services.apply_close(task, user=office["staff"], summary="已全部完成")
    services.decide_close(closure, user=office["sup"], confirm=False, reason="佐证不足")
    application.refresh_from_db()
    assert application.status == StateRequestStatus.PENDING
