"""应急管理保障: 应急预案, 演练 and the problems they find, 应急物资储备, 突发事件信息报告.

Every record belongs to the plan task it serves (`task`, a reference to "supervision.Task" by
name: this app imports only the core) and to the department that keeps it (`department`, the
scoping of core/records.py). Every model keeps its history.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import Department, TrackedModel
from core.records import DepartmentQuerySet

from .choices import IncidentLevel, PlanLevel, PlanStatus

TASK = "supervision.Task"
# 突发事件信息报告 time limits after the event, in minutes (settings may override).
DEFAULT_REPORT_MINUTES = {"phone": 30, "written": 60}


def report_minutes():
    return {**DEFAULT_REPORT_MINUTES, **getattr(settings, "EMERGENCY_REPORT_MINUTES", {})}


def _task(related_name):
    return models.ForeignKey(
        TASK, verbose_name="所属任务", related_name=related_name, on_delete=models.PROTECT
    )


def _department(related_name, label="责任单位"):
    return models.ForeignKey(
        Department, verbose_name=label, related_name=related_name, on_delete=models.PROTECT
    )


class EmergencyPlan(TrackedModel):
    """应急预案: a plan that is revised on a cycle; its next revision is chased."""

    task = _task("emergency_plans")
    name = models.CharField("预案名称", max_length=200)
    level = models.CharField("预案类别", max_length=20, choices=PlanLevel.choices)
    department = _department("emergency_plans", "编制单位")
    last_revised = models.DateField("上次修订", null=True, blank=True)
    next_revision_due = models.DateField("下次修订期限")
    status = models.CharField(
        "状态", max_length=20, choices=PlanStatus.choices, default=PlanStatus.REVISING
    )
    note = models.TextField("备注", blank=True)

    objects = DepartmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "应急预案"
        verbose_name_plural = "应急预案"
        ordering = ["next_revision_due", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("emergency_plans_detail", args=[self.pk])


class Drill(TrackedModel):
    """演练: planned for a date, held (or not) with its participants and evaluation."""

    task = _task("emergency_drills")
    plan = models.ForeignKey(
        EmergencyPlan,
        verbose_name="演练预案",
        related_name="drills",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    title = models.CharField("演练名称", max_length=200)
    department = _department("emergency_drills", "组织单位")
    planned_on = models.DateField("计划日期")
    held_on = models.DateField("实际日期", null=True, blank=True, help_text="演练举行后填写。")
    participants = models.TextField("参演单位和人员", blank=True)
    evaluation = models.TextField("演练评估", blank=True)

    objects = DepartmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "应急演练"
        verbose_name_plural = "应急演练"
        ordering = ["-planned_on", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("emergency_drills_detail", args=[self.pk])


class DrillProblem(TrackedModel):
    """A problem a drill found: a follow-up item with a deadline, chased until it is fixed."""

    drill = models.ForeignKey(
        Drill, verbose_name="演练", related_name="problems", on_delete=models.PROTECT
    )
    description = models.CharField("发现的问题", max_length=300)
    department = _department("drill_problems", "整改单位")
    deadline = models.DateField("整改期限")
    done_on = models.DateField("整改完成日期", null=True, blank=True)
    result = models.TextField("整改情况", blank=True)

    objects = DepartmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "演练问题整改"
        verbose_name_plural = "演练问题整改"
        ordering = ["deadline", "pk"]

    def __str__(self):
        return self.description

    def get_absolute_url(self):
        return reverse("emergency_drills_detail", args=[self.drill_id])


class Supply(TrackedModel):
    """应急物资储备: an item stored at a place; below its minimum the owner is warned."""

    task = _task("emergency_supplies")
    item = models.CharField("物资名称", max_length=100)
    location = models.CharField("储备地点", max_length=200)
    quantity = models.PositiveIntegerField("现有数量")
    minimum = models.PositiveIntegerField("最低储备")
    unit = models.CharField("单位", max_length=20, blank=True)
    department = _department("emergency_supplies", "管理单位")
    # Set by services.save_supply when the quantity falls below the minimum, cleared when
    # restocked: the reminder rule warns once per fall (its event key holds this date).
    low_since = models.DateField("低于最低储备日期", null=True, blank=True, editable=False)

    objects = DepartmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "应急物资储备"
        verbose_name_plural = "应急物资储备"
        ordering = ["item", "location"]

    def __str__(self):
        return f"{self.item}（{self.location}）"

    def get_absolute_url(self):
        return reverse("emergency_supplies_detail", args=[self.pk])

    @property
    def is_low(self):
        return self.quantity < self.minimum


class IncidentReport(TrackedModel):
    """突发事件信息报告: when the event happened and when it was reported by phone and in
    writing, judged against the reporting rule (report_minutes())."""

    task = _task("emergency_incidents")
    title = models.CharField("事件名称", max_length=200)
    level = models.CharField(
        "事件级别", max_length=2, choices=IncidentLevel.choices, default=IncidentLevel.IV
    )
    department = _department("emergency_incidents", "报告单位")
    occurred_at = models.DateTimeField("事发时间")
    phoned_at = models.DateTimeField("电话报告时间", null=True, blank=True)
    written_at = models.DateTimeField("书面报告时间", null=True, blank=True)
    summary = models.TextField("事件概况", blank=True)

    objects = DepartmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "突发事件信息报告"
        verbose_name_plural = "突发事件信息报告"
        ordering = ["-occurred_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("emergency_incidents_detail", args=[self.pk])

    def deadline(self, way):
        return self.occurred_at + timedelta(minutes=report_minutes()[way])

    def timeliness(self, way):
        """ "按时", "迟报 N 分钟" or "未报" for `way` ("phone" or "written")."""
        reported = self.phoned_at if way == "phone" else self.written_at
        if reported is None:
            return "未报"
        late = (reported - self.deadline(way)).total_seconds() / 60
        return "按时" if late <= 0 else f"迟报 {int(late + 0.999)} 分钟"

    @property
    def on_time(self):
        return self.timeliness("phone") == "按时" and self.timeliness("written") == "按时"
