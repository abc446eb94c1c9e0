"""Celery tasks of the supervision app: the daily escalation ladder (issue 12), scheduled
after the reminder scan (supervision/apps.py adds it to the beat schedule)."""

from datetime import date
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.db.models.signals import post_migrate
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.delivery import RETRIES

from . import ladder

LADDER = "督办升级规则每日执行"


@shared_task(bind=True, autoretry_for=(DatabaseError,), **RETRIES)
def run_escalation_ladder(self, day=None):
    """Fire the ladder rules for `day` (YYYY-MM-DD, default today). Idempotent."""
    created = ladder.run_ladder(date.fromisoformat(day) if day else None)
    return {"records": len(created)}


def ensure_schedule(sender=None, **kwargs):
    """Add the daily ladder run (08:45) once; an admin's change is never overwritten."""
    if PeriodicTask.objects.filter(name=LADDER).exists():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="45",
        hour="8",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone=ZoneInfo(settings.TIME_ZONE),
    )
    PeriodicTask.objects.create(
        name=LADDER,
        task="supervision.tasks.run_escalation_ladder",
        crontab=crontab,
        description="按督办升级规则（连续黄灯、红灯月数、逾期工作日）发出督办函、催办通知书，拟约谈、通报批评。",
    )


def connect(app_config):
    post_migrate.connect(ensure_schedule, sender=app_config)
