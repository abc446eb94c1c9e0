"""Choices shared by the supervision models, forms and views."""

from django.db import models


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未启动"
    IN_PROGRESS = "in_progress", "进行中"
    COMPLETED = "completed", "已完成"
    CLOSED = "closed", "已办结"
    SUSPENDED = "suspended", "暂停"
    TERMINATED = "terminated", "已终止"
    CARRIED = "carried", "已挂账结转"


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
    GREY = "grey", "灰灯"  # 已办结, 暂停, 终止, 结转: the badge says which (light_badge)


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ISSUED = "issued", "已印发"


# 暂停, 终止 and 结转 stop lights and reminders like 办结 (issue 12).
STOPPED = [TaskStatus.SUSPENDED, TaskStatus.TERMINATED, TaskStatus.CARRIED]
# The statuses whose light is grey (lights.with_lights), whatever their dates and listing.
GREY_STATUSES = [TaskStatus.CLOSED, *STOPPED]


class Urgency(models.TextChoices):
    """批示件 urgency: it proposes the deadline (settings.ITEM_DEADLINE_WORKDAYS)."""

    URGENT = "urgent", "紧急"
    NORMAL = "normal", "一般"
    DIFFICULT = "difficult", "复杂疑难"


class AssignmentStatus(models.TextChoices):
    """交办 → 签收, or 拒签 and then the supervisor re-assigns (改派) or insists (坚持交办)."""

    PENDING = "pending", "待签收"
    SIGNED = "signed", "已签收"
    REFUSED = "refused", "已拒签"
    REASSIGNED = "reassigned", "拒签后已改派"
    INSISTED = "insisted", "拒签后坚持交办"


class ExtensionStatus(models.TextChoices):
    """延期申请: the supervisor decides; under 市政府挂牌 a leader decides after."""

    PENDING = "pending", "待督查处审核"
    LEADER = "leader", "待领导审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"


class StateRequestKind(models.TextChoices):
    """What the lead department applies for: 暂停 or 终止 (issue 12)."""

    SUSPEND = "suspended", "暂停"
    TERMINATE = "terminated", "终止"


class StateRequestStatus(models.TextChoices):
    """A 暂停 / 终止 application waits for the supervisor's decision."""

    PENDING = "pending", "待督查处审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"


class LadderPattern(models.TextChoices):
    YELLOW_MONTHS = "yellow_months", "连续黄灯月数"
    RED_MONTHS = "red_months", "连续红灯月数"
    OVERDUE_WORKDAYS = "overdue_workdays", "逾期工作日数"


class LadderAction(models.TextChoices):
    NOTICE = "notice", "催办通知书"
    LETTER = "letter", "督办函"
    INTERVIEW = "interview", "约谈"
    CRITICISM = "criticism", "通报批评"
    ACCOUNTABILITY = "accountability", "问责"
