"""Choices shared by the supervision models, forms and views."""

from django.db import models


class Role(models.TextChoices):
    """The roles of CONTRACT.md; each is a auth Group of the same label."""

    STAFF = "staff", "承办人员"
    HEAD = "head", "处室负责人"
    SUPERVISOR = "supervisor", "督查人员"
    LEADER = "leader", "领导"
    ADMIN = "admin", "管理员"


class DepartmentKind(models.TextChoices):
    OFFICE = "office", "办公厅处室"
    MUNICIPAL = "municipal", "市政府部门"
    DISTRICT = "district", "区市"
    OTHER = "other", "其他单位"


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


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审核"


class ListingLevel(models.TextChoices):
    CITY = "city", "市政府挂牌"
    OFFICE = "office", "办公厅挂牌"


class ReminderChannel(models.TextChoices):
    IN_APP = "in_app", "站内通知"
    EMAIL = "email", "电子邮件"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "即将到期"
    OVERDUE = "overdue", "已逾期"
    ESCALATION = "escalation", "逾期升级"
    REPORT_MISSING = "report_missing", "月报未报"
    LISTING = "listing", "挂牌督办到期"
    RETURNED = "returned", "退回未重报"
    MANUAL = "manual", "人工催办"
    INSTRUCTION = "instruction", "领导批示"


class Light(models.TextChoices):
    """红黄绿灯 (supervision/lights.py computes them)."""

    RED = "red", "红灯"
    YELLOW = "yellow", "黄灯"
    GREEN = "green", "绿灯"
    GREY = "grey", "已办结"
