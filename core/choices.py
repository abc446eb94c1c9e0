"""Choices the shared models use; apps keep their own in their own choices.py."""

from django.db import models


class DepartmentKind(models.TextChoices):
    OFFICE = "office", "办公厅处室"
    MUNICIPAL = "municipal", "市政府部门"
    DISTRICT = "district", "区市"
    OTHER = "other", "其他单位"


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
    WORKFLOW = "workflow", "办理通知"  # 节点 and 办结 steps waiting for someone
