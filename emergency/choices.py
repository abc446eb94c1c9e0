"""Choices of the 应急管理 module."""

from django.db import models


class PlanLevel(models.TextChoices):
    GENERAL = "general", "总体应急预案"
    SPECIAL = "special", "专项应急预案"
    DEPARTMENT = "department", "部门应急预案"
    GRASSROOTS = "grassroots", "基层应急预案"


class PlanStatus(models.TextChoices):
    REVISING = "revising", "修编中"
    PUBLISHED = "published", "已发布"


class IncidentLevel(models.TextChoices):
    I = "1", "特别重大（Ⅰ级）"  # noqa: E741
    II = "2", "重大（Ⅱ级）"
    III = "3", "较大（Ⅲ级）"
    IV = "4", "一般（Ⅳ级）"
