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
    WEEKLY = "weekly", "按周"
    QUARTERLY = "quarterly", "按季度"
    ONCE = "once", "一次性办结"


class Source(models.TextChoices):
    """Where a 督办事项 comes from; the annual plan's tasks are PLAN."""

    PLAN = "plan", "年度工作计划"
    INSTRUCTION = "instruction", "领导批示"
    MEETING = "meeting", "会议议定"
    GOV_REPORT = "gov_report", "政府工作报告"
    NPC = "npc", "人大建议"
    CPPCC = "cppcc", "政协提案"
    LETTER = "letter", "群众来信"
    SUPERIOR = "superior", "上级交办"
    OTHER = "other", "其他"


class MilestoneStatus(models.TextChoices):
    """A 节点's approval: proposed by the lead department, approved by a supervisor. A change
    of an approved date waits as CHANGE_PENDING while the approved date still counts."""

    PROPOSED = "proposed", "待审核"
    APPROVED = "approved", "已确认"
    RETURNED = "returned", "已退回"
    CHANGE_PENDING = "change_pending", "调整待审核"


# The 节点 that count for lights and reminders: the approved ones (a pending change keeps
# counting at its approved date).
COUNTED_MILESTONES = [MilestoneStatus.APPROVED, MilestoneStatus.CHANGE_PENDING]


class ClosureStatus(models.TextChoices):
    """申请办结 → 确认销号 or 退回."""

    PENDING = "pending", "待确认"
    CONFIRMED = "confirmed", "已销号"
    RETURNED = "returned", "已退回"


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
