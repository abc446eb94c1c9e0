"""The 应急管理 pages: the module's home, and the list, detail and form pages of each record
(core/records.py), the import of 物资储备 (core/imports.py) and closing a drill's problem."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.access import can, get_or_404, require
from core.imports import Importer, import_page
from core.records import Action, Column, RecordPages

from . import services
from .filters import DrillFilter, IncidentFilter, PlanFilter, SupplyFilter
from .forms import DrillForm, IncidentForm, PlanForm, ProblemCloseForm, SupplyForm
from .models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply, report_minutes

APP, TITLE = "emergency", "应急管理"


def _date(value):
    return f"{value:%Y-%m-%d}" if value else "—"


def _when(value):
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else "—"


def _save_plain(form, user):
    return services.save_record(form.save(commit=False))


def _save_drill(form, user):
    deadline = form.cleaned_data.get("problem_deadline")
    return services.save_drill(form.save(commit=False), form.problems(), deadline)


def _save_supply(form, user):
    return services.save_supply(form.save(commit=False))


def _drill_context(request, drill):
    today = timezone.localdate()
    bound = getattr(request, "problem_form", None)
    problems = []
    for problem in drill.problems.select_related("department"):
        problem.is_late = problem.done_on is None and problem.deadline < today
        problem.may_close = problem.done_on is None and can(request.user, Action.CHANGE, problem)
        problem.form = bound[1] if bound and bound[0] == problem.pk else ProblemCloseForm()
        problems.append(problem)
    return {"problems": problems}


PLANS = RecordPages(
    app=APP,
    name="plans",
    title="应急预案",
    app_title=TITLE,
    model=EmergencyPlan,
    form=PlanForm,
    save=_save_plain,
    filterset=PlanFilter,
    related=("department", "task"),
    columns=[
        Column("预案名称", lambda r: r.name, link=True),
        Column("类别", lambda r: r.get_level_display()),
        Column("编制单位", lambda r: r.department),
        Column("上次修订", lambda r: _date(r.last_revised)),
        Column("下次修订期限", lambda r: _date(r.next_revision_due)),
        Column("状态", lambda r: r.get_status_display()),
    ],
    row_class=lambda r: "table-danger" if r.next_revision_due < timezone.localdate() else "",
)
DRILLS = RecordPages(
    app=APP,
    name="drills",
    title="应急演练",
    app_title=TITLE,
    model=Drill,
    form=DrillForm,
    save=_save_drill,
    filterset=DrillFilter,
    related=("department", "task", "plan"),
    columns=[
        Column("演练名称", lambda r: r.title, link=True),
        Column("组织单位", lambda r: r.department),
        Column("计划日期", lambda r: _date(r.planned_on)),
        Column("实际日期", lambda r: _date(r.held_on)),
        Column("演练预案", lambda r: r.plan or "—"),
    ],
    row_class=lambda r: (
        "table-danger" if r.held_on is None and r.planned_on < timezone.localdate() else ""
    ),
    detail_template="emergency/drill_problems.html",
    detail_context=_drill_context,
)
SUPPLIES = RecordPages(
    app=APP,
    name="supplies",
    title="应急物资储备",
    app_title=TITLE,
    model=Supply,
    form=SupplyForm,
    save=_save_supply,
    filterset=SupplyFilter,
    related=("department", "task"),
    columns=[
        Column("物资名称", lambda r: r.item, link=True),
        Column("储备地点", lambda r: r.location),
        Column("现有数量", lambda r: f"{r.quantity} {r.unit}"),
        Column("最低储备", lambda r: f"{r.minimum} {r.unit}"),
        Column("管理单位", lambda r: r.department),
        Column("状态", lambda r: "低于最低储备" if r.is_low else "正常"),
    ],
    row_class=lambda r: "table-warning" if r.is_low else "",
    actions=[("导入", "/emergency/supplies/import/")],
)
INCIDENTS = RecordPages(
    app=APP,
    name="incidents",
    title="突发事件信息报告",
    app_title=TITLE,
    model=IncidentReport,
    form=IncidentForm,
    save=_save_plain,
    filterset=IncidentFilter,
    related=("department", "task"),
    columns=[
        Column("事件名称", lambda r: r.title, link=True),
        Column("级别", lambda r: r.get_level_display()),
        Column("报告单位", lambda r: r.department),
        Column("事发时间", lambda r: _when(r.occurred_at)),
        Column("电话报告", lambda r: r.timeliness("phone")),
        Column("书面报告", lambda r: r.timeliness("written")),
    ],
    row_class=lambda r: "" if r.on_time else "table-danger",
    detail_template="emergency/incident_timeliness.html",
    detail_context=lambda request, r: {
        "phone": r.timeliness("phone"),
        "written": r.timeliness("written"),
        "minutes": report_minutes(),
    },
)
PAGES = [PLANS, DRILLS, SUPPLIES, INCIDENTS]

supply_import = import_page(
    Importer(
        app=APP,
        title="应急物资储备",
        columns={
            "物资名称": "item",
            "储备地点": "location",
            "现有数量": "quantity",
            "最低储备": "minimum",
            "单位": "unit",
        },
        form=SupplyForm,
        save=_save_supply,
        back="emergency_supplies",
        required=("物资名称", "储备地点", "现有数量", "最低储备"),
    )
)


@login_required
def home(request):
    """The module's pages, with what needs attention in each."""
    user = request.user
    require(user, f"{APP}.view")
    today = timezone.localdate()
    figures = {
        "plans_late": EmergencyPlan.objects.visible_to(user).filter(next_revision_due__lt=today),
        "drills_late": Drill.objects.visible_to(user).filter(held_on=None, planned_on__lt=today),
        "problems_open": DrillProblem.objects.visible_to(user).filter(done_on=None),
        "supplies_low": Supply.objects.visible_to(user).filter(low_since__isnull=False),
    }
    counts = {name: rows.count() for name, rows in figures.items()}
    return render(request, "emergency/home.html", {"pages": PAGES, "counts": counts})


@login_required
@require_POST
def problem_close(request, pk, problem_id):
    """整改完成: the follow-up item of a drill is closed with its result."""
    problem = get_or_404(
        request.user, DrillProblem.objects.filter(drill_id=pk), Action.CHANGE, pk=problem_id
    )
    form = ProblemCloseForm(request.POST, instance=problem)
    if form.is_valid():
        services.close_problem(
            problem, done_on=form.cleaned_data["done_on"], result=form.cleaned_data["result"]
        )
        messages.success(request, "整改事项已办结。")
        return redirect("emergency_drills_detail", pk)
    request.problem_form = (problem.pk, form)
    return DRILLS.detail_view(request, pk)
