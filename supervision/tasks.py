"""Celery tasks of the supervision app: the daily escalation ladder (issue 12), scheduled
after the reminder scan, and the derived tables' daily refresh just after midnight (issue
17: the stored task status and the month roll-ups); supervision/apps.py adds both to the beat
schedule."""

from datetime import date
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.db.models.signals import post_migrate
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.delivery import RETRIES

from . import derived, ladder

LADDER = "督办升级规则每日执行"
REFRESH = "任务灯号与月度汇总每日计算"


@shared_task(bind=True, autoretry_for=(DatabaseError,), **RETRIES)
def run_escalation_ladder(self, day=None):
    """Fire the ladder rules for `day` (YYYY-MM-DD, default today). Idempotent."""
    created = ladder.run_ladder(date.fromisoformat(day) if day else None)
    return {"records": len(created)}


@shared_task(bind=True, autoretry_for=(DatabaseError,), **RETRIES)
def refresh_status(self, day=None):
    """Bring the derived tables to `day` (YYYY-MM-DD, default today): every task's stored
    status, and the month roll-ups not yet judged on that day. Idempotent."""
    done = derived.refresh_all(date.fromisoformat(day) if day else None)
    return {"tasks": done["tasks"], "months": [m.isoformat() for m in done["months"]]}


SCHEDULES = [
    (
        LADDER,
        "supervision.tasks.run_escalation_ladder",
        ("45", "8"),
        "按督办升级规则（连续黄灯、红灯月数、逾期工作日）发出督办函、催办通知书，拟约谈、通报批评。",
    ),
    (
        REFRESH,
        "supervision.tasks.refresh_status",
        ("5", "0"),
        "零点过后按当天重新计算全部任务的灯号、序时进度、最近月报和挂牌状态，以及看板的月度汇总"
        "（时间推移使任务变黄、变红）。",
    ),
]


def ensure_schedule(sender=None, **kwargs):
    """Add the daily ladder run (08:45) and the derived tables' refresh (00:05) once; an
    admin's change is never overwritten."""
    for name, task, (minute, hour), description in SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=ZoneInfo(settings.TIME_ZONE),
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=crontab, description=description)


def connect(app_config):
    post_migrate.connect(ensure_schedule, sender=app_config)
