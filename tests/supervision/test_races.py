"""Races end in a message, not a 500 (issue 9, items 4 and 5's date range): 挂牌督办 with a
version check, partner notes, month closes, and double-submitted 催办 and 批示.

The sequential tests replay the race's second request with the state the first left; the
threaded ones (PostgreSQL only: SQLite's test database is one in-memory connection) send the
two requests at the same moment."""

import threading
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from core.models import Reminder
from core.roles import Role
from supervision.models import Listing, MonthClose, PartnerNote, Task, Urging, User
from tests.helpers import login, make_user

NOW = "2012-07-10 10:00:00+08:00"
LISTING = {"level": "city", "reason": "进度滞后", "deadline": "2012-09-30", "version": ""}


@pytest.fixture
def finance(demo):
    return Task.objects.get(title="提升融资环境")


@pytest.mark.django_db
@freeze_time(NOW)
def test_two_listings_from_the_same_blank_form_give_one_listing_and_a_message(client, finance):
    make_user("supervisor2", Role.SUPERVISOR)
    url = f"/tasks/{finance.pk}/listing/"
    login(client, "supervisor1")
    assert client.post(url, LISTING).status_code == 302
    login(client, "supervisor2")  # opened the blank form before supervisor1 saved
    response = client.post(url, dict(LISTING, reason="另一事由"))
    assert response.status_code == 409
    assert "已被他人修改（或刚由他人挂牌）" in response.content.decode()
    assert list(finance.listings.values_list("reason", flat=True)) == ["进度滞后"]


@pytest.mark.django_db
@freeze_time(NOW)
def test_a_listing_edit_from_a_stale_form_is_refused(client, finance):
    url = f"/tasks/{finance.pk}/listing/"
    login(client, "supervisor1")
    client.post(url, LISTING)
    listing = finance.listings.get()
    seen = listing.updated_at.isoformat()
    with freeze_time("2012-07-10 10:05:00+08:00"):
        assert (
            client.post(url, dict(LISTING, deadline="2012-10-31", version=seen)).status_code == 302
        )
    response = client.post(url, dict(LISTING, deadline="2012-11-30", version=seen))
    assert response.status_code == 409
    listing.refresh_from_db()
    assert listing.deadline == date(2012, 10, 31)  # the first writer's change stands


@pytest.mark.django_db
@freeze_time(NOW)
def test_double_submitted_remind_and_instruction_are_one_each(client, finance):
    login(client, "supervisor1")
    for _ in range(2):
        assert client.post(f"/tasks/{finance.pk}/remind/", {"message": "请报送"}).status_code == 302
    assert finance.urgings.count() == 1
    assert Reminder.objects.filter(key__startswith="manual:").count() == 4  # 2 people x 2
    login(client, "leader1")
    for _ in range(2):
        response = client.post(f"/tasks/{finance.pk}/instructions/", {"text": "抓紧"})
        assert response.status_code == 302
    assert finance.instructions.filter(text="抓紧").count() == 1
    with freeze_time("2012-07-10 10:03:00+08:00"):  # later, the same words are a new 批示
        client.post(f"/tasks/{finance.pk}/instructions/", {"text": "抓紧"})
    assert finance.instructions.filter(text="抓紧").count() == 2


@pytest.mark.django_db
@freeze_time(NOW)
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2101-01-01"])
def test_dates_outside_a_sane_range_are_refused(client, finance, day):
    login(client, "supervisor1")
    response = client.post(f"/tasks/{finance.pk}/listing/", dict(LISTING, deadline=day))
    assert response.status_code == 400
    assert not finance.listings.exists()
    login(client, "staff1")
    milestone = finance.milestones.first()
    before = milestone.completed_on
    response = client.post(
        f"/tasks/{finance.pk}/milestones/{milestone.pk}/", {"completed_on": day, "note": ""}
    )
    assert response.status_code == 400
    milestone.refresh_from_db()
    assert milestone.completed_on == before


# --- at the same moment (PostgreSQL) ----------------------------------------------------------


def at_once(posts):
    """Send each (username, url, data) in its own thread at the same moment; the statuses."""
    barrier = threading.Barrier(len(posts))
    statuses = [None] * len(posts)

    def run(index, username, url, data):
        try:
            client = Client(raise_request_exception=False)
            client.force_login(User.objects.get(username=username))
            barrier.wait()
            statuses[index] = client.post(url, data).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="threads need PostgreSQL (DATABASE_URL)"
)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_creates_end_in_a_message(demo):
    finance = Task.objects.get(title="提升融资环境")
    food = Task.objects.get(title="全面加强食品安全保障")
    make_user("supervisor2", Role.SUPERVISOR)
    partner = food.partner_departments.first()
    make_user("partner1", Role.STAFF, department=partner)
    make_user("partner2", Role.STAFF, department=partner)
    listing = f"/tasks/{finance.pk}/listing/"
    data = dict(LISTING, deadline=f"{timezone.localdate().year + 1}-06-30")
    assert sorted(at_once([("supervisor1", listing, data), ("supervisor2", listing, data)])) == [
        302,
        409,
    ]
    assert Listing.objects.filter(task=finance).count() == 1

    note = f"/tasks/{food.pk}/partner/2012-06/"
    posts = [("partner1", note, {"text": "甲"}), ("partner2", note, {"text": "乙"})]
    assert sorted(at_once(posts)) in ([302, 302], [302, 409])
    assert PartnerNote.objects.filter(task=food, month=date(2012, 6, 1)).count() == 1

    close = "/dashboard/close/"
    month = {"month": "2012-06"}  # the demo closed January to May; months close in order
    posts = [("supervisor1", close, month), ("supervisor2", close, month)]
    assert at_once(posts) == [302, 302]
    assert MonthClose.objects.filter(month=date(2012, 6, 1), is_closed=True).count() == 1

    remind = f"/tasks/{finance.pk}/remind/"
    posts = [("supervisor1", remind, {"message": "快"}), ("supervisor1", remind, {"message": "快"})]
    assert at_once(posts) == [302, 302]
    assert Urging.objects.filter(task=finance).count() == 1
