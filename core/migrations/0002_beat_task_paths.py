"""The reminder tasks moved from `supervision.tasks` to `core.tasks`: the beat schedule stored
in the database (django-celery-beat, 周期任务) follows, so the scan keeps running."""

from django.db import migrations

RENAMED = {
    "supervision.tasks.run_reminder_scan": "core.tasks.run_reminder_scan",
    "supervision.tasks.deliver_pending": "core.tasks.deliver_pending",
}


def rename(apps, mapping):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in mapping.items():
        PeriodicTask.objects.filter(task=old).update(task=new)


def forwards(apps, schema_editor):
    rename(apps, RENAMED)


def backwards(apps, schema_editor):
    rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
