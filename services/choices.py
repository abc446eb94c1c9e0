from django.db import models


class Satisfaction(models.IntegerChoices):
    """The caller's answer on the follow-up call (回访); no answer is null (未回访)."""

    SATISFIED = 3, "满意"
    FAIR = 2, "基本满意"
    UNSATISFIED = 1, "不满意"


class OrderState(models.TextChoices):
    """The list page's state filter."""

    UNREPLIED = "unreplied", "未回复"
    OVERDUE = "overdue", "超期未回复"
    LATE = "late", "超期回复"
    UNIMPLEMENTED = "unimplemented", "未落实"
    UNSATISFIED = "unsatisfied", "不满意"
    OPEN = "open", "未办结"


class Kpi(models.TextChoices):
    """The four monthly KPIs of the 12345 hotline, in the order the plan names them."""

    RECEIVED = "received", "接话量"
    REPLY_RATE = "reply_rate", "回复率"
    IMPLEMENT_RATE = "implement_rate", "落实率"
    SATISFACTION = "satisfaction", "满意度"


class ProposalKind(models.TextChoices):
    DEPUTY = "deputy", "人大代表建议"
    MEMBER = "member", "政协委员提案"


class ProposalStatus(models.TextChoices):
    ASSIGNED = "assigned", "交办"
    HANDLING = "handling", "办理中"
    REPLIED = "replied", "已答复"
    SECOND = "second", "二次办理"
    CLOSED = "closed", "办结"


class Opinion(models.IntegerChoices):
    """The proposer's opinion of the reply (代表委员评价)."""

    SATISFIED = 3, "满意"
    FAIR = 2, "基本满意"
    UNSATISFIED = 1, "不满意"
