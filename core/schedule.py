"""The beat schedule, stored in the database (django-celery-beat) so admins see and change it
under 周期任务. Created after migrate if missing; an admin's change is never overwritten.
core/migrations/0002 renamed the task paths stored before the move from `supervision`."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models.signals import post_migrate
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

SCAN = "督查督办每日提醒扫描"
SWEEP = "补发未送达的提醒"
SWEEP_MINUTES = 10


def ensure_schedule(sender=None, **kwargs):
    if not PeriodicTask.objects.filter(name=SCAN).exists():
        hour, minute = (int(p) for p in settings.REMINDER_SCAN_TIME.split(":"))
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=str(minute),
            hour=str(hour),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=ZoneInfo(settings.TIME_ZONE),
        )
        PeriodicTask.objects.create(
            name=SCAN,
            task="core.tasks.run_reminder_scan",
            crontab=crontab,
            description="每天按提醒规则扫描任务、节点、月报、挂牌督办和退回报告，并发送每日汇总。",
        )
    if not PeriodicTask.objects.filter(name=SWEEP).exists():
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=SWEEP_MINUTES, period=IntervalSchedule.MINUTES
        )
        PeriodicTask.objects.create(
            name=SWEEP,
            task="core.tasks.deliver_pending",
            interval=interval,
            description="重新排队已生成但尚未发出的提醒（工作进程或 Redis 中断后补发）。",
        )


def connect(app_config):
    post_migrate.connect(ensure_schedule, sender=app_config)
