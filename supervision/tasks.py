"""Celery tasks of the supervision app: the daily escalation ladder (issue 12), scheduled
after the reminder scan, and the stored status's daily refresh just after midnight (issue 17)
(supervision/apps.py adds them to the beat schedule)."""

from datetime import date
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.db.models.signals import post_migrate
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.delivery import RETRIES

from . import ladder, standing

LADDER = "督办升级规则每日执行"
STANDING = "任务灯号每日计算"


@shared_task(bind=True, autoretry_for=(DatabaseError,), **RETRIES)
def run_escalation_ladder(self, day=None):
    """Fire the ladder rules for `day` (YYYY-MM-DD, default today). Idempotent."""
    created = ladder.run_ladder(date.fromisoformat(day) if day else None)
    return {"records": len(created)}


@shared_task(bind=True, autoretry_for=(DatabaseError,), **RETRIES)
def refresh_status(self, day=None):
    """Store every task's light and standing as of `day` (YYYY-MM-DD, default today), the
    daily job of supervision/standing.py. Idempotent."""
    return {"tasks": standing.refresh_all(date.fromisoformat(day) if day else None)}


SCHEDULE = [
    (
        LADDER,
        "supervision.tasks.run_escalation_ladder",
        ("45", "8"),
        "按督办升级规则（连续黄灯、红灯月数、逾期工作日）发出督办函、催办通知书，拟约谈、通报批评。",
    ),
    (
        STANDING,
        "supervision.tasks.refresh_status",
        ("5", "0"),
        "零点过后按当天重新计算全部任务的灯号、序时进度、最近月报和挂牌状态（时间推移使任务变黄、变红）。",
    ),
]


def ensure_schedule(sender=None, **kwargs):
    """Add the daily ladder run (08:45) and the status refresh (00:05) once each; an admin's
    change is never overwritten."""
    for name, task, (minute, hour), description in SCHEDULE:
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
