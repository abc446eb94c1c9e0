"""The checks behind /healthz."""

import time
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from .delivery import broker
from .models import ScanRun

BROKER_CHECK_SECONDS = 30
_last_broker_check = {"at": float("-inf"), "error": None}


def _redis():
    timeout = settings.REDIS_SOCKET_TIMEOUT
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return {"ok": False, "error": str(exc)[:200]}
    return {"ok": True, "vendor": connection.vendor}


def check_broker():
    if not settings.REDIS_URL:
        return {"ok": True, "url": "memory://", "note": "未配置 REDIS_URL，后台任务在进程内执行"}
    try:
        _redis().ping()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": str(exc)[:200]}
    return {"ok": True}


def last_scheduler_run():
    """The last reminder scan (core/reminders.py), scheduled or by command."""
    try:
        run = ScanRun.objects.order_by("-started_at").first()
    except Exception:  # noqa: BLE001 - reported by check_database
        return None
    if run is None:
        return None
    return {
        "day": run.day.isoformat(),
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "trigger": run.trigger,
        "items": run.items,
        "reminders": run.reminders,
        "recipients": run.recipients,
    }


def queue_depth():
    """Messages waiting in the Celery queue (Redis LLEN); None when it cannot be read."""
    if not settings.REDIS_URL:  # the embedded broker: one file per queued message
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in")
        if settings.CELERY_TASK_ALWAYS_EAGER or not folder or not Path(folder).is_dir():
            return 0
        return sum(1 for _ in Path(folder).iterdir())
    try:
        return _redis().llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    except Exception:  # noqa: BLE001 - reported by check_broker
        return None


def broker_problem():
    """Why the broker cannot be reached now, or None: for the admins' banner. This process
    pings Redis at most every BROKER_CHECK_SECONDS; a failed publish shows at once."""
    if broker.is_open():
        return broker.last_error or "发布任务失败"
    if not settings.REDIS_URL:
        return None
    now = time.monotonic()
    if now - _last_broker_check["at"] >= BROKER_CHECK_SECONDS:
        result = check_broker()
        _last_broker_check.update(at=now, error=None if result["ok"] else result["error"])
    return _last_broker_check["error"]


def summary(report):
    """What anonymous callers of /healthz see (CONTRACT.md: database and broker reachable,
    last scheduler run): whether each is up and when the scan last ran, but no error strings,
    versions, counts or queue depth."""
    run = report["last_scheduler_run"]
    return {
        "ok": report["ok"],
        "database": {"ok": report["database"]["ok"]},
        "broker": {"ok": report["broker"]["ok"]},
        "last_scheduler_run": (
            {"started_at": run["started_at"], "finished_at": run["finished_at"]} if run else None
        ),
    }


def check():
    database = check_database()
    broker = check_broker()
    return {
        "ok": database["ok"] and broker["ok"],
        "database": database,
        "broker": broker,
        "last_scheduler_run": last_scheduler_run() if database["ok"] else None,
        "queue_depth": queue_depth() if broker["ok"] else None,
    }
