"""The core of the supervision system: plans, projects, tasks and what is tracked on them."""

from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.access import ScopedQuerySet
from core.models import Department, TrackedModel
from core.roles import Role, roles_of

from .choices import (
    AssignmentStatus,
    BulletinStatus,
    ClosureStatus,
    Comparison,
    ExtensionStatus,
    LadderAction,
    LadderPattern,
    Light,
    ListingLevel,
    MilestoneStatus,
    ReportStatus,
    Rhythm,
    Source,
    StateRequestKind,
    StateRequestStatus,
    TaskStatus,
    Urgency,
)

PERCENT_RANGE = Q(percent__gte=0) & Q(percent__lte=100)


class User(AbstractUser):
    """A person who signs in; belongs to one department and has roles through groups."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name="所属单位",
        related_name="members",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    phone = models.CharField("电话", max_length=30, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.full_name or self.username

    @property
    def roles(self):
        """The set of Role values this user holds (cached per instance)."""
        return roles_of(self)

    def has_role(self, *roles):
        return bool(self.roles.intersection(roles))


class DepartmentKeyword(TrackedModel):
    """Keyword → lead department, for plan tasks whose text names no responsible unit.

    The importer looks for each keyword in the task title, then the project title, then the
    task text; a higher priority wins, then the place it was found, then the longer keyword.
    """

    keyword = models.CharField("关键词", max_length=50, unique=True)
    department = models.ForeignKey(
        Department,
        verbose_name="牵头单位",
        related_name="keywords",
        on_delete=models.CASCADE,
    )
    priority = models.IntegerField("优先级", default=50, help_text="数值大者优先。")

    history = HistoricalRecords()

    class Meta:
        verbose_name = "牵头单位关键词"
        verbose_name_plural = "牵头单位关键词"
        ordering = ["-priority", "keyword"]

    def __str__(self):
        return f"{self.keyword} → {self.department}"


class DepartmentAlias(TrackedModel):
    """Another name of a department as plan documents write it (市发改委 for 市发展改革委).

    The plan importer matches a unit named in a document to an existing department through
    this table; an admin's choice on the import review page is remembered here."""

    alias = models.CharField("文档中的名称", max_length=100, unique=True)
    department = models.ForeignKey(
        Department,
        verbose_name="对应单位",
        related_name="aliases",
        on_delete=models.CASCADE,
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "单位别名"
        verbose_name_plural = "单位别名"
        ordering = ["alias"]

    def __str__(self):
        return f"{self.alias} → {self.department}"


class PlanCorrection(TrackedModel):
    """A correction made on the import review page, remembered for a re-import of the same
    file (keyed by the SHA-256 of its text): a task's title, lead department, partners or
    deadline, a measure's lead or partners (code "2.1/3": measure 3 of task 2.1), or the
    splits and merges of tasks (one row, code "*", applied before the others)."""

    class Field(models.TextChoices):
        TITLE = "title", "标题"
        LEAD = "lead", "牵头单位"
        PARTNERS = "partners", "配合单位"
        DUE = "due", "完成时限"
        MEASURE_LEAD = "m_lead", "措施牵头单位"
        MEASURE_PARTNERS = "m_partners", "措施配合单位"
        STRUCTURE = "structure", "拆分与合并"

    source_sha256 = models.CharField("原文 SHA-256", max_length=64)
    code = models.CharField("任务编号", max_length=20)
    field = models.CharField("更正项", max_length=10, choices=Field.choices)
    value = models.TextField("更正为", blank=True)

    class Meta:
        verbose_name = "导入更正"
        verbose_name_plural = "导入更正"
        constraints = [
            models.UniqueConstraint(
                fields=["source_sha256", "code", "field"],
                name="plancorrection_unique_field",
                violation_error_message="同一文档的同一任务同一项只记录一次更正。",
            )
        ]

    def __str__(self):
        return f"{self.code} {self.get_field_display()}：{self.value}"


class Plan(TrackedModel):
    """One year's work plan of the office, as imported from its document."""

    year = models.PositiveIntegerField("年度", unique=True)
    title = models.CharField("标题", max_length=200)
    preamble = models.TextField("前言", blank=True)
    source_text = models.TextField("原文", blank=True)
    source_sha256 = models.CharField("原文摘要", max_length=64, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "年度工作计划"
        verbose_name_plural = "年度工作计划"
        ordering = ["-year"]
        permissions = [("import_plan", "可以导入工作计划")]

    def __str__(self):
        return f"{self.year}年 {self.title}"


class Project(TrackedModel):
    """A section of the plan: one of the 工程, or a campaign such as 五型机关 creation."""

    plan = models.ForeignKey(
        Plan, verbose_name="工作计划", related_name="projects", on_delete=models.CASCADE
    )
    number = models.PositiveIntegerField("序号")
    title = models.CharField("名称", max_length=200)
    summary = models.TextField("概述", blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "工程（板块）"
        verbose_name_plural = "工程（板块）"
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "number"],
                name="project_unique_number",
                violation_error_message="同一计划中板块序号不能重复。",
            )
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class TaskQuerySet(ScopedQuerySet):
    """Everyone signed in with a role reads every task (supervision/access.py)."""


class Task(TrackedModel):
    """A supervised item (督办事项), with the department that leads it and its progress: an
    item of the year's plan (source PLAN, in a project), or one from any other source (领导批示,
    会议议定, …; numbered per year, linked to a plan project or to none)."""

    source = models.CharField(
        "来源", max_length=20, choices=Source.choices, default=Source.PLAN, db_index=True
    )
    year = models.PositiveIntegerField(
        "年度",
        db_index=True,
        editable=False,
        help_text="计划任务取计划年度；其他事项取立项年度（保存时填写）。",
    )
    doc_number = models.CharField("来文文号", max_length=100, blank=True)
    doc_date = models.DateField("来文日期", null=True, blank=True)
    origin_instruction = models.ForeignKey(
        "Instruction",
        verbose_name="来源批示",
        related_name="assigned_items",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    project = models.ForeignKey(
        Project,
        verbose_name="所属工程",
        related_name="tasks",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text="年度工作计划的任务所在的工程；其他来源的事项为空。",
    )
    linked_project = models.ForeignKey(
        Project,
        verbose_name="关联计划工程",
        related_name="linked_items",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="其他来源的事项可关联到年度计划的一个工程，也可不关联。",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级任务",
        related_name="children",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    number = models.PositiveIntegerField("序号")
    code = models.CharField("编号", max_length=20, help_text="如 1.2 或 1.2.3，导入时生成。")
    path = models.CharField("排序路径", max_length=40, editable=False, db_index=True)
    title = models.CharField("标题", max_length=200)
    text = models.TextField("任务原文")
    lead_department = models.ForeignKey(
        Department,
        verbose_name="牵头单位",
        related_name="led_tasks",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    partner_departments = models.ManyToManyField(
        Department, verbose_name="配合单位", related_name="partner_tasks", blank=True
    )
    lead_suggested = models.BooleanField(
        "牵头单位为推测",
        default=False,
        help_text="文档未写明单位，按关键词推测；确认或改定后取消。",
    )
    responsible_leader = models.ForeignKey(
        User,
        verbose_name="责任领导",
        related_name="responsible_tasks",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    start_date = models.DateField("开始日期", null=True, blank=True)
    due_date = models.DateField("完成时限", null=True, blank=True)
    rhythm = models.CharField(
        "报送节奏", max_length=20, choices=Rhythm.choices, blank=True, default=""
    )
    status = models.CharField(
        "状态", max_length=20, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    percent = models.PositiveSmallIntegerField("完成进度（%）", default=0)
    is_public = models.BooleanField("向社会公开（市办实事）", default=False)
    urgency = models.CharField(
        "紧急程度", max_length=20, choices=Urgency.choices, blank=True, default=""
    )
    original_due_date = models.DateField(
        "原完成时限",
        null=True,
        blank=True,
        help_text="批准延期前的完成时限；未在原时限前批准的延期，按时率仍按它计算。",
    )
    counted_due_date = models.DateField(
        "考核时限",
        null=True,
        blank=True,
        help_text="按时率和考核计算所用的时限：延期在原时限前批准的为新时限，否则为原时限。",
    )
    state_reason = models.TextField("暂停、终止或结转原因", blank=True)
    carried_from = models.ForeignKey(
        "self",
        verbose_name="结转自",
        related_name="carried_into",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    reminders = GenericRelation("core.Reminder", related_query_name="task")
    reminder_items = GenericRelation("core.ReminderItem", related_query_name="task")
    objects = TaskQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[partner_departments])

    class Meta:
        verbose_name = "任务"
        verbose_name_plural = "任务"
        ordering = ["year", "path"]
        permissions = [("close_task", "可以确认任务办结")]
        indexes = [
            # the task list and the ledger: a year's tasks in code order, and their count
            # (an index-only scan once vacuumed; supervision/filters.py). With the id: the
            # list's queries join the stored status on it, which PostgreSQL then drops, but
            # only after it has ruled out an index without the id (a 50,000-task count went
            # from an 18 ms sequential scan to 5 ms, issue 17). A key column, not INCLUDE,
            # which SQLite lacks.
            models.Index(fields=["year", "path", "id"], name="task_year_path_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=PERCENT_RANGE,
                name="task_percent_range",
                violation_error_message="完成进度必须在 0 到 100 之间。",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(due_date__isnull=True)
                | Q(due_date__gte=F("start_date")),
                name="task_due_not_before_start",
                violation_error_message="完成时限不能早于开始日期。",
            ),
            models.UniqueConstraint(
                fields=["project", "number"],
                condition=Q(parent__isnull=True),
                name="task_unique_top_number",
                violation_error_message="同一工程中任务序号不能重复。",
            ),
            models.UniqueConstraint(
                fields=["year", "number"],
                condition=Q(parent__isnull=True) & ~Q(source="plan"),
                name="task_unique_item_number",
                violation_error_message="同一年度中督办事项序号不能重复。",
            ),
            models.CheckConstraint(
                condition=Q(source="plan", project__isnull=False)
                | (~Q(source="plan") & Q(project__isnull=True)),
                name="task_plan_in_project",
                violation_error_message="年度工作计划的任务属于一个工程，其他来源的事项不属于工程。",
            ),
            models.UniqueConstraint(
                fields=["parent", "number"],
                condition=Q(parent__isnull=False),
                name="task_unique_child_number",
                violation_error_message="同一上级任务中子任务序号不能重复。",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def is_plan_task(self):
        return self.source == Source.PLAN

    @property
    def group_title(self):
        """What the item belongs to on the lists: its plan project, or its source."""
        if self.project_id:
            return self.project.title
        return self.get_source_display()

    def save(self, *args, **kwargs):
        if self.source == Source.PLAN and self.project_id:
            self.year = self.project.plan.year
        elif self.year is None:
            self.year = timezone.localdate().year
        self.code, self.path = self.numbering()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("task_detail", args=[self.pk])

    def numbering(self):
        """(code, path) from the position in the tree: ("1.2.3", "001.002.003")."""
        if self.parent_id:
            return f"{self.parent.code}.{self.number}", f"{self.parent.path}.{self.number:03d}"
        if self.source != Source.PLAN:
            # after the plan's tasks of the year ("~" sorts after the digits)
            return f"督{self.year}-{self.number:03d}", f"~{self.number:05d}"
        return (
            f"{self.project.number}.{self.number}",
            f"{self.project.number:03d}.{self.number:03d}",
        )


class Measure(TrackedModel):
    """A clause of a task's text (the plan's text split at ；)."""

    task = models.ForeignKey(
        Task, verbose_name="任务", related_name="measures", on_delete=models.CASCADE
    )
    number = models.PositiveIntegerField("序号")
    text = models.TextField("措施")
    lead_department = models.ForeignKey(
        Department,
        verbose_name="牵头单位",
        related_name="led_measures",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    partner_departments = models.ManyToManyField(
        Department, verbose_name="配合单位", related_name="partner_measures", blank=True
    )
    due_date = models.DateField("完成时限", null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[partner_departments])

    class Meta:
        verbose_name = "具体措施"
        verbose_name_plural = "具体措施"
        ordering = ["task", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "number"],
                name="measure_unique_number",
                violation_error_message="同一任务中措施序号不能重复。",
            )
        ]

    def __str__(self):
        return f"{self.number}. {self.text[:30]}"


class Milestone(TrackedModel):
    """A dated step (节点) of a task, ticked when done. The lead department proposes it, a
    supervisor approves it or sends it back; only approved ones count for lights and
    reminders. An approved date changes only with a reason and a new approval (调整节点):
    the requested date waits in `new_due_date`, the replaced one stays in `previous_due_date`."""

    task = models.ForeignKey(
        Task, verbose_name="任务", related_name="milestones", on_delete=models.CASCADE
    )
    title = models.CharField("节点", max_length=200)
    deliverable = models.CharField("成果形式", max_length=200, blank=True)
    due_date = models.DateField("计划完成日期")
    completed_on = models.DateField("实际完成日期", null=True, blank=True)
    note = models.TextField("说明", blank=True)
    status = models.CharField(
        "审核状态",
        max_length=20,
        choices=MilestoneStatus.choices,
        default=MilestoneStatus.APPROVED,
    )
    proposed_by = models.ForeignKey(
        User,
        verbose_name="提出人",
        related_name="milestones_proposed",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    approved_by = models.ForeignKey(
        User,
        verbose_name="审核人",
        related_name="milestones_approved",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)
    return_reason = models.TextField("退回原因", blank=True)
    new_due_date = models.DateField("申请调整为", null=True, blank=True)
    change_reason = models.TextField("调整原因", blank=True)
    previous_due_date = models.DateField("调整前计划日期", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "节点"
        verbose_name_plural = "节点"
        ordering = ["task", "due_date", "pk"]

    def __str__(self):
        return self.title


class Indicator(TrackedModel):
    """A quantitative target of a task, e.g. 引进金融机构 ≥ 10 家; or a relative one, e.g.
    小微企业、涉农贷款增速 高于 各项贷款平均增速 (`reference` named, no `target`): its reported
    value is then the margin over the reference (negative when below)."""

    task = models.ForeignKey(
        Task, verbose_name="任务", related_name="indicators", on_delete=models.CASCADE
    )
    number = models.PositiveIntegerField("序号")
    name = models.CharField("指标", max_length=100)
    target = models.DecimalField("目标值", max_digits=14, decimal_places=2, null=True, blank=True)
    unit = models.CharField("单位", max_length=20, blank=True)
    comparison = models.CharField(
        "比较方式", max_length=2, choices=Comparison.choices, default=Comparison.GTE
    )
    reference = models.CharField(
        "比较对象",
        max_length=100,
        blank=True,
        help_text="相对目标的比较对象，如“各项贷款平均增速”；填写后不设目标值。",
    )
    actual = models.DecimalField("实际值", max_digits=14, decimal_places=2, null=True, blank=True)
    as_of_month = models.DateField("截至月份", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "量化指标"
        verbose_name_plural = "量化指标"
        ordering = ["task", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "number"],
                name="indicator_unique_number",
                violation_error_message="同一任务中指标序号不能重复。",
            )
        ]

    def __str__(self):
        return f"{self.name} {self.get_comparison_display()} {self.target_display}"

    def clean(self):
        relative = self.comparison in (Comparison.GT, Comparison.LT)
        if relative and not self.reference:
            raise ValidationError({"reference": "“高于”“低于”须填写比较对象。"})
        if self.reference and not relative:
            raise ValidationError({"comparison": "填写比较对象时，比较方式应为“高于”或“低于”。"})
        if not relative and self.target is None:
            raise ValidationError({"target": "请填写目标值。"})

    @property
    def is_relative(self):
        return bool(self.reference)

    @property
    def target_display(self):
        """“10家” or, for a relative target, the reference: “各项贷款平均增速”."""
        if self.is_relative or self.target is None:
            return self.reference
        return f"{self.target.normalize():f}{self.unit}"

    @property
    def is_met(self):
        return self.met_by(self.actual)

    def met_by(self, value):
        """Whether `value` (None: nothing reported) meets the target."""
        return meets(self.comparison, self.target, self.reference, value)


def meets(comparison, target, reference, value):
    """Whether `value` (None: nothing reported) meets an indicator's target (`comparison`,
    `target`, `reference`: its fields; the dashboard judges plain rows with it)."""
    if value is None:
        return False
    if reference or target is None:
        # the reported value is the margin over the reference
        return value < 0 if comparison == Comparison.LT else value > 0
    if comparison == Comparison.GTE:
        return value >= target
    if comparison == Comparison.LTE:
        return value <= target
    return value == target


class MonthlyReport(TrackedModel):
    """The lead department's progress report on a task for one month."""

    task = models.ForeignKey(
        Task, verbose_name="任务", related_name="reports", on_delete=models.CASCADE
    )
    month = models.DateField("月份", help_text="该月第一天。")
    progress = models.TextField("本月进展", blank=True)
    problems = models.TextField("存在问题", blank=True)
    next_steps = models.TextField("下步计划", blank=True)
    percent = models.PositiveSmallIntegerField("月末完成进度（%）", default=0)
    percent_note = models.TextField(
        "进度说明", blank=True, help_text="进度低于上月时必须说明原因。"
    )
    problems_public = models.BooleanField(
        "存在问题可公开", default=False, help_text="勾选后，本月“存在问题”随进展向社会公开。"
    )
    status = models.CharField(
        "状态", max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    submitted_by = models.ForeignKey(
        User,
        verbose_name="报送人",
        related_name="submitted_reports",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User,
        verbose_name="审核人",
        related_name="reviewed_reports",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    return_reason = models.TextField("退回原因", blank=True)
    version = models.PositiveIntegerField("版本", default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "月度进展报告"
        verbose_name_plural = "月度进展报告"
        ordering = ["task", "-month"]
        permissions = [("review_monthlyreport", "可以审核月度进展报告")]
        indexes = [
            # The tasks that reported a month: the dashboard (report in / late, the light's
            # "reported last month") and `send_reminders` (report_missing) look them up
            # by month over every task of the plan.
            models.Index(
                fields=["month", "task"],
                condition=Q(status__in=["submitted", "approved"]),
                name="report_reported_month",
            ),
            # `send_reminders` (the returned rule): returned reports not resubmitted.
            models.Index(
                fields=["reviewed_at"],
                condition=Q(status="returned"),
                name="report_returned",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "month"],
                name="report_one_per_task_month",
                violation_error_message="该任务本月已有进展报告。",
            ),
            models.CheckConstraint(
                condition=PERCENT_RANGE,
                name="report_percent_range",
                violation_error_message="完成进度必须在 0 到 100 之间。",
            ),
        ]

    def __str__(self):
        return f"{self.task.code} {self.month:%Y-%m}"

    def get_absolute_url(self):
        return reverse("report_form", args=[self.task_id, f"{self.month:%Y-%m}"])


class IndicatorValue(TrackedModel):
    """An indicator's value as reported in a monthly report."""

    report = models.ForeignKey(
        MonthlyReport,
        verbose_name="月度报告",
        related_name="indicator_values",
        on_delete=models.CASCADE,
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", related_name="values", on_delete=models.PROTECT
    )
    value = models.DecimalField("数值", max_digits=14, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "指标填报值"
        verbose_name_plural = "指标填报值"
        constraints = [
            models.UniqueConstraint(
                fields=["report", "indicator"],
                name="indicator_value_unique",
                violation_error_message="同一报告中每个指标只能填报一次。",
            )
        ]

    def __str__(self):
        return f"{self.indicator.name}: {self.value}"


class Listing(TrackedModel):
    """挂牌督办: a task put under special supervision until it is lifted."""

    task = models.ForeignKey(
        Task, verbose_name="任务", related_name="listings", on_delete=models.CASCADE
    )
    level = models.CharField("挂牌级别", max_length=20, choices=ListingLevel.choices)
    reason = models.TextField("挂牌事由")
    deadline = models.DateField("督办时限")
    is_public = models.BooleanField("公开挂牌", default=False)
    listed_by = models.ForeignKey(
        User, verbose_name="挂牌人", related_name="listings_made", on_delete=models.PROTECT
    )
    listed_at = models.DateTimeField("挂牌时间")
    lifted_at = models.DateTimeField("摘牌时间", null=True, blank=True)
    lifted_by = models.ForeignKey(
        User,
        verbose_name="摘牌人",
        related_name="listings_lifted",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    lift_reason = models.TextField("摘牌原因", blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "挂牌督办"
        verbose_name_plural = "挂牌督办"
        ordering = ["-listed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(lifted_at__isnull=True),
                name="listing_one_active_per_task",
                violation_error_message="该任务已在挂牌督办中。",
            )
        ]

    def __str__(self):
        return f"{self.get_level_display()}：{self.task}"


class Instruction(TrackedModel):
    """A leader's 批示 on a task, and the lead department's answer."""

    task = models.ForeignKey(
        Task, verbose_name="任务", related_name="instructions", on_delete=models.CASCADE
    )
    leader = models.ForeignKey(
        User, verbose_name="批示领导", related_name="instructions", on_delete=models.PROTECT
    )
    text = models.TextField("批示内容")
    response = models.TextField("落实情况", blank=True)
    responded_by = models.ForeignKey(
        User,
        verbose_name="答复人",
        related_name="instruction_responses",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    responded_at = models.DateTimeField("答复时间", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "领导批示"
        verbose_name_plural = "领导批示"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.leader}：{self.text[:30]}"


class Urging(TrackedModel):
    """催办: a supervisor chased the lead department about a task, now."""

    task = models.ForeignKey(
        Task, verbose_name="任务", related_name="urgings", on_delete=models.CASCADE
    )
    sent_by = models.ForeignKey(
        User, verbose_name="催办人", related_name="urgings_sent", on_delete=models.PROTECT
    )
    message = models.TextField("催办内容")
    recipient_count = models.PositiveIntegerField("接收人数", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "催办记录"
        verbose_name_plural = "催办记录"
        ordering = ["-created_at"]

    def __str__(self):
        return f"催办：{self.task}"


class Closure(TrackedModel):
    """申请办结: the lead department's application to close a task, with its summary, and the
    supervisor's decision (确认销号 or 退回). One pending application per task at a time."""

    task = models.ForeignKey(
        Task, verbose_name="任务", related_name="closures", on_delete=models.CASCADE
    )
    summary = models.TextField("办结情况")
    status = models.CharField(
        "状态", max_length=20, choices=ClosureStatus.choices, default=ClosureStatus.PENDING
    )
    applied_by = models.ForeignKey(
        User, verbose_name="申请人", related_name="closures_applied", on_delete=models.PROTECT
    )
    decided_by = models.ForeignKey(
        User,
        verbose_name="确认人",
        related_name="closures_decided",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField("确认时间", null=True, blank=True)
    return_reason = models.TextField("退回原因", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "办结申请"
        verbose_name_plural = "办结申请"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(status="pending"),
                name="closure_one_pending_per_task",
                violation_error_message="该任务已有待确认的办结申请。",
            )
        ]

    def __str__(self):
        return f"办结申请：{self.task}"


class PartnerNote(TrackedModel):
    """A partner department's own part of a task's monthly progress (配合情况)."""

    task = models.ForeignKey(
        Task, verbose_name="任务", related_name="partner_notes", on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        Department, verbose_name="配合单位", related_name="partner_notes", on_delete=models.PROTECT
    )
    month = models.DateField("月份")
    text = models.TextField("配合工作情况")
    author = models.ForeignKey(
        User, verbose_name="填报人", related_name="partner_notes", on_delete=models.PROTECT
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "配合单位进展"
        verbose_name_plural = "配合单位进展"
        ordering = ["task", "-month", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "department", "month"],
                name="partner_note_one_per_month",
                violation_error_message="该单位本月已填报配合情况。",
            )
        ]

    def __str__(self):
        return f"{self.department} {self.month:%Y-%m}"


class MonthClose(TrackedModel):
    """月度关账: a supervisor closed a month of a plan; its dashboard figures are frozen in
    `data`, so later edits cannot rewrite what the leaders were shown. Reopening needs a
    reason; closing and reopening are both in the history."""

    plan = models.ForeignKey(
        Plan, verbose_name="工作计划", related_name="month_closes", on_delete=models.CASCADE
    )
    month = models.DateField("月份", help_text="该月第一天。")
    is_closed = models.BooleanField("已关账", default=True)
    closed_by = models.ForeignKey(
        User, verbose_name="关账人", related_name="months_closed", on_delete=models.PROTECT
    )
    closed_at = models.DateTimeField("关账时间")
    data = models.JSONField("数据快照", default=dict, editable=False)
    reopened_by = models.ForeignKey(
        User,
        verbose_name="重开人",
        related_name="months_reopened",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    reopened_at = models.DateTimeField("重开时间", null=True, blank=True)
    reopen_reason = models.TextField("重开原因", blank=True)
    history = HistoricalRecords(excluded_fields=["data"])

    class Meta:
        verbose_name = "月度关账"
        verbose_name_plural = "月度关账"
        ordering = ["plan", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "month"],
                name="month_close_once_per_plan",
                violation_error_message="该月份已有关账记录。",
            )
        ]

    def __str__(self):
        return f"{self.plan.year}年{self.month.month}月关账"


class Bulletin(TrackedModel):
    """督查通报 of a closed month. Its figures and lists (`facts`) are taken from the month's
    snapshot when it is generated, so they never change afterwards; a supervisor edits the
    narrative paragraphs, then issues it: it gets its number (第N期 of the year) and is final.
    The .docx and the PDF are rendered from these stored fields (supervision/bulletin_files.py)."""

    plan = models.ForeignKey(
        Plan, verbose_name="工作计划", related_name="bulletins", on_delete=models.CASCADE
    )
    month = models.DateField("月份", help_text="该月第一天。")
    number = models.PositiveIntegerField("期号", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT
    )
    issuer = models.CharField("印发单位", max_length=100, default="市政府办公厅督查处")
    facts = models.JSONField("通报数据", default=dict, editable=False)
    ranking = models.JSONField("考核排名", default=list, blank=True, editable=False)
    overview = models.TextField("总体情况", blank=True)
    completed = models.TextField("完成情况", blank=True)
    lagging = models.TextField("滞后事项", blank=True)
    listed = models.TextField("挂牌督办事项", blank=True)
    escalation = models.TextField("督办约谈情况", blank=True)
    instructions = models.TextField("领导批示落实", blank=True)
    reporting = models.TextField("报送情况", blank=True)
    next_steps = models.TextField("下步工作", blank=True)
    generated_by = models.ForeignKey(
        User, verbose_name="生成人", related_name="bulletins_generated", on_delete=models.PROTECT
    )
    issued_by = models.ForeignKey(
        User,
        verbose_name="印发人",
        related_name="bulletins_issued",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    issued_at = models.DateTimeField("印发时间", null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["facts", "ranking"])

    class Meta:
        verbose_name = "督查通报"
        verbose_name_plural = "督查通报"
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "month"],
                name="bulletin_one_per_month",
                violation_error_message="该月份已有督查通报。",
            ),
            models.UniqueConstraint(
                fields=["plan", "number"],
                name="bulletin_unique_number",
                violation_error_message="期号不能重复。",
            ),
        ]

    def __str__(self):
        if self.number:
            return f"督查通报 {self.month.year}年第{self.number}期"
        return f"督查通报 {self.month.year}年{self.month.month}月（草稿）"

    def get_absolute_url(self):
        return reverse("bulletin_detail", args=[f"{self.month:%Y-%m}"])

    @property
    def is_issued(self):
        return self.status == BulletinStatus.ISSUED


class ScoringScheme(TrackedModel):
    """目标绩效考核方案 of a year: which criteria (core/scoring.py) count, with what weight
    and rule parameters, and whether the monthly 督查通报 carries the ranking."""

    year = models.PositiveIntegerField("年度", unique=True)
    title = models.CharField("名称", max_length=100, default="目标绩效考核方案")
    in_bulletin = models.BooleanField("督查通报附考核排名", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}年{self.title}"


class SchemeCriterion(TrackedModel):
    """A criterion of a scheme: a share (RATE) scores weight × share; a count (COUNT) takes
    `per_unit` points off the weight per unit, down to 0. A department the criterion has
    nothing on (no 节点 due, no 批示…) gets the full weight."""

    scheme = models.ForeignKey(
        ScoringScheme, verbose_name="考核方案", related_name="items", on_delete=models.CASCADE
    )
    key = models.CharField("考核指标", max_length=60)
    weight = models.DecimalField("分值", max_digits=6, decimal_places=2)
    per_unit = models.DecimalField(
        "每件扣分", max_digits=6, decimal_places=2, default=0, help_text="计数类指标每件扣分。"
    )
    params = models.JSONField(
        "规则参数", default=dict, blank=True, help_text='如 {"days": 7}：批示答复时限（天）。'
    )
    order = models.PositiveIntegerField("排序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["scheme", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "key"],
                name="scheme_criterion_once",
                violation_error_message="同一方案中每个考核指标只能出现一次。",
            )
        ]

    def __str__(self):
        return f"{self.key}（{self.weight}分）"


class ScoreMeasure(models.Model):
    """A criterion's measured value for a department and a closed month, stored when the
    month is closed (or first scored), so the ranking does not move when data is edited
    later. Bookkeeping written by the scorer only (supervision/scores.py)."""

    month = models.DateField("月份")
    department = models.ForeignKey(
        Department,
        verbose_name="单位",
        related_name="score_measures",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text="空：该指标当月已计量（无论有无数据）。",
    )
    key = models.CharField("考核指标", max_length=60)
    value = models.DecimalField("数值", max_digits=12, decimal_places=4)
    detail = models.CharField("说明", max_length=200, blank=True)
    measured_at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        verbose_name = "考核计量"
        verbose_name_plural = "考核计量"
        constraints = [
            models.UniqueConstraint(
                fields=["month", "key", "department"],
                name="score_measure_once",
                violation_error_message="该月该单位该指标已计量。",
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.key} {self.department_id}: {self.value}"


# --- issue 12: 签收/拒签, 延期, the escalation ladder ---------------------------------------


class Assignment(TrackedModel):
    """交办签收: a department's receipt of an item it was assigned (the lead department, and
    each partner for its part). The head 签收 within ASSIGNMENT_SIGN_WORKDAYS working days, or
    拒签 within ASSIGNMENT_REFUSE_WORKDAYS with a reason (and may suggest the right
    department); the supervisor then re-assigns the item (a new Assignment to the other
    department) or insists (a new Assignment to the same one, which may not be refused)."""

    task = models.ForeignKey(
        Task, verbose_name="事项", related_name="assignments", on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        Department, verbose_name="承办单位", related_name="assignments", on_delete=models.PROTECT
    )
    is_lead = models.BooleanField("牵头", default=True)
    status = models.CharField(
        "状态", max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    assigned_by = models.ForeignKey(
        User,
        verbose_name="交办人",
        related_name="assignments_made",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    assigned_at = models.DateTimeField("交办时间")
    sign_by = models.DateField("签收时限")
    refuse_by = models.DateField("可拒签至")
    insisted = models.BooleanField(
        "坚持交办", default=False, help_text="拒签后坚持交办的不能再拒签。"
    )
    answered_by = models.ForeignKey(
        User,
        verbose_name="签收（拒签）人",
        related_name="assignments_answered",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    answered_at = models.DateTimeField("签收（拒签）时间", null=True, blank=True)
    refuse_reason = models.TextField("拒签理由", blank=True)
    suggested_department = models.ForeignKey(
        Department,
        verbose_name="建议承办单位",
        related_name="assignments_suggested",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    decided_by = models.ForeignKey(
        User,
        verbose_name="处理人",
        related_name="assignments_decided",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "交办签收"
        verbose_name_plural = "交办签收"
        ordering = ["task", "assigned_at", "pk"]
        indexes = [
            # the `unsigned` reminder rule (send_reminders): pending ones past their limit
            models.Index(
                fields=["sign_by"], condition=Q(status="pending"), name="assignment_pending"
            )
        ]

    def __str__(self):
        return f"{self.department} {'牵头' if self.is_lead else '配合'}：{self.task.code}"

    def get_absolute_url(self):
        return reverse("task_sign", args=[self.task_id])

    @property
    def late(self):
        """Signed after its limit (or still pending past it)."""
        if self.status == AssignmentStatus.SIGNED and self.answered_at:
            return timezone.localdate(self.answered_at) > self.sign_by
        return self.status == AssignmentStatus.PENDING and timezone.localdate() > self.sign_by


class Extension(TrackedModel):
    """延期申请: the lead department asks, before the deadline, for a new date with a reason;
    a supervisor approves or refuses, and under 市政府挂牌 a leader approves after. The
    original deadline is kept (Task.original_due_date); on-time figures count against the new
    one only if the extension was approved before the original passed (`in_time`)."""

    task = models.ForeignKey(
        Task, verbose_name="事项", related_name="extensions", on_delete=models.CASCADE
    )
    original_due_date = models.DateField("申请时的完成时限")
    requested_due_date = models.DateField("申请延期至")
    reason = models.TextField("延期理由")
    status = models.CharField(
        "状态", max_length=20, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    needs_leader = models.BooleanField("需领导审批", default=False)
    applied_by = models.ForeignKey(
        User, verbose_name="申请人", related_name="extensions_applied", on_delete=models.PROTECT
    )
    reviewed_by = models.ForeignKey(
        User,
        verbose_name="督查处审核人",
        related_name="extensions_reviewed",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField("督查处审核时间", null=True, blank=True)
    leader = models.ForeignKey(
        User,
        verbose_name="审批领导",
        related_name="extensions_approved",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    leader_at = models.DateTimeField("领导审批时间", null=True, blank=True)
    refuse_reason = models.TextField("不予批准的理由", blank=True)
    in_time = models.BooleanField("在原时限前批准", default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(status__in=["pending", "leader"]),
                name="extension_one_open_per_task",
                violation_error_message="该事项已有待审批的延期申请。",
            )
        ]

    def __str__(self):
        return f"延期申请：{self.task.code} 至 {self.requested_due_date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("task_extension", args=[self.task_id])


class StateRequest(TrackedModel):
    """暂停 / 终止 applied for by the lead department (its head or staff) with a reason; a
    supervisor approves (the item then stops: procedure.set_state) or refuses with a reason.
    Supervisors may also stop an item directly, which settles a pending application."""

    task = models.ForeignKey(
        Task, verbose_name="事项", related_name="state_requests", on_delete=models.CASCADE
    )
    kind = models.CharField("申请事项", max_length=20, choices=StateRequestKind.choices)
    reason = models.TextField("申请理由")
    status = models.CharField(
        "状态",
        max_length=20,
        choices=StateRequestStatus.choices,
        default=StateRequestStatus.PENDING,
    )
    applied_by = models.ForeignKey(
        User, verbose_name="申请人", related_name="state_requests", on_delete=models.PROTECT
    )
    decided_by = models.ForeignKey(
        User,
        verbose_name="审批人",
        related_name="state_requests_decided",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    refuse_reason = models.TextField("不予批准的理由", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "暂停/终止申请"
        verbose_name_plural = "暂停/终止申请"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(status="pending"),
                name="state_request_one_open_per_task",
                violation_error_message="该事项已有待审批的暂停或终止申请。",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}申请：{self.task.code}"

    def get_absolute_url(self):
        return reverse("task_detail", args=[self.task_id])


class LadderRule(TrackedModel):
    """A rung of the escalation ladder after reminders, edited in the admin: a pattern (N
    consecutive yellow months, M consecutive red months, overdue by K working days) turns
    into an action (催办通知书, 督办函, 约谈, 通报批评, 问责). The daily ladder run
    (supervision/ladder.py) fires each rule once per item and streak."""

    name = models.CharField("名称", max_length=100)
    pattern = models.CharField("触发条件", max_length=20, choices=LadderPattern.choices)
    threshold = models.PositiveSmallIntegerField("数量", help_text="月数或工作日数。")
    action = models.CharField("措施", max_length=20, choices=LadderAction.choices)
    is_active = models.BooleanField("启用", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "督办升级规则"
        verbose_name_plural = "督办升级规则"
        ordering = ["pattern", "threshold", "pk"]

    def __str__(self):
        return f"{self.get_pattern_display()}≥{self.threshold} → {self.get_action_display()}"


class LadderRecordQuerySet(ScopedQuerySet):
    """Supervisors and leaders see every ladder record; a head sees the letters and 约谈 of
    its own department (never 通报批评 / 问责); others nothing."""

    def scope(self, user):
        roles = roles_of(user)
        if roles & {Role.SUPERVISOR, Role.LEADER}:
            return self
        if Role.HEAD in roles and user.department_id:
            return self.filter(department_id=user.department_id).exclude(
                action__in=[LadderAction.CRITICISM, LadderAction.ACCOUNTABILITY]
            )
        return self.none()


class LadderRecord(TrackedModel):
    """What a ladder action produced: a numbered 督办函 / 催办通知书, a 约谈, or a 通报批评 /
    问责. `rule` and `trigger` (the streak's first month, or the deadline) make a rule fire
    once per item and streak, however often the run repeats; records made by hand have no
    rule."""

    task = models.ForeignKey(
        Task, verbose_name="事项", related_name="ladder_records", on_delete=models.CASCADE
    )
    department = models.ForeignKey(
        Department, verbose_name="责任单位", related_name="ladder_records", on_delete=models.PROTECT
    )
    action = models.CharField("措施", max_length=20, choices=LadderAction.choices)
    rule = models.ForeignKey(
        LadderRule,
        verbose_name="触发规则",
        related_name="records",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    trigger = models.CharField("触发依据", max_length=40, blank=True)
    reason = models.TextField("事由")
    year = models.PositiveIntegerField("年度")
    number = models.PositiveIntegerField("文号序号", null=True, blank=True)
    created_by = models.ForeignKey(
        User,
        verbose_name="经办人",
        related_name="ladder_records",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # 督办函 / 催办通知书: issued to the department head, who signs for it
    addressee = models.ForeignKey(
        User,
        verbose_name="送达",
        related_name="letters_received",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    signed_by = models.ForeignKey(
        User,
        verbose_name="签收人",
        related_name="letters_signed",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    # 约谈, 通报批评 / 问责
    date = models.DateField("日期", null=True, blank=True)
    leader = models.ForeignKey(
        User,
        verbose_name="约谈领导",
        related_name="interviews_led",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    attendees = models.TextField("参加人员", blank=True)
    minutes = models.TextField("约谈纪要", blank=True)
    follow_up = models.TextField("整改事项", blank=True)
    decision = models.TextField("决定", blank=True)
    basis = models.TextField("依据", blank=True)
    objects = LadderRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "督办升级记录"
        verbose_name_plural = "督办升级记录"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "task", "trigger"],
                condition=Q(rule__isnull=False),
                name="ladder_record_once_per_streak",
                violation_error_message="该规则已对该事项触发。",
            ),
            models.UniqueConstraint(
                fields=["action", "year", "number"],
                condition=Q(number__isnull=False),
                name="ladder_record_unique_number",
                violation_error_message="文号重复。",
            ),
        ]

    def __str__(self):
        if self.number:
            return self.doc_number
        return f"{self.get_action_display()}：{self.task.code}"

    def get_absolute_url(self):
        if self.action in LETTER_ACTIONS:
            return reverse("letter_detail", args=[self.pk])
        return reverse("interview_detail", args=[self.pk])

    @property
    def doc_number(self):
        """督办〔2026〕第3号 (催办〔2026〕第3号 for a 催办通知书)."""
        prefix = "催办" if self.action == LadderAction.NOTICE else "督办"
        return f"{prefix}〔{self.year}〕第{self.number}号"


LETTER_ACTIONS = [LadderAction.LETTER, LadderAction.NOTICE]
RECORD_ACTIONS = [LadderAction.CRITICISM, LadderAction.ACCOUNTABILITY]


# --- issue 17: the stored status of each task ----------------------------------------------


class TaskStanding(models.Model):
    """What the lists, the ledger and the task page show of a task beyond its own columns —
    its light, 序时进度, overdue days, latest report and 挂牌 — computed once
    (supervision/standing.py) instead of on every page view: by every write that changes
    them (supervision/derived.py, inside the writer's transaction) and by the daily job
    just after midnight, since time alone turns tasks yellow and red.

    A cache of other rows (their history is kept there): no simple-history here. Pages read
    these rows only while `standing.is_current(today)`; otherwise they compute live."""

    task = models.OneToOneField(
        Task,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="standing",
        verbose_name="任务",
    )
    light = models.CharField("灯号", max_length=10, choices=Light.choices)
    light_rank = models.PositiveSmallIntegerField("灯号排序", help_text="红 0、黄 1、绿 2、灰 3。")
    expected_percent = models.PositiveSmallIntegerField("序时进度（%）", null=True, blank=True)
    overdue_days = models.PositiveIntegerField("逾期天数", default=0)
    last_report_month = models.DateField("最近报送月份", null=True, blank=True)
    last_report_status = models.CharField(
        "最近月报状态", max_length=20, choices=ReportStatus.choices, blank=True, null=True
    )
    last_progress = models.TextField("最近月报进展", blank=True, null=True)
    last_submitted_at = models.DateTimeField("最近报送时间", null=True, blank=True)
    listed = models.BooleanField("挂牌中", default=False)
    listing_level = models.CharField(
        "挂牌级别", max_length=20, choices=ListingLevel.choices, blank=True, null=True
    )
    listing_deadline = models.DateField("督办时限", null=True, blank=True)
    urging_count = models.PositiveIntegerField("催办次数", default=0)
    records = models.JSONField(
        "其他业务记录",
        default=dict,
        blank=True,
        help_text="core/task_records.py 各来源的记录数与逾期数：{来源: [总数, 逾期数]}。",
    )
    computed_on = models.DateField("计算日期")

    class Meta:
        verbose_name = "任务状态（计算结果）"
        verbose_name_plural = "任务状态（计算结果）"
        indexes = [
            # the task list's ?light= filter and its sort by light (supervision/filters.py)
            models.Index(fields=["light_rank", "task"], name="standing_light_rank"),
            models.Index(fields=["light", "task"], name="standing_light"),
            # ?listed=yes and the 挂牌 column
            models.Index(fields=["listed", "task"], name="standing_listed"),
        ]

    def __str__(self):
        return f"{self.task_id}: {self.get_light_display()}（{self.computed_on:%Y-%m-%d}）"


class StandingRun(models.Model):
    """The day the daily job refreshed every task's standing (supervision/standing.py): the
    stored rows are current for that day only. Bookkeeping, no history."""

    day = models.DateField("日期", primary_key=True)
    finished_at = models.DateTimeField("完成时间", auto_now=True)
    tasks = models.PositiveIntegerField("任务数", default=0)

    class Meta:
        verbose_name = "任务状态计算记录"
        verbose_name_plural = "任务状态计算记录"

    def __str__(self):
        return f"{self.day:%Y-%m-%d}"


class TaskMonth(models.Model):
    """One task's figures as of one month of its plan's year (issue 17, the month roll-ups):
    what the dashboard's live query works out per task (supervision/dashboard.py
    `task_figures`), stored so that the dashboard, the trend, /public/ and the ladder's month
    lights sum rows instead of running the light rule and its subqueries over every task.

    A derived table, a cache of other rows: NO history (the reports, listings and tasks it is
    computed from carry theirs). supervision/rollups.py writes it: inside the transaction of
    every write that changes a task (supervision/derived.py), when a month closes or reopens,
    by the daily job, and by a rebuild. Rows exist for the tasks of a month's year only; a
    month is read from here only while its MonthRollup marker says its rows are complete and
    judged on the right day, else live. The task's project, department, source and status
    are copied here (the writers refresh every month of a task they edit), so that the
    dashboard groups a month's rows without joining the tasks."""

    task = models.ForeignKey(Task, related_name="month_rows", on_delete=models.CASCADE)
    month = models.DateField("月份", help_text="该月第一天。")
    percent = models.PositiveSmallIntegerField("截至该月的完成进度（%）", default=0)
    expected = models.FloatField("序时进度（%）", null=True)
    light = models.CharField("灯", max_length=10, choices=Light.choices)
    listed = models.BooleanField("挂牌督办中", default=False)
    report_due = models.BooleanField("应报", default=False)
    reported = models.BooleanField("已报", default=False)
    reported_late = models.BooleanField("逾期报送", default=False)
    reported_on_time = models.BooleanField("按时报送", default=False)
    red = models.BooleanField("趋势红灯（逾期或挂牌超期）", default=False)
    # the dashboard's indicator section as of the month (`meets` on the value last reported)
    indicators = models.PositiveIntegerField("量化指标数", default=0)
    indicators_met = models.PositiveIntegerField("截至该月达标的指标数", default=0)
    # the task's own columns the dashboard groups by, copied so that a month's rows are
    # summed without joining the tasks (the writers refresh every month of a task they edit)
    project = models.ForeignKey(
        Project,
        verbose_name="所属工程",
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        db_constraint=False,
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name="牵头单位",
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        db_constraint=False,
    )
    source = models.CharField("来源", max_length=20, choices=Source.choices, default=Source.PLAN)
    status = models.CharField(
        "任务状态", max_length=20, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )

    class Meta:
        verbose_name = "月度汇总行"
        verbose_name_plural = "月度汇总行"
        constraints = [
            models.UniqueConstraint(fields=["task", "month"], name="task_month_once"),
        ]
        indexes = [
            # the dashboard sums a month's rows by project, department and light
            models.Index(fields=["month", "light"], name="task_month_light"),
            # the dashboard's indicators listed below target: a month's tasks with one unmet
            models.Index(
                fields=["month"],
                name="task_month_unmet",
                condition=Q(indicators_met__lt=F("indicators")),
            ),
        ]

    def __str__(self):
        return f"{self.task_id} {self.month:%Y-%m}"


class MonthRollup(models.Model):
    """The completeness marker of a month's TaskMonth rows: every task of the month's year
    has its row, judged as of `as_of` (the month's last day, or the day it was built while
    the month runs). A derived table: no history."""

    month = models.DateField("月份", unique=True)
    as_of = models.DateField("计算基准日")
    built_at = models.DateTimeField("生成时间", default=timezone.now)
    # the month's point of the dashboard's trend, summed over its rows (kept by the writers:
    # supervision/rollups.py adds what a refresh moved), so that the trend reads a row a month
    tasks = models.PositiveIntegerField("任务数", default=0)
    percent_sum = models.BigIntegerField("进度之和", default=0)
    red = models.PositiveIntegerField("红灯数（逾期或挂牌超期）", default=0)
    due = models.PositiveIntegerField("应报数", default=0)
    on_time = models.PositiveIntegerField("按时报送数", default=0)

    class Meta:
        verbose_name = "月度汇总标记"
        verbose_name_plural = "月度汇总标记"

    def __str__(self):
        return f"{self.month:%Y-%m}（{self.as_of}）"
