"""督办事项 beyond the plan: 立项 from any source (and 交办 of a 批示), 申请办结 → 确认销号,
and the 节点 the lead department proposes and a supervisor approves."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core.access import require
from core.models import Attachment

from .. import services
from ..access import Action, get_task, task_rights
from ..choices import ClosureStatus, MilestoneStatus, Source, TaskStatus
from ..forms import (
    CloseApplyForm,
    CloseDecisionForm,
    ItemForm,
    MilestoneChangeForm,
    MilestoneDecisionForm,
    MilestoneProposeForm,
)
from ..models import Instruction, Milestone

WAITING = [MilestoneStatus.PROPOSED, MilestoneStatus.CHANGE_PENDING]


def _posted_id(request, name):
    """The id POSTed as `name`: a whole number, or 0 (found nowhere: a 404)."""
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else 0


def _instruction(request):
    """The 批示 to 交办 (?instruction= or the form's hidden field), or None."""
    pk = request.POST.get("instruction") or request.GET.get("instruction")
    if not pk or not str(pk).isdigit() or len(pk) > 11:
        return None
    return get_object_or_404(Instruction.objects.select_related("task", "leader"), pk=pk)


def _from_instruction(instruction):
    task = instruction.task
    return {
        "source": Source.INSTRUCTION,
        "title": f"落实{instruction.leader}批示：{task.title}"[:200],
        "text": (
            f"{instruction.leader}批示：{instruction.text}\n\n（批示于{task.code} {task.title}）"
        ),
        "doc_date": timezone.localtime(instruction.created_at).date(),
        "lead_department": task.lead_department_id,
        "responsible_leader": instruction.leader_id,
        "linked_project": task.project_id or task.linked_project_id,
    }


@login_required
def task_new(request):
    """立项: a 督办事项 from any source; with ?instruction=<id>, the 批示 交办 as a new item."""
    require(request.user, Action.CREATE, message="只有督查人员可以立项督办事项。")
    instruction = _instruction(request)
    status = 200
    if request.method == "POST":
        form = ItemForm(request.POST, request.FILES)
        status = _create(request, form, instruction) if form.is_valid() else 400
        if isinstance(status, str):
            return redirect(status)
    else:
        form = ItemForm(initial=_from_instruction(instruction) if instruction else None)
    context = {"form": form, "instruction": instruction}
    return render(request, "supervision/task_new.html", context, status=status)


def _create(request, form, instruction):
    """立项 through the service: the new item's page, or the status of a refusal."""
    try:
        task = services.create_item(
            user=request.user,
            data=form.item_data(),
            uploads=form.cleaned_data["files"],
            instruction=instruction,
        )
    except services.Conflict as conflict:
        form.add_error(None, str(conflict))
        return 409
    messages.success(request, f"督办事项 {task.code} 已立项，已通知牵头单位制定节点计划。")
    return task.get_absolute_url()


@login_required
def task_close(request, pk):
    """办结 and 销号: the lead department applies with a summary and 佐证材料, a supervisor
    confirms (销号) or sends it back; a supervisor may also take a 销号 back."""
    user = request.user
    task = get_task(user, pk)
    pending = task.closures.filter(status=ClosureStatus.PENDING).first()
    apply_form, decide_form, status = CloseApplyForm(), CloseDecisionForm(), 200
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "apply":
        require(user, Action.APPLY_CLOSE, task, "只有牵头单位可以申请办结。")
        apply_form = CloseApplyForm(request.POST, request.FILES)
        status = _apply(request, task, apply_form)
    elif action in ("confirm", "return"):
        require(user, Action.CLOSE, task, "只有督查人员可以确认办结。")
        decide_form = CloseDecisionForm(request.POST)
        status = _decide(request, pending, decide_form)
    elif action == "reopen":
        require(user, Action.CLOSE, task, "只有督查人员可以撤销销号。")
        if task.status == TaskStatus.CLOSED:
            services.set_closed(task, closed=False)
            messages.success(request, "已撤销销号，任务恢复办理。")
        status = None
    elif request.method == "POST":
        raise PermissionDenied("无效的操作。")
    if status is None:
        return redirect("task_close", pk=task.pk)
    closures = list(task.closures.select_related("applied_by", "decided_by"))
    context = {
        "task": task,
        "pending": pending,
        "closures": [(c, Attachment.objects.of(c)) for c in closures],
        "apply_form": apply_form,
        "decide_form": decide_form,
        **task_rights(user, task),
    }
    return render(request, "supervision/task_close.html", context, status=status)


def _apply(request, task, form):
    """Save a valid application; the status of a refusal, or None when saved."""
    if not form.is_valid():
        return 400
    try:
        services.apply_close(
            task,
            user=request.user,
            summary=form.cleaned_data["summary"],
            uploads=form.cleaned_data["files"],
        )
    except services.Conflict as conflict:
        form.add_error(None, str(conflict))
        return 409
    messages.success(request, "办结申请已提交，等待督查处确认。")
    return None


def _decide(request, pending, form):
    if pending is None:
        form.add_error(None, "没有待确认的办结申请。")
        return 409
    if not form.is_valid():
        return 400
    confirm = form.cleaned_data["action"] == "confirm"
    try:
        services.decide_close(
            pending, user=request.user, confirm=confirm, reason=form.cleaned_data["reason"]
        )
    except services.Conflict as conflict:
        form.add_error(None, str(conflict))
        return 409
    messages.success(request, "已确认办结（销号）。" if confirm else "办结申请已退回牵头单位。")
    return None


@login_required
def task_milestones(request, pk):
    """The task's 节点 plan: the lead department proposes (and corrects or moves) 节点, a
    supervisor approves or sends back the waiting ones."""
    user = request.user
    task = get_task(user, pk)
    rights = task_rights(user, task)
    forms = {
        "propose_form": MilestoneProposeForm(task=task),
        "decide_form": MilestoneDecisionForm(),
        "change_forms": {},
    }
    status = 200
    if request.method == "POST":
        status = _milestone_post(request, task, forms)
        if status is None:
            return redirect("task_milestones", pk=task.pk)
    milestones = list(task.milestones.select_related("proposed_by", "approved_by"))
    context = {
        "task": task,
        "milestones": milestones,
        "waiting": [m for m in milestones if m.status in WAITING],
        **forms,
        **rights,
    }
    return render(request, "supervision/task_milestones.html", context, status=status)


def _milestone_post(request, task, forms):
    """Do the POSTed 节点 action; the status of a refusal, or None when done."""
    user, action = request.user, request.POST.get("action")
    if action in ("approve", "return"):
        require(user, Action.APPROVE_MILESTONES, task, "只有督查人员可以审核节点。")
        waiting = task.milestones.filter(status__in=WAITING)
        form = forms["decide_form"] = MilestoneDecisionForm(request.POST, waiting=waiting)
        if not form.is_valid():
            return 400
        approve = form.cleaned_data["action"] == "approve"
        count = services.decide_milestones(
            task,
            form.cleaned_data["milestones"],
            user=user,
            approve=approve,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, f"已{'确认' if approve else '退回'} {count} 个节点。")
        return None
    require(user, Action.MILESTONE, task, "只有牵头单位可以制定节点计划。")
    if task.status == TaskStatus.CLOSED:
        messages.error(request, "该任务已办结（销号），不能再调整节点。")
        return None
    if action == "propose":
        return _propose(request, task, forms)
    if action == "change":
        return _change(request, task, forms)
    raise PermissionDenied("无效的操作。")


def _propose(request, task, forms):
    """A new 节点, or a returned one corrected (?milestone=<id>)."""
    returned = None
    if request.POST.get("milestone"):
        returned = get_object_or_404(
            Milestone,
            pk=_posted_id(request, "milestone"),
            task=task,
            status=MilestoneStatus.RETURNED,
        )
    form = forms["propose_form"] = MilestoneProposeForm(request.POST, task=task)
    if not form.is_valid():
        return 400
    if returned:
        services.resubmit_milestone(returned, user=request.user, data=form.cleaned_data)
    else:
        services.propose_milestone(task, user=request.user, data=form.cleaned_data)
    messages.success(request, f"节点“{form.cleaned_data['title']}”已报送，等待督查处确认。")
    return None


def _change(request, task, forms):
    milestone = get_object_or_404(Milestone, pk=_posted_id(request, "milestone"), task=task)
    form = MilestoneChangeForm(request.POST, milestone=milestone)
    forms["change_forms"] = {milestone.pk: form}
    if not form.is_valid():
        return 400
    try:
        services.request_milestone_change(
            milestone,
            user=request.user,
            new_due_date=form.cleaned_data["new_due_date"],
            reason=form.cleaned_data["change_reason"],
        )
    except services.Conflict as conflict:
        form.add_error(None, str(conflict))
        return 409
    messages.success(request, f"节点“{milestone.title}”的调整申请已报送，等待督查处确认。")
    return None
