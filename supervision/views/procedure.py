"""The 督办 procedure's pages (issue 12): /tasks/<id>/sign/ (签收 / 拒签, 改派 / 坚持交办),
/tasks/<id>/extension/ (延期申请 and its decisions), /tasks/<id>/state/ (暂停, 终止, 结转),
/tasks/<id>/state/apply/ and /tasks/<id>/state/<request id>/ (the lead department's 暂停 /
终止 application and the supervisor's decision), /supervision/requests/ (the supervisors'
queue of pending applications)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.access import can, require

from .. import procedure
from ..access import Action, get_task, require_action, task_rights
from ..choices import AssignmentStatus, ExtensionStatus, StateRequestStatus, TaskStatus
from ..models import Assignment, Extension, StateRequest
from ..procedure_forms import (
    DecisionForm,
    ExtensionForm,
    ReassignForm,
    RefuseForm,
    StateForm,
    StateRequestForm,
)
from ..services import Conflict
from .items import _posted_id


@login_required
def task_sign(request, pk):
    """The item's 交办签收: each department's receipt; its head signs or refuses, a
    supervisor re-assigns or insists after a refusal."""
    user = request.user
    task = get_task(user, pk, Action.SIGN_PAGE, message="只有交办单位和督查处可以查看签收情况。")
    forms = {"refuse_form": RefuseForm(), "reassign_form": ReassignForm()}
    status = 200
    if request.method == "POST":
        status = _sign_post(request, task, forms)
        if status is None:
            return redirect("task_sign", pk=task.pk)
    today = timezone.localdate()
    assignments = list(
        task.assignments.select_related(
            "department", "assigned_by", "answered_by", "decided_by", "suggested_department"
        )
    )
    context = {
        "task": task,
        "assignments": [
            (a, _can_sign(user, a), not a.insisted and today <= a.refuse_by) for a in assignments
        ],
        "can_reassign": task_rights(user, task)["can_reassign"],
        **forms,
    }
    return render(request, "supervision/task_sign.html", context, status=status)


def _can_sign(user, assignment):
    return assignment.status == AssignmentStatus.PENDING and _allowed(user, assignment)


def _allowed(user, assignment):
    try:
        require(user, Action.SIGN, assignment)
    except PermissionDenied:
        return False
    return True


def _sign_post(request, task, forms):
    user, action = request.user, request.POST.get("action")
    assignment = get_object_or_404(Assignment, pk=_posted_id(request, "assignment"), task=task)
    try:
        if action in ("sign", "refuse"):
            require(user, Action.SIGN, assignment, "只有被交办单位的负责人可以签收或拒签。")
            if action == "sign":
                procedure.sign(assignment, user=user)
                messages.success(request, "已签收。")
                return None
            form = forms["refuse_form"] = RefuseForm(request.POST)
            if not form.is_valid():
                return 400
            procedure.refuse(
                assignment,
                user=user,
                reason=form.cleaned_data["reason"],
                suggested=form.cleaned_data["suggested_department"],
            )
            messages.success(request, "已拒签，等待督查处改派或坚持交办。")
            return None
        require(user, Action.REASSIGN, task, "只有督查人员可以改派或坚持交办。")
        if action == "insist":
            procedure.insist(assignment, user=user)
            messages.success(request, f"已坚持交办{assignment.department}，待其签收。")
            return None
        if action != "reassign":
            raise PermissionDenied("无效的操作。")
        form = forms["reassign_form"] = ReassignForm(request.POST)
        if not form.is_valid():
            return 400
        procedure.reassign(assignment, user=user, department=form.cleaned_data["department"])
        messages.success(request, f"已改派{form.cleaned_data['department']}，待其签收。")
    except Conflict as conflict:
        messages.error(request, str(conflict))
        return 409
    return None


@login_required
def task_extension(request, pk):
    """延期申请: the lead department applies before the deadline; a supervisor decides, and
    under 市政府挂牌 a leader after; both dates stay on the page."""
    user = request.user
    task = get_task(user, pk)
    forms = {"apply_form": ExtensionForm(), "decision_form": DecisionForm()}
    status = 200
    if request.method == "POST":
        status = _extension_post(request, task, forms)
        if status is None:
            return redirect("task_extension", pk=task.pk)
    extensions = list(
        task.extensions.select_related("applied_by", "reviewed_by", "leader").order_by("-pk")
    )
    waiting = next(
        (e for e in extensions if e.status in (ExtensionStatus.PENDING, ExtensionStatus.LEADER)),
        None,
    )
    rights = task_rights(user, task)
    context = {
        "task": task,
        "extensions": extensions,
        "waiting": waiting,
        "can_decide": waiting is not None
        and (
            (waiting.status == ExtensionStatus.PENDING and rights["can_decide_extension"])
            or (waiting.status == ExtensionStatus.LEADER and rights["can_leader_extension"])
        ),
        **rights,
        **forms,
    }
    return render(request, "supervision/task_extension.html", context, status=status)


def _extension_post(request, task, forms):
    user, action = request.user, request.POST.get("action")
    try:
        if action == "apply":
            require(user, Action.APPLY_EXTENSION, task, "只有牵头单位可以申请延期。")
            form = forms["apply_form"] = ExtensionForm(request.POST)
            if not form.is_valid():
                return 400
            procedure.apply_extension(
                task,
                user=user,
                new_date=form.cleaned_data["new_date"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, "延期申请已提交，等待审批。原完成时限在批准前仍然有效。")
            return None
        if action not in ("review", "leader"):
            raise PermissionDenied("无效的操作。")
        waiting = task.extensions.filter(
            status=ExtensionStatus.PENDING if action == "review" else ExtensionStatus.LEADER
        ).first()
        if action == "review":
            require(user, Action.DECIDE_EXTENSION, task, "只有督查人员可以审核延期申请。")
        else:
            require(user, Action.LEADER_EXTENSION, task, "只有领导可以审批市政府挂牌事项的延期。")
        form = forms["decision_form"] = DecisionForm(request.POST)
        if waiting is None:
            messages.error(request, "没有待审批的延期申请。")
            return 409
        if not form.is_valid():
            return 400
        decide = (
            procedure.review_extension if action == "review" else procedure.leader_decide_extension
        )
        approve = form.cleaned_data["decision"] == "approve"
        result = decide(waiting, user=user, approve=approve, reason=form.cleaned_data["reason"])
        messages.success(request, f"延期申请：{result.get_status_display()}。")
    except Conflict as conflict:
        messages.error(request, str(conflict))
        return 409
    return None


STATES = {
    "suspend": TaskStatus.SUSPENDED,
    "resume": TaskStatus.IN_PROGRESS,
    "terminate": TaskStatus.TERMINATED,
}


@login_required
@require_POST
def task_state(request, pk):
    """暂停 / 恢复 / 终止 / 挂账结转 (supervisors), posted from the task page."""
    user = request.user
    task = get_task(user, pk, Action.STATE, message="只有督查人员可以暂停、终止或结转事项。")
    form = StateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("task_detail", pk=task.pk)
    state, reason = form.cleaned_data["state"], form.cleaned_data["reason"]
    try:
        if state == "carry":
            new = procedure.carry_over(task, user=user, reason=reason)
            messages.success(request, f"已挂账结转为 {new.code}。")
            return redirect("task_detail", pk=new.pk)
        procedure.set_state(task, user=user, status=STATES[state], reason=reason)
        messages.success(request, f"已{dict(form.fields['state'].choices)[state]}。")
    except Conflict as conflict:
        messages.error(request, str(conflict))
    return redirect("task_detail", pk=task.pk)


def _form_errors(request, form):
    for errors in form.errors.values():
        messages.error(request, " ".join(errors))


@login_required
@require_POST
def task_state_apply(request, pk):
    """The lead department (head or staff) applies for 暂停 / 终止, posted from the task page."""
    user = request.user
    task = get_task(user, pk, Action.APPLY_STATE, message="只有牵头单位可以申请暂停或终止。")
    form = StateRequestForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("task_detail", pk=task.pk)
    try:
        application = procedure.apply_state(
            task, user=user, kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"]
        )
    except Conflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(request, f"{application.get_kind_display()}申请已提交，等待督查处审批。")
    return redirect("task_detail", pk=task.pk)


@login_required
@require_POST
def task_state_decide(request, pk, request_id):
    """A supervisor approves or refuses (with a reason) a 暂停 / 终止 application, from the
    task page or the queue (`back=queue` returns there)."""
    user = request.user
    task = get_task(user, pk, Action.STATE, message="只有督查人员可以审批暂停或终止申请。")
    application = get_object_or_404(StateRequest, pk=request_id, task=task)
    back = redirect("requests_queue") if request.POST.get("back") == "queue" else None
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return back or redirect("task_detail", pk=task.pk)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        procedure.decide_state(
            application, user=user, approve=approve, reason=form.cleaned_data["reason"]
        )
    except Conflict as conflict:
        messages.error(request, str(conflict))
    else:
        verb = application.get_kind_display()
        messages.success(request, f"已{'批准' if approve else '不予批准'}{verb}申请。")
    return back or redirect("task_detail", pk=task.pk)


def waiting_for(user):
    """{queue: queryset} of the applications waiting for `user`: a supervisor's 暂停 / 终止
    applications and 延期申请, a leader's 延期申请 of items under 市政府挂牌 that the
    supervisors passed on. The queue page lists them; the dashboard counts them."""
    queues = {}
    if can(user, Action.STATE):
        queues["state_requests"] = StateRequest.objects.filter(status=StateRequestStatus.PENDING)
    if can(user, Action.DECIDE_EXTENSION):
        queues["extensions"] = Extension.objects.filter(status=ExtensionStatus.PENDING)
    if can(user, Action.LEADER_EXTENSION):
        queues["leader_extensions"] = Extension.objects.filter(status=ExtensionStatus.LEADER)
    return queues


@login_required
def requests_queue(request):
    """The applications waiting for the user (`waiting_for`), oldest first; a leader's, those
    of the items the leader is responsible for first."""
    user = request.user
    require_action(user, Action.REQUESTS)
    related = ("task__lead_department", "applied_by")
    shown = {"leader_extensions": ("reviewed_by",)}  # the supervisor's approval
    queues = {
        name: list(
            queryset.select_related(*related, *shown.get(name, ())).order_by("created_at", "pk")
        )
        for name, queryset in waiting_for(user).items()
    }
    if "leader_extensions" in queues:
        queues["leader_extensions"] = sorted(
            queues["leader_extensions"],
            key=lambda e: e.task.responsible_leader_id != user.pk,  # stable: oldest first
        )
    context = {
        "supervises": "extensions" in queues,
        "state_requests": queues.get("state_requests", []),
        "extensions": queues.get("extensions", []),
        "leader_extensions": queues.get("leader_extensions", []),
        "waiting": sum(len(rows) for rows in queues.values()),
    }
    return render(request, "supervision/requests.html", context)
