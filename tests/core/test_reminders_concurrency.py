"""Two reminder scans at the same moment on PostgreSQL: every item, digest and email once."""

import threading
from datetime import date

import pytest
from django.core import mail
from django.db import connection

from core.models import Digest, Reminder, ReminderItem
from core.reminders import scan
from core.roles import Role
from tests.helpers import make_department, make_task, make_user, skip_or_fail


@pytest.fixture(autouse=True)
def needs_postgresql():
    if connection.vendor != "postgresql":
        skip_or_fail(
            "SQLite serializes writers; concurrent scans are proven on PostgreSQL (DATABASE_URL)"
        )


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_each_reminder_once(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.REMINDER_RULES = ["overdue"]
    people = []
    for n in range(1, 9):
        dept = make_department(f"单位{n}")
        people.append(make_user(f"staff{n}", Role.STAFF, dept, email=f"s{n}@example.gov.cn"))
        make_user(f"head{n}", Role.HEAD, dept, email=f"h{n}@example.gov.cn")
        for k in range(3):
            make_task(n * 10 + k, year=2030, lead_department=dept, due_date=date(2030, 6, 1))
    day = date(2030, 6, 20)  # 19 days overdue: staff, heads and the ladder
    make_user("sup", Role.SUPERVISOR, email="sup@example.gov.cn")

    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(scan(day))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    stored = [len(r.items) for r in results]
    assert sorted(stored) == [0, ReminderItem.objects.count()]  # one scan did it all
    assert ReminderItem.objects.count() == 8 * 3 * 2 + 8 * 3  # staff+head, and 督查人员
    recipients = 8 * 2 + 1
    assert Digest.objects.count() == recipients
    assert Reminder.objects.filter(channel="email").count() == recipients
    assert Reminder.objects.filter(channel="email", sent_at=None).count() == 0
    assert len(mail.outbox) == recipients
    assert len({m.to[0] for m in mail.outbox}) == recipients
    assert scan(day).items == []  # and a third run finds nothing
