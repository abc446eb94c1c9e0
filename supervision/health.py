"""The checks behind /healthz."""

from django.conf import settings
from django.db import connection


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
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": str(exc)[:200]}
    return {"ok": True}


def check():
    database = check_database()
    broker = check_broker()
    return {
        "ok": database["ok"] and broker["ok"],
        "database": database,
        "broker": broker,
        "last_scheduler_run": None,
    }
