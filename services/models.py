"""政民互动增效: 12345 hotline work orders and their monthly roll-ups.

Work orders come from the hotline system's exports (services.hotline.import_orders) and are
never edited here, so they carry no history of their own; each import is a record with its
history (who loaded which file, how many rows). No caller data is stored, ever: no name, no
number, no address, no text of the call.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.access import ScopedQuerySet
from core.models import Department, TrackedModel
from core.records import DepartmentQuerySet
from core.roles import Role, roles_of

from .choices import Opinion, ProposalKind, ProposalStatus, Satisfaction

OFFICE_WIDE = (Role.SUPERVISOR, Role.LEADER)


def unit_scope(queryset, user, path):
    """Rows of `queryset` whose hotline unit (at `path`) is mapped to the user's department,
    for staff and heads; every row for supervisors and leaders."""
    if roles_of(user).intersection(OFFICE_WIDE):
        return queryset
    if not user.department_id:
        return queryset.none()
    return queryset.filter(**{f"{path}department_id": user.department_id})


class HotlineUnit(TrackedModel):
    """A 网络单位: a unit the hotline hands work orders to, as its exports name it, and the
    department it is (set by name on import where the names match, or by an admin)."""

    name = models.CharField("网络单位", max_length=100, unique=True)
    department = models.ForeignKey(
        Department,
        verbose_name="对应单位",
        related_name="hotline_units",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    history = HistoricalRecords()

    class UnitQuerySet(ScopedQuerySet):
        def scope(self, user):
            return unit_scope(self, user, "")

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "12345网络单位"
        verbose_name_plural = "12345网络单位"
        ordering = ["name"]

    def __str__(self):
        return self.name


class WorkOrderQuerySet(ScopedQuerySet):
    def scope(self, user):
        return unit_scope(self, user, "unit__")


class WorkOrder(models.Model):
    """One 12345 work order (工单), as the hotline system exported it."""

    number = models.CharField("工单编号", max_length=40)
    received_at = models.DateTimeField("受理时间")
    month = models.DateField("受理月份", help_text="受理时间所在月的第一天（北京时间）")
    channel = models.CharField("来源渠道", max_length=20, blank=True)
    category = models.CharField("诉求分类", max_length=50, blank=True)
    unit = models.ForeignKey(
        HotlineUnit,
        verbose_name="网络单位",
        related_name="orders",
        on_delete=models.PROTECT,
        # Imports write a million rows at a time: the unit ids come from the same
        # transaction (services.hotline._unit_ids) and Django's PROTECT guards deletes, so the
        # database's per-row foreign-key check, half the insert time, is left out; the index
        # services_wo_unit_received leads with the unit.
        db_index=False,
        db_constraint=False,
    )
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)
    implemented_at = models.DateTimeField("落实时间", null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        "回访满意度", choices=Satisfaction.choices, null=True, blank=True
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    reply_due = models.DateTimeField("回复时限")

    objects = WorkOrderQuerySet.as_manager()

    class Meta:
        verbose_name = "12345工单"
        verbose_name_plural = "12345工单"
        ordering = ["-received_at", "-id"]
        constraints = [  # a constraint, not unique=True: no second (LIKE) index on PostgreSQL
            models.UniqueConstraint(fields=["number"], name="services_wo_number_unique")
        ]
        indexes = [
            # the list opens on a month, newest first: filter and order from one index
            models.Index(
                fields=["month", "-received_at", "-id"], name="services_wo_month_received"
            ),
            models.Index(fields=["unit", "-received_at"], name="services_wo_unit_received"),
            models.Index(fields=["-received_at", "-id"], name="services_wo_received"),
        ]

    def __str__(self):
        return self.number

    def late_at(self, now):
        """Whether, at `now`, the order was replied after its deadline or is still unreplied
        past it."""
        return (self.replied_at or now) > self.reply_due


class WorkOrderMonth(models.Model):
    """The monthly roll-up of work orders per unit and category, rebuilt for the months an
    import touches (services.hotline.roll_up): the KPI page reads only this table."""

    month = models.DateField("月份")
    unit = models.ForeignKey(
        HotlineUnit, verbose_name="网络单位", related_name="months", on_delete=models.CASCADE
    )
    category = models.CharField("诉求分类", max_length=50, blank=True)
    received = models.PositiveIntegerField("接话量", default=0)
    replied = models.PositiveIntegerField("已回复", default=0)
    replied_late = models.PositiveIntegerField("超期回复或超期未回复", default=0)
    implemented = models.PositiveIntegerField("已落实", default=0)
    surveyed = models.PositiveIntegerField("已回访", default=0)
    satisfied = models.PositiveIntegerField("满意", default=0)
    fair = models.PositiveIntegerField("基本满意", default=0)
    closed = models.PositiveIntegerField("已办结", default=0)

    class Meta:
        verbose_name = "12345工单月度汇总"
        verbose_name_plural = "12345工单月度汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["month", "unit", "category"], name="services_wom_unique"
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.unit_id} {self.category}"


class WorkOrderImport(TrackedModel):
    """One import of a hotline export: who loaded which file, and what it did."""

    file_name = models.CharField("文件名", max_length=200)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="导入人",
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    rows = models.PositiveIntegerField("行数", default=0)
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    first_month = models.DateField("起始月份", null=True, blank=True)
    last_month = models.DateField("截止月份", null=True, blank=True)
    seconds = models.FloatField("用时（秒）", default=0)
    task = models.ForeignKey(
        "supervision.Task",
        verbose_name="所属任务",
        related_name="hotline_imports",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="这批工单所服务的计划任务，例如“12345热线”任务。",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "12345工单导入"
        verbose_name_plural = "12345工单导入"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name}（{self.rows} 行）"


class Inquiry(TrackedModel):
    """A 网络在线问政 question handed to a department, which answers it by a deadline."""

    number = models.CharField("编号", max_length=40, unique=True)
    title = models.CharField("问题", max_length=200)
    channel = models.CharField("平台", max_length=30, default="网络问政平台")
    asked_at = models.DateTimeField("提问时间")
    department = models.ForeignKey(
        Department, verbose_name="答复单位", related_name="inquiries", on_delete=models.PROTECT
    )
    due_date = models.DateField("答复时限")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answer = models.TextField("答复内容", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="答复人",
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    task = models.ForeignKey(
        "supervision.Task",
        verbose_name="所属任务",
        related_name="inquiries",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="这项问政所服务的计划任务，例如“网络在线问政”任务。",
    )
    history = HistoricalRecords()

    objects = DepartmentQuerySet.as_manager()  # office-wide roles all, others their own

    class Meta:
        verbose_name = "网络问政"
        verbose_name_plural = "网络问政"
        ordering = ["-asked_at", "-id"]
        indexes = [models.Index(fields=["department", "due_date"], name="services_inq_dept_due")]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return f"/services/inquiries/{self.pk}/"

    def late_on(self, day):
        """Answered after its deadline, or unanswered and past it on `day`."""
        if self.answered_at is not None:
            return timezone.localdate(self.answered_at) > self.due_date
        return day > self.due_date

    @property
    def days_taken(self):
        if self.answered_at is None:
            return None
        return (timezone.localdate(self.answered_at) - timezone.localdate(self.asked_at)).days


class ProposalQuerySet(ScopedQuerySet):
    def scope(self, user):
        if roles_of(user).intersection(OFFICE_WIDE):
            return self
        if not user.department_id:
            return self.none()
        return self.filter(
            models.Q(lead_department_id=user.department_id)
            | models.Q(partner_departments=user.department_id)
        ).distinct()


class Proposal(TrackedModel):
    """A 人大代表建议 or 政协委员提案 handed to a lead unit (with co-handling units): replied
    by its deadline, judged by its proposer, and handled a second time when judged 不满意."""

    number = models.CharField("编号", max_length=40, unique=True)
    kind = models.CharField("类别", max_length=10, choices=ProposalKind.choices)
    title = models.CharField("标题", max_length=200)
    proposer = models.CharField("提出人", max_length=100)
    topic = models.CharField("内容分类", max_length=50, blank=True)
    lead_department = models.ForeignKey(
        Department, verbose_name="主办单位", related_name="proposals", on_delete=models.PROTECT
    )
    partner_departments = models.ManyToManyField(
        Department, verbose_name="协办单位", related_name="co_proposals", blank=True
    )
    received_on = models.DateField("交办日期")
    due_date = models.DateField("办理时限")
    status = models.CharField(
        "状态", max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.ASSIGNED
    )
    key = models.BooleanField("重点建议提案", default=False)
    reply = models.TextField("答复内容", blank=True)
    replied_on = models.DateField("答复日期", null=True, blank=True)
    opinion = models.PositiveSmallIntegerField(
        "代表委员评价", choices=Opinion.choices, null=True, blank=True
    )
    rounds = models.PositiveSmallIntegerField("办理轮次", default=1)
    implemented = models.BooleanField("承诺事项已落实", default=False)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    task = models.ForeignKey(
        "supervision.Task",
        verbose_name="所属任务",
        related_name="proposals",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="这件建议提案所服务的计划任务，例如“建议提案办理”任务。",
    )
    item = models.OneToOneField(
        "supervision.Task",
        verbose_name="督办事项",
        related_name="proposal_record",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        help_text="登记时立项的督办事项（来源：人大建议或政协提案），月报、灯号、挂牌督办都在它上面。",
    )
    history = HistoricalRecords(m2m_fields=[partner_departments])

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = "建议提案"
        verbose_name_plural = "建议提案"
        ordering = ["due_date", "number"]
        indexes = [models.Index(fields=["status", "due_date"], name="services_prop_status_due")]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return f"/services/proposals/{self.pk}/"

    @property
    def open(self):
        return self.status != ProposalStatus.CLOSED

    def late_on(self, day):
        """Not replied by its (current round's) deadline."""
        if self.status in (ProposalStatus.REPLIED, ProposalStatus.CLOSED):
            return self.replied_on is not None and self.replied_on > self.due_date
        return day > self.due_date


class HotlineCase(TrackedModel):
    """集中督办: a 督办事项 opened from one unit's or one category's late or unsatisfied work
    orders of a month, linked to those work orders."""

    item = models.OneToOneField(
        "supervision.Task",
        verbose_name="督办事项",
        related_name="hotline_case",
        on_delete=models.CASCADE,
    )
    month = models.DateField("月份")
    unit = models.ForeignKey(
        HotlineUnit,
        verbose_name="网络单位",
        related_name="cases",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    category = models.CharField("诉求分类", max_length=50, blank=True)
    orders = models.ManyToManyField(WorkOrder, verbose_name="工单", related_name="cases")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="立项人",
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "12345集中督办"
        verbose_name_plural = "12345集中督办"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.unit or self.category}"
