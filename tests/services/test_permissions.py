"""The permission matrix of every 政民互动 URL: who gets the page, who a 403, who a 404 (a
record outside their scope), and the signed-out a redirect to sign in."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.roles import Role
from services.models import HotlineUnit, Inquiry, Proposal, WorkOrder
from tests.helpers import login, make_department, make_user

TZ = ZoneInfo("Asia/Shanghai")
ROLES = ["sup", "leader", "head", "staff", "outsider"]


@pytest.fixture
def records(db):
    dept = make_department("市人社局")
    make_user("sup", Role.SUPERVISOR)
    make_user("leader", Role.LEADER)
    make_user("head", Role.HEAD, dept)
    make_user("staff", Role.STAFF, dept)
    make_user("outsider", Role.STAFF, make_department("文电处"))
    unit = HotlineUnit.objects.create(name="市人社局", department=dept)
    at = datetime(2026, 3, 2, 9, tzinfo=TZ)
    order = WorkOrder.objects.create(
        number="W1", received_at=at, month=date(2026, 3, 1), unit=unit, reply_due=at
    )
    proposal = Proposal.objects.create(
        number="P1", kind="deputy", title="t", proposer="p", lead_department=dept,
        received_on=date(2026, 3, 1), due_date=date(2026, 6, 1),
    )  # fmt: skip
    inquiry = Inquiry.objects.create(
        number="I1", title="q", asked_at=at, department=dept, due_date=date(2026, 3, 9)
    )
    return {"order": order, "proposal": proposal, "inquiry": inquiry, "unit": unit}


# (url, {role: status}) for GET; 200 unless listed
MATRIX = [
    ("/services/", {}),
    ("/services/hotline/", {}),
    ("/services/hotline/kpi/", {}),
    ("/services/hotline/import/", {"leader": 403, "head": 403, "staff": 403, "outsider": 403}),
    ("/services/hotline/{order}/", {"outsider": 404}),
    (
        "/services/hotline/escalate/?month=2026-03&unit={unit}",
        {"leader": 403, "head": 403, "staff": 403, "outsider": 403},
    ),
    ("/services/proposals/", {}),
    ("/services/proposals/new/", {"leader": 403, "head": 403, "staff": 403, "outsider": 403}),
    ("/services/proposals/import/", {"leader": 403, "head": 403, "staff": 403, "outsider": 403}),
    ("/services/proposals/{proposal}/", {"outsider": 404}),
    ("/services/inquiries/", {}),
    ("/services/inquiries/new/", {"leader": 403, "head": 403, "staff": 403, "outsider": 403}),
    ("/services/inquiries/import/", {"leader": 403, "head": 403, "staff": 403, "outsider": 403}),
    ("/services/inquiries/{inquiry}/", {"outsider": 404}),
]


def _url(template, records):
    return template.format(
        order=records["order"].pk,
        unit=records["unit"].pk,
        proposal=records["proposal"].pk,
        inquiry=records["inquiry"].pk,
    )


@pytest.mark.parametrize(("template", "expected"), MATRIX)
def test_each_url_for_each_role(client, records, template, expected):
    url = _url(template, records)
    signed_out = client.get(url)
    assert signed_out.status_code == 302 and "/accounts/login/" in signed_out["Location"]
    for username in ROLES:
        login(client, username)
        assert client.get(url).status_code == expected.get(username, 200), (url, username)


@pytest.mark.parametrize(
    ("step", "allowed"),
    [("start", {"staff", "head"}), ("reply", {"staff", "head"}), ("opinion", {"sup"})],
)
def test_proposal_steps_are_refused_to_the_others(client, records, step, allowed):
    url = f"{records['proposal'].get_absolute_url()}{step}/"
    for username in ROLES:
        if username in allowed:
            continue
        login(client, username)
        status = client.post(url, {"reply": "x", "opinion": 3}).status_code
        assert status == (404 if username == "outsider" else 403), (url, username)
    records["proposal"].refresh_from_db()
    assert records["proposal"].status == "assigned"
