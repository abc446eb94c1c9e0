"""The daily work: tasks, monthly reports and their review, 挂牌督办, 催办, 批示, history,
notifications. Small function views; every object comes through `access`."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from core.access import require
from core.files import ACCEPT, files_by_record
from core.related import has_rows
from core.roles import Role

from .. import reporting, standing
from ..access import Action, get_task, task_rights
from ..choices import COUNTED_MILESTONES, StateRequestStatus
from ..filters import filter_tasks, list_page, task_view
from ..forms import (
    InstructionForm,
    PartnerNoteForm,
    RemindForm,
)
from ..history import task_changes
from ..models import Milestone
from ..services import NOT_CHASED
from .reports import remembered_month

PAGE_SIZE = 50


@login_required
def home(request):
    """Leaders to the dashboard, staff and heads to their department's tasks, everyone else
    to all tasks."""
    user = request.user
    if user.has_role(Role.LEADER):
        return redirect("dashboard")
    if user.department_id and user.has_role(Role.STAFF, Role.HEAD):
        return redirect(f"{reverse('task_list')}?department={user.department_id}")
    return redirect("task_list")


@login_required
def task_list(request):
    require(request.user, Action.VIEW)
    today = timezone.localdate()
    tasks = filter_tasks(request.GET, today)
    page = list_page(tasks, request.GET.get("page"), PAGE_SIZE, today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/task_list.html",
        {"filter": tasks, "page": page, "query": query.urlencode()},
    )


@login_required
def task_detail(request, pk):
    return render_detail(request, pk)


# The task's related rows the page lists. A task has few of them (most tasks have no 批示, no
# 挂牌, no 催办…): one query says which (core.related), and the page queries only those.
LISTED = (
    "reports",
    "milestones",
    "measures",
    "indicators",
    "children",
    "instructions",
    "listings",
    "urgings",
    "ladder_records",
    "state_requests",
    "reminders",
    "reminder_items",
    "partner_notes",
    "carried_into",
)


def render_detail(request, pk, forms=None, status=200):
    """The task page; `forms` replaces the blank forms with bound ones showing errors."""
    user = request.user
    task = get_task(user, pk, queryset=task_view())
    present = has_rows(task, LISTED)

    def rows(name, queryset):
        """`queryset` if the task has any `name`, else no rows and no query."""
        return queryset if present[name] else ()

    reports = list(
        rows(
            "reports", task.reports.select_related("submitted_by", "reviewed_by").order_by("-month")
        )
    )
    milestones = list(rows("milestones", task.milestones.all()))
    slots = reporting.task_slots(task, reports)
    state_requests = list(
        rows("state_requests", task.state_requests.select_related("applied_by", "decided_by"))[:20]
    )
    context = {
        "task": task,
        "measures": rows("measures", task.measures.all()),
        "milestones": milestones,
        "indicators": rows("indicators", task.indicators.all()),
        "reports": reports,
        "children": rows(
            "children", standing.annotate(task.children.select_related("lead_department"))
        ),
        "instructions": rows(
            "instructions",
            task.instructions.select_related("leader", "responded_by").prefetch_related(
                "assigned_items"
            ),
        ),
        "milestone_files": files_by_record(Milestone, [m.pk for m in milestones]),
        "counted_statuses": COUNTED_MILESTONES,
        "not_chased": NOT_CHASED,
        "file_accept": ACCEPT,
        "listings": rows("listings", task.listings.select_related("listed_by", "lifted_by")),
        "urgings": rows("urgings", task.urgings.select_related("sent_by")),
        "ladder_records": rows(
            "ladder_records", task.ladder_records.visible_to(user).select_related("task")
        ),
        "state_requests": state_requests,
        "state_pending": any(a.status == StateRequestStatus.PENDING for a in state_requests),
        "reminders": rows(
            "reminders", task.reminders.select_related("recipient").order_by("-created_at")[:50]
        ),
        "reminder_items": rows(
            "reminder_items",
            task.reminder_items.select_related("recipient").order_by("-pk")[:100],
        ),
        "partner_notes": rows(
            "partner_notes", task.partner_notes.select_related("department", "author")
        ),
        "carried_into": rows("carried_into", task.carried_into.only("pk", "code")),
        "slots": slots,
        "report_month": _report_month(request, slots),
        **task_rights(user, task),
        "instruction_form": InstructionForm(),
        "remind_form": RemindForm(),
        "partner_form": PartnerNoteForm(),
        "answer_forms": {},
        "milestone_errors": {},
        "this_month": timezone.localdate().replace(day=1),
        "records": standing.records_of(task),
    }
    context.update(forms or {})
    return render(request, "supervision/task_detail.html", context, status=status)


def _report_month(request, slots):
    """The month the task page offers to file: the one the user chose earlier in the
    session if it is still open, else reporting.month_to_offer."""
    if not slots:
        return None
    open_months = [s.month for s in slots if s.is_open]
    chosen = remembered_month(request, open_months)
    return chosen or reporting.month_to_offer(slots)


@login_required
def task_history(request, pk):
    task = get_task(request.user, pk)
    return render(
        request,
        "supervision/task_history.html",
        {"task": task, "changes": task_changes(task)},
    )
