"""A leader's queue: the 延期申请 of items under 市政府挂牌 that the supervisors approved and
passed on wait at /supervision/requests/ for a leader, those of the leader's own items
first; the supervisors' queue is unchanged, and the other roles are refused."""

from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from core.roles import Role
from supervision import procedure, services
from supervision.choices import ExtensionStatus, ListingLevel
from tests.helpers import count_queries, login, make_task, make_user

QUEUE = "/supervision/requests/"
TODAY = "2030-03-02 10:00:00+08:00"


def city_listed_extension(task, office, reason="配套资金未到位"):
    """`task` under 市政府挂牌, an extension applied for and approved by the supervisor."""
    services.save_listing(
        task,
        user=office["sup"],
        data={
            "level": ListingLevel.CITY,
            "reason": "滞后",
            "deadline": date(2030, 12, 31),
            "is_public": False,
        },
        version="",
    )
    new_date = task.due_date + timedelta(days=90)
    extension = procedure.apply_extension(
        task, user=office["staff"], new_date=new_date, reason=reason
    )
    return procedure.review_extension(extension, user=office["sup"], approve=True)


@pytest.fixture
def waiting(office):
    with freeze_time(TODAY):
        other_leader = make_user("leader2", Role.LEADER)
        others = make_task(2, year=2030, lead_department=office["dept"])
        others.responsible_leader = other_leader
        others.save()
        first = city_listed_extension(others, office, reason="征地拆迁未完成")
        own = city_listed_extension(office["task"], office)
        assert {first.status, own.status} == {ExtensionStatus.LEADER}
        plain = make_task(3, year=2030, lead_department=office["dept"])
        pending = procedure.apply_extension(
            plain, user=office["staff"], new_date=date(2031, 3, 31), reason="天气原因"
        )
    return {"own": own, "other": first, "pending": pending}


@freeze_time(TODAY)
def test_a_leader_sees_the_extensions_waiting_for_a_leader_own_items_first(client, office, waiting):
    login(client, "leader")
    body = client.get(QUEUE).content.decode()
    own, other = waiting["own"], waiting["other"]
    assert body.index(f'id="queue-extension-{own.pk}"') < body.index(
        f'id="queue-extension-{other.pk}"'
    )
    assert body.count("分管</span>") == 1
    assert "天气原因" not in body  # waiting for the supervisor, not for a leader
    assert 'id="state-requests"' not in body and 'id="extension-requests"' not in body
    assert f'href="/tasks/{own.task_id}/extension/"' in body


@freeze_time(TODAY)
def test_the_leaders_decision_takes_it_off_the_queue(client, office, waiting):
    own = waiting["own"]
    login(client, "leader")
    response = client.post(
        f"/tasks/{own.task_id}/extension/", {"action": "leader", "decision": "approve"}
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.status == ExtensionStatus.APPROVED
    body = client.get(QUEUE).content.decode()
    assert f'id="queue-extension-{own.pk}"' not in body
    assert f'id="queue-extension-{waiting["other"].pk}"' in body


@freeze_time(TODAY)
def test_the_supervisors_queue_keeps_its_own_and_shows_no_leader_table(client, office, waiting):
    login(client, "sup")
    body = client.get(QUEUE).content.decode()
    assert "天气原因" in body  # the extension waiting for the supervisor
    assert 'id="leader-extensions"' not in body


@freeze_time(TODAY)
@pytest.mark.parametrize("username", ["staff", "head"])
def test_staff_and_heads_are_refused_with_the_reason(client, office, waiting, username):
    login(client, username)
    response = client.get(QUEUE)
    assert response.status_code == 403
    assert "只有督查人员和领导可以查看待审批申请" in response.content.decode()


@freeze_time(TODAY)
def test_an_empty_queue_says_so_and_its_queries_do_not_grow(
    client, office, django_assert_max_num_queries
):
    login(client, "leader")
    assert 'id="no-leader-extensions"' in client.get(QUEUE).content.decode()
    few = count_queries(django_assert_max_num_queries, client, QUEUE, at_most=10)
    for number in range(2, 8):
        task = make_task(number, year=2030, lead_department=office["dept"])
        city_listed_extension(task, office)
    body = client.get(QUEUE).content.decode()
    assert body.count('id="queue-extension-') == 6
    assert count_queries(django_assert_max_num_queries, client, QUEUE, at_most=10) == few


def notice(client):
    """The dashboard's 待您审批 line, or None."""
    response = client.get("/dashboard/?month=2030-02")
    assert response.status_code == 200
    body = response.content.decode()
    if 'id="waiting-for-you"' not in body:
        return None
    return body.split('id="waiting-for-you"')[1].split("</div>")[0]


@freeze_time(TODAY)
def test_the_dashboard_says_what_waits_for_the_user(client, office, waiting):
    login(client, "leader")
    line = notice(client)
    assert "市政府挂牌事项延期申请 <strong>2</strong> 项" in line
    assert 'href="/supervision/requests/"' in line
    assert "暂停" not in line  # a leader decides none
    login(client, "sup")
    line = notice(client)
    assert "延期申请 <strong>1</strong> 项" in line and "市政府挂牌" not in line


@freeze_time(TODAY)
def test_nothing_waiting_no_notice(client, office):
    make_task(2, year=2030, lead_department=office["dept"])
    login(client, "leader")
    assert notice(client) is None
