"""A real Celery worker on the real Redis: killed (SIGKILL) in the middle of a scan's
deliveries and started again, it still delivers every due reminder exactly once."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from core.emails import message_id_for
from core.models import Reminder
from core.roles import Role
from core.tasks import run_reminder_scan
from tests.helpers import make_department, make_task, make_user, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
RECIPIENTS = 6


@pytest.fixture(autouse=True)
def needs_redis_and_postgresql():
    if not settings.REDIS_URL:
        skip_or_fail("needs a real Redis: set REDIS_URL (CI sets it)")
    if connection.vendor != "postgresql":
        skip_or_fail("the worker process must share the test database: needs DATABASE_URL=postgres")


def database_url():
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def real_celery_worker(eager_celery, tmp_path):
    """Start/stop `celery worker` subprocesses on a queue of their own; this test process
    sends to that queue through Redis (not in-process)."""
    queue = f"test-reminders-{uuid.uuid4().hex[:8]}"
    mail_log = tmp_path / "mail.jsonl"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": queue,
        "CELERY_VISIBILITY_TIMEOUT": "4",  # a killed worker's message comes back after 4 s
        "REMINDER_CLAIM_LEASE": "3",
        "EMAIL_BACKEND": "tests.mail_backends.SlowJsonBackend",
        "MAIL_LOG": str(mail_log),
        "MAIL_DELAY": "0.7",
        "PYTHONPATH": str(ROOT),
    }
    eager_celery.conf.task_always_eager = False
    previous_queue = eager_celery.conf.task_default_queue
    eager_celery.conf.task_default_queue = queue
    procs, logs = [], []

    def start(name):
        log = (tmp_path / f"{name}.log").open("w")
        logs.append(log)
        proc = subprocess.Popen(  # noqa: S603 - our own celery executable
            [str(CELERY), "-A", "qingdao_office", "worker", "--pool=solo", "-Q", queue,
             "-n", f"{name}@%h", "--without-mingle", "--without-gossip",
             "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        procs.append(proc)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "ready." in (tmp_path / f"{name}.log").read_text():
                return proc
            time.sleep(0.2)
        raise AssertionError((tmp_path / f"{name}.log").read_text()[-3000:])

    yield start, mail_log, tmp_path
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    for log in logs:
        log.close()
    eager_celery.conf.task_default_queue = previous_queue

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(queue)


def mails(mail_log):
    if not mail_log.exists():
        return []
    return [json.loads(line) for line in mail_log.read_text().splitlines() if line]


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_scan_delivers_everything_once(real_celery_worker):
    start, mail_log, tmp_path = real_celery_worker
    for n in range(1, RECIPIENTS + 1):
        dept = make_department(f"单位{n}")
        make_user(f"staff{n}", Role.STAFF, dept, email=f"s{n}@example.gov.cn")
        make_task(n, year=2030, lead_department=dept, due_date=date(2030, 6, 23))
    first = start("first")
    run_reminder_scan.apply_async(args=["2030-06-20"])  # 3 days before: one digest each

    deadline = time.monotonic() + 30
    while len(mails(mail_log)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(mails(mail_log)) >= 2, (tmp_path / "first.log").read_text()[-3000:]
    os.kill(first.pid, signal.SIGKILL)  # mid-delivery: one message claimed, others queued
    first.wait(5)
    killed_at = len(mails(mail_log))
    assert killed_at < RECIPIENTS, "the worker finished before it could be killed"

    start("second")
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        pending = Reminder.objects.filter(channel="email", sent_at=None).count()
        if pending == 0 and len(mails(mail_log)) >= RECIPIENTS:
            break
        time.sleep(0.3)
    time.sleep(1.5)  # anything still in flight would show up as a duplicate now
    delivered = [m["to"][0] for m in mails(mail_log)]
    assert sorted(delivered) == sorted(f"s{n}@example.gov.cn" for n in range(1, RECIPIENTS + 1))
    assert Reminder.objects.filter(channel="email").count() == RECIPIENTS
    assert not Reminder.objects.filter(channel="email", sent_at=None).exists()
    assert len({m["pid"] for m in mails(mail_log)}) == 2  # both workers sent some
    # each email carries the Message-ID of its row's key: a resend would be recognisable
    expected = {message_id_for(r.key) for r in Reminder.objects.filter(channel="email")}
    assert {m["message_id"] for m in mails(mail_log)} == expected
