"""Choices shared by the supervision models, forms and views."""

from django.db import models


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未启动"
    IN_PROGRESS = "in_progress", "进行中"
    COMPLETED = "completed", "已完成"
    CLOSED = "closed", "已办结"
    SUSPENDED = "suspended", "暂缓"


class Rhythm(models.TextChoices):
    MONTHLY = "monthly", "按月"
    QUARTERLY = "quarterly", "按季度"


class Comparison(models.TextChoices):
    GTE = ">=", "≥"
    LTE = "<=", "≤"
    EQ = "=", "="
    GT = ">", "高于"  # a relative target: the indicator against its named reference
    LT = "<", "低于"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审核"


class ListingLevel(models.TextChoices):
    CITY = "city", "市政府挂牌"
    OFFICE = "office", "办公厅挂牌"


class Light(models.TextChoices):
    """红黄绿灯 (supervision/lights.py computes them)."""

    RED = "red", "红灯"
    YELLOW = "yellow", "黄灯"
    GREEN = "green", "绿灯"
    GREY = "grey", "已办结"


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ISSUED = "issued", "已印发"
