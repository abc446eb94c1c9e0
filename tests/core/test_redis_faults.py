"""Redis is a cache and a broker, never a dependency of a write (issue 9, item 1).

Each finding is replayed with Redis down (a closed port: connection refused) and hanging (a
socket that accepts and never answers): the write is saved once, the page answers quickly,
the messages wait in the outbox (core/delivery.py) and go out when the broker is back."""

import time
from datetime import date

import pytest
from django.core import mail
from django.core.cache import cache
from freezegun import freeze_time

from core import delivery
from core.models import Reminder
from supervision.choices import ReportStatus
from supervision.dashboard import bump_version
from supervision.models import Instruction, MonthlyReport, Task, Urging, User
from tests.helpers import HangingServer, closed_port, login

pytestmark = pytest.mark.django_db
NOW = "2012-07-10 10:00:00+08:00"
FAST = 3.0  # seconds: what a request may take with Redis broken (timeouts are 0.3 s here)


@pytest.fixture(params=["down", "hanging"])
def bad_redis(request):
    """The port of a Redis that is down, or that hangs."""
    if request.param == "down":
        yield closed_port()
        return
    server = HangingServer()
    yield server.port
    server.close()


@pytest.fixture
def broken_cache(settings, bad_redis):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": f"redis://127.0.0.1:{bad_redis}/9",
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
        }
    }
    return bad_redis


@pytest.fixture
def broken_broker(eager_celery, bad_redis):
    """Celery publishing to the bad Redis (not in-process), as in production."""
    app = eager_celery
    saved = {
        key: app.conf[key]
        for key in (
            "broker_url",
            "broker_transport_options",
            "broker_connection_timeout",
            "task_publish_retry",
        )
    }

    def reset_pool():
        app._pool = None
        app.__dict__.pop("amqp", None)

    app.conf.update(
        broker_url=f"redis://127.0.0.1:{bad_redis}/9",
        broker_transport_options={
            "socket_timeout": 0.3,
            "socket_connect_timeout": 0.3,
            "max_retries": 0,
        },
        broker_connection_timeout=0.3,
        task_publish_retry=False,
    )
    app.conf.task_always_eager = False
    reset_pool()
    yield app
    app.conf.update(saved)
    app.conf.task_always_eager = True
    reset_pool()


@pytest.fixture
def world(demo):
    return {
        "finance": Task.objects.get(title="提升融资环境"),
        "food": Task.objects.get(title="全面加强食品安全保障"),
    }


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_cache_calls_are_misses_not_errors(broken_cache):
    def many_calls():
        for _ in range(20):
            assert cache.get("k", "default") == "default"
            cache.set("k", 1, None)
            assert cache.get_or_set("v", 7, None) == 7
            assert cache.incr("k") is None
        bump_version(1)

    _, seconds = timed(many_calls)
    assert seconds < FAST  # one socket timeout, then the breaker skips Redis


@freeze_time(NOW)
def test_report_save_survives_a_broken_cache(client, world, broken_cache):
    task = world["finance"]
    login(client, "staff1")
    data = {
        "progress": "本月引进金融机构2家。",
        "problems": "",
        "next_steps": "继续对接。",
        "percent": "60",
        "percent_note": "",
        "version": "0",
        "submit": "1",
    }
    response, seconds = timed(lambda: client.post(f"/tasks/{task.pk}/report/2012-07/", data))
    assert response.status_code == 302
    assert seconds < FAST
    report = MonthlyReport.objects.get(task=task, month=date(2012, 7, 1))
    assert report.status == ReportStatus.SUBMITTED
    task.refresh_from_db()
    assert task.percent == 60


@freeze_time(NOW)
def test_dashboard_and_instruction_survive_a_broken_cache(client, world, broken_cache):
    login(client, "leader1")
    response, seconds = timed(lambda: client.get("/dashboard/?month=2012-06"))
    assert response.status_code == 200 and "提升融资环境" in response.content.decode()
    assert seconds < FAST
    task = world["food"]
    response = client.post(f"/tasks/{task.pk}/instructions/", {"text": "抓紧落实。"})
    assert response.status_code == 302
    assert Instruction.objects.filter(task=task, text="抓紧落实。").count() == 1


@freeze_time(NOW)
def test_remind_with_the_broker_broken_is_saved_once_and_sent_later(
    client, world, broken_broker, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    task = world["finance"]
    login(client, "supervisor1")
    with django_capture_on_commit_callbacks(execute=True):
        response, seconds = timed(
            lambda: client.post(f"/tasks/{task.pk}/remind/", {"message": "请于本周内报送。"})
        )
    assert response.status_code == 302 and seconds < FAST
    assert Urging.objects.filter(task=task).count() == 1
    emails = Reminder.objects.filter(channel="email", key__startswith="manual:")
    assert emails.count() == 2
    assert not emails.filter(sent_at__isnull=False).exists()
    assert not emails.filter(queued_at__isnull=False).exists()  # waits in the outbox
    assert mail.outbox == []

    # the admins see why; others do not
    login(client, "admin")
    assert "消息代理（Redis）暂时无法连接" in client.get("/notifications/").content.decode()
    login(client, "staff1")
    assert "消息代理" not in client.get("/notifications/").content.decode()

    # the broker is back (here: in-process): the sweep sends each email once
    broken_broker.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.sweep() == 2
    assert len(mail.outbox) == 2
    assert emails.filter(sent_at__isnull=False).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.sweep() == 0
    assert len(mail.outbox) == 2


def test_healthz_is_quick_and_plain_for_anyone_when_the_broker_hangs(client, settings, bad_redis):
    settings.REDIS_URL = f"redis://127.0.0.1:{bad_redis}/9"
    settings.REDIS_SOCKET_TIMEOUT = 0.3
    response, seconds = timed(lambda: client.get("/healthz"))
    assert response.status_code == 503 and seconds < FAST
    body = response.json()  # no error strings for anonymous callers
    assert body == {
        "ok": False,
        "database": {"ok": True},
        "broker": {"ok": False},
        "last_scheduler_run": None,
    }
    User.objects.create_superuser("root", "root@example.gov.cn", "x")
    login(client, "root")
    assert client.get("/healthz").json()["broker"]["ok"] is False
