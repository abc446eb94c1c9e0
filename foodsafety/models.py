"""食品安全保障: 专项整治 campaigns, 检查 with their 整改 (rectification), 食品安全事故.

Every record belongs to the plan task it serves (`task`, a reference to "supervision.Task" by
name: this app imports only the core) and to the department that keeps it (`department`, the
scoping of core/records.py). Every model keeps its history.
"""

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from core.models import Department, TrackedModel
from core.records import DepartmentQuerySet

from .choices import AccidentLevel, CampaignKind, District, PlaceCategory

TASK = "supervision.Task"


def _task(related_name):
    return models.ForeignKey(
        TASK, verbose_name="所属任务", related_name=related_name, on_delete=models.PROTECT
    )


def _department(related_name, label):
    return models.ForeignKey(
        Department, verbose_name=label, related_name=related_name, on_delete=models.PROTECT
    )


class Campaign(TrackedModel):
    """专项整治: a campaign over a period (重点场所专项治理, “五小”整顿规范)."""

    task = _task("food_campaigns")
    name = models.CharField("整治名称", max_length=200)
    kind = models.CharField("类别", max_length=20, choices=CampaignKind.choices)
    department = _department("food_campaigns", "牵头单位")
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    goal = models.TextField("整治目标", blank=True)
    summary = models.TextField("工作总结", blank=True)

    objects = DepartmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "专项整治"
        verbose_name_plural = "专项整治"
        ordering = ["-starts_on", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("foodsafety_campaigns_detail", args=[self.pk])


class Inspection(TrackedModel):
    """检查: a place inspected, what was found, and its 整改 by a deadline, closed with proof.
    An open 整改 past its deadline is late: red on the list, and its task turns red."""

    task = _task("food_inspections")
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="专项整治",
        related_name="inspections",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    place = models.CharField("检查场所", max_length=200)
    category = models.CharField("业态类别", max_length=20, choices=PlaceCategory.choices)
    district = models.CharField("区市", max_length=20, choices=District.choices)
    department = _department("food_inspections", "检查单位")
    inspected_on = models.DateField("检查日期")
    findings = models.TextField("发现问题", blank=True)
    rectify_by = models.DateField("整改期限", null=True, blank=True, help_text="无需整改的留空。")
    rectified_on = models.DateField("整改完成日期", null=True, blank=True)
    proof = models.TextField("整改佐证", blank=True, help_text="复查情况、照片或文书编号等。")

    objects = DepartmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "食品安全检查"
        verbose_name_plural = "食品安全检查"
        ordering = ["-inspected_on", "place"]
        indexes = [
            # the reminder scan and the lights look for open 整改 by deadline
            models.Index(
                fields=["rectify_by"],
                condition=models.Q(rectified_on__isnull=True, rectify_by__isnull=False),
                name="inspection_open_rectification",
            )
        ]

    def __str__(self):
        return f"{self.place}（{self.inspected_on:%Y-%m-%d}）"

    def get_absolute_url(self):
        return reverse("foodsafety_inspections_detail", args=[self.pk])

    def status(self, today):
        """(css, label) of the 整改."""
        if self.rectify_by is None:
            return "", "无需整改"
        if self.rectified_on:
            return "bg-success", "已整改"
        if self.rectify_by < today:
            return "bg-danger", "逾期未整改"
        return "bg-warning text-dark", "整改中"


class Accident(TrackedModel):
    """食品安全事故: its level, when, how it was handled, and 责任追究."""

    task = _task("food_accidents")
    title = models.CharField("事故名称", max_length=200)
    level = models.CharField(
        "事故级别", max_length=2, choices=AccidentLevel.choices, default=AccidentLevel.IV
    )
    occurred_at = models.DateTimeField("发生时间")
    district = models.CharField("区市", max_length=20, choices=District.choices, blank=True)
    department = _department("food_accidents", "处置单位")
    casualties = models.PositiveIntegerField("涉及人数", default=0)
    handling = models.TextField("处置情况", blank=True)
    accountability = models.TextField("责任追究", blank=True)

    objects = DepartmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "食品安全事故"
        verbose_name_plural = "食品安全事故"
        ordering = ["-occurred_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("foodsafety_incidents_detail", args=[self.pk])
