"""Moving the shared models from supervision to core loses nothing: the tables keep their
names (SeparateDatabaseAndState), reminders about a task point at it generically, content
types (and so permissions) follow the models, and the stored beat task paths are renamed."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("supervision", "0005_month_close"),
    ("django_celery_beat", "0019_alter_periodictasks_options"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_moving_the_shared_models_to_core_keeps_every_row():
    old = migrate(BEFORE)
    Department = old.get_model("supervision", "Department")
    Task = old.get_model("supervision", "Task")
    User = old.get_model("supervision", "User")
    Reminder = old.get_model("supervision", "Reminder")
    Digest = old.get_model("supervision", "Digest")
    ReminderItem = old.get_model("supervision", "ReminderItem")
    PeriodicTask = old.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = old.get_model("django_celery_beat", "IntervalSchedule")
    ContentType = old.get_model("contenttypes", "ContentType")
    plan = old.get_model("supervision", "Plan").objects.create(year=2030, title="计划")
    project = old.get_model("supervision", "Project").objects.create(
        plan=plan, number=1, title="工程"
    )
    dept = Department.objects.create(name="迁移测试单位")
    user = User.objects.create(username="staff", department=dept)
    task = Task.objects.create(
        project=project, number=1, code="1.1", path="001.001", title="提升融资环境", text="x",
        lead_department=dept,
    )  # fmt: skip
    digest = Digest.objects.create(key="digest:2030-06-20:1", recipient=user, day=date(2030, 6, 20))
    ReminderItem.objects.create(
        key="due_soon:task:1:3:u1", event="due_soon:task:1:3", kind="due_soon", recipient=user,
        task=task, reason="将到期", digest=digest,
    )  # fmt: skip
    Reminder.objects.create(key="k", kind="manual", recipient=user, task=task, subject="催办")
    Reminder.objects.create(key="plain", kind="manual", recipient=user, subject="通知")
    ContentType.objects.get_or_create(app_label="supervision", model="department")
    every = IntervalSchedule.objects.create(every=10, period="minutes")
    PeriodicTask.objects.create(
        name="扫描", task="supervision.tasks.run_reminder_scan", interval=every
    )

    new = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert new.get_model("core", "Department").objects.get(pk=dept.pk).name == "迁移测试单位"
    assert new.get_model("supervision", "Task").objects.get().lead_department_id == dept.pk
    assert new.get_model("supervision", "User").objects.get().department_id == dept.pk
    task_type = new.get_model("contenttypes", "ContentType").objects.get(
        app_label="supervision", model="task"
    )
    item = new.get_model("core", "ReminderItem").objects.get()
    assert (item.content_type_id, item.object_id, item.url, item.label) == (
        task_type.pk, task.pk, f"/tasks/{task.pk}/", "1.1 提升融资环境",
    )  # fmt: skip
    assert item.digest_id == digest.pk
    reminders = new.get_model("core", "Reminder").objects.order_by("key")
    assert [(r.key, r.object_id, r.url) for r in reminders] == [
        ("k", task.pk, f"/tasks/{task.pk}/"),
        ("plain", None, ""),
    ]
    types = new.get_model("contenttypes", "ContentType").objects
    assert types.filter(app_label="core", model="department").exists()
    assert not types.filter(app_label="supervision", model="department").exists()
    beat = new.get_model("django_celery_beat", "PeriodicTask").objects
    assert beat.get(name="扫描").task == "core.tasks.run_reminder_scan"
    moved = beat.filter(task__startswith="supervision.").exclude(
        # the ladder's own (issue 12) and the roll-ups' daily refresh (issue 17), not moved
        task__in=["supervision.tasks.run_escalation_ladder", "supervision.tasks.refresh_status"]
    )
    assert not moved.exists()
