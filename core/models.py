"""What every app shares: departments, the tracked-model base, and the notices and reminders
that point at any app's records (a generic relation, not a foreign key to one model).

The tables keep the names they had when they lived in `supervision` (core/migrations/0001
moved them with SeparateDatabaseAndState), so no data moved.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .access import ScopedQuerySet
from .choices import DepartmentKind, ReminderChannel, ReminderKind
from .roles import Role, roles_of


class TrackedModel(models.Model):
    """What every model that users change shares: timestamps. Each concrete model declares
    its own `history` (Task's also records its partner departments)."""

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class Department(TrackedModel):
    """A unit that leads or partners on tasks: an office 处室, a 市政府部门 or a 区市."""

    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=50, blank=True)
    kind = models.CharField(
        "类别", max_length=20, choices=DepartmentKind.choices, default=DepartmentKind.OFFICE
    )
    sort_order = models.PositiveIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    history = HistoricalRecords(table_name="supervision_historicaldepartment")

    class Meta:
        db_table = "supervision_department"
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class AboutRecord(models.Model):
    """What a notice or a reminder item is about: any app's record (a generic relation), with
    its page and its name stored beside it (core.notify.pointer), so a link needs no query and
    outlives a renamed record."""

    content_type = models.ForeignKey(
        ContentType, verbose_name="对象类型", on_delete=models.CASCADE, null=True, blank=True
    )
    object_id = models.PositiveBigIntegerField("对象ID", null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    url = models.CharField("链接", max_length=200, blank=True)
    label = models.CharField("对象", max_length=200, blank=True)

    class Meta:
        abstract = True


class ReminderQuerySet(ScopedQuerySet):
    def scope(self, user):
        """Supervisors see every reminder; others their own and their department's."""
        if Role.SUPERVISOR in roles_of(user):
            return self
        mine = Q(recipient=user)
        if user.department_id:
            mine |= Q(recipient__department_id=user.department_id)
        return self.filter(mine)


class Reminder(AboutRecord):
    """A reminder or notice sent to one person through one channel.

    `key` identifies what it is about (kind, subject, recipient, channel and the day or step);
    its uniqueness is what makes a reminder impossible to store, and so to send, twice.
    """

    key = models.CharField("唯一键", max_length=200, unique=True)
    kind = models.CharField("类型", max_length=20, choices=ReminderKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        related_name="reminders",
        on_delete=models.CASCADE,
    )
    channel = models.CharField(
        "渠道", max_length=20, choices=ReminderChannel.choices, default=ReminderChannel.IN_APP
    )
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    last_error = models.TextField("最近错误", blank=True)
    # The reminder engine (core/reminders.py): the day's digest this row delivers, and
    # the lease a worker takes before sending (core/delivery.py).
    digest = models.ForeignKey(
        "Digest",
        verbose_name="每日汇总",
        related_name="reminders",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    claimed_at = models.DateTimeField("领取时间", null=True, blank=True, editable=False)
    # The outbox (core/delivery.py): when its task was last put on the broker. Empty after a
    # failed publish; the sweep queues a row again only once this is older than the lease.
    queued_at = models.DateTimeField("排队时间", null=True, blank=True, editable=False)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        db_table = "supervision_reminder"
        verbose_name = "提醒记录"
        verbose_name_plural = "提醒记录"
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(read_at__isnull=True),
                name="reminder_unread_by_recipient",
            )
        ]

    def __str__(self):
        return self.subject


class Digest(models.Model):
    """One recipient's reminders of one scan day, sent as one message per channel.

    `key` is `digest:YYYY-MM-DD:<user>` (`…:2`, `…:3` when a later scan of the same day finds
    new items), so a day's digest is stored once however many scans run.
    """

    key = models.CharField("唯一键", max_length=100, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        related_name="digests",
        on_delete=models.CASCADE,
    )
    day = models.DateField("日期")
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        db_table = "supervision_digest"
        verbose_name = "每日提醒汇总"
        verbose_name_plural = "每日提醒汇总"
        ordering = ["-day", "recipient"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.recipient}"


class ReminderItem(AboutRecord):
    """One finding of a reminder rule for one person: why, about what, in which digest.

    `key` is the rule's stage key plus the recipient (e.g. `overdue:task:42:step:2:u7`);
    inserting it is what claims the item, so no item is ever stored, or sent, twice.
    `event` is the key without the recipient: the ledger counts distinct events per task.
    """

    key = models.CharField("唯一键", max_length=200, unique=True)
    event = models.CharField("事件", max_length=160)
    kind = models.CharField("类型", max_length=20, choices=ReminderKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        related_name="reminder_items",
        on_delete=models.CASCADE,
    )
    reason = models.CharField("提醒原因", max_length=300)
    due = models.DateField("时限", null=True, blank=True)
    digest = models.ForeignKey(
        Digest, verbose_name="每日汇总", related_name="items", on_delete=models.CASCADE
    )
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        db_table = "supervision_reminderitem"
        verbose_name = "提醒事项"
        verbose_name_plural = "提醒事项"
        ordering = ["digest", "pk"]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "event"], name="reminderitem_target_event"
            )
        ]

    def __str__(self):
        return self.reason


class ScanRun(models.Model):
    """One run of the reminder scan (scheduler or `send_reminders`); /healthz shows the last."""

    day = models.DateField("扫描日期")
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    trigger = models.CharField("触发方式", max_length=20, default="scheduler")
    items = models.PositiveIntegerField("新提醒事项", default=0)
    reminders = models.PositiveIntegerField("发出提醒", default=0)
    recipients = models.PositiveIntegerField("接收人数", default=0)

    class Meta:
        db_table = "supervision_scanrun"
        verbose_name = "提醒扫描记录"
        verbose_name_plural = "提醒扫描记录"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.started_at:%H:%M}"


class WorkdayOverride(TrackedModel):
    """One day the working-day calendar treats differently from the `chinesecalendar`
    library: a 法定节假日 (not a working day) or a 调休上班日 (a working weekend day), for a year
    the library does not cover yet (the State Council publishes each year's schedule in
    December) or to correct it (core/workdays.py)."""

    day = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班", help_text="勾选：调休上班日；不勾选：放假。")
    name = models.CharField("名称", max_length=50, help_text="例如：春节、国庆节调休上班。")
    history = HistoricalRecords()

    class Meta:
        verbose_name = "工作日调整"
        verbose_name_plural = "工作日调整"
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.name}（{'上班' if self.is_workday else '放假'}）"


class CalendarYear(TrackedModel):
    """A year whose holidays and 调休 days an admin has entered in full (WorkdayOverride), so
    the calendar no longer warns that the year is not covered."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    note = models.CharField(
        "依据", max_length=200, blank=True, help_text="例如：国办发明电〔2026〕X号。"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "已录入节假日安排的年份"
        verbose_name_plural = "已录入节假日安排的年份"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年"


def attachment_path(instance, filename):
    """A random name on disk (the extension kept); the original name stays in the row."""
    extension = Path(filename).suffix.lower()[:10]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


class AttachmentQuerySet(models.QuerySet):
    def of(self, record):
        """The files attached to `record` (any app's), oldest first, deleted ones left out."""
        return self.filter(
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            deleted_at=None,
        ).select_related("uploaded_by")


class Attachment(models.Model):
    """佐证材料: a file attached to any app's record (a report, a 节点, an 办结 application…).

    Stored through Django's storage API under a random name; downloaded only through
    /files/<id>/, which asks the owning record's app whether the user may read it
    (core.files.FILE_ACTION). Deleting marks the row deleted: the file and its history stay."""

    content_type = models.ForeignKey(ContentType, verbose_name="对象类型", on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField("对象ID")
    target = GenericForeignKey("content_type", "object_id")
    file = models.FileField("文件", upload_to=attachment_path, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    size = models.PositiveBigIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        related_name="attachments",
        on_delete=models.PROTECT,
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    deleted_at = models.DateTimeField("删除时间", null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="删除人",
        related_name="attachments_deleted",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )

    objects = AttachmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_target")]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("file_download", args=[self.pk])
