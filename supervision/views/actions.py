"""What is done to a task from its page: 挂牌督办, 催办, 办结, 批示 and answers, milestones,
the partner departments' notes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.months import month_or_404

from .. import reporting, services
from ..access import Action, get_task, require_action
from ..forms import (
    AnswerForm,
    InstructionForm,
    LiftForm,
    ListingForm,
    MilestoneForm,
    PartnerNoteForm,
    RemindForm,
)
from ..models import Instruction, Milestone, Task
from .reports import posted_ids
from .tasks import render_detail


@login_required
def task_listing(request, pk):
    """挂牌督办: list a task, change its listing, or lift it."""
    task = get_task(request.user, pk, Action.LIST)
    active = task.listings.filter(lifted_at=None).first()
    form, lift_form, status = ListingForm(instance=active), LiftForm(), 200
    if request.method == "POST" and request.POST.get("action") == "lift" and active:
        lift_form = LiftForm(request.POST)
        if lift_form.is_valid():
            services.lift_listing(active, request.user, lift_form.cleaned_data["lift_reason"])
            messages.success(request, "已摘牌。")
            return redirect("task_detail", pk=task.pk)
        status = 400
    elif request.method == "POST":
        form = ListingForm(request.POST, instance=active)
        status = _save_listing(request, task, form)
        if status is None:
            messages.success(request, "挂牌督办信息已保存。" if active else "已挂牌督办。")
            return redirect("task_detail", pk=task.pk)
    context = {
        "task": task,
        "active": active,
        "form": form,
        "lift_form": lift_form,
        "past": task.listings.exclude(lifted_at=None).select_related("listed_by", "lifted_by"),
    }
    return render(request, "supervision/task_listing.html", context, status=status)


def _save_listing(request, task, form):
    """Save the listing form through the service; the HTTP status of a refusal, or None."""
    if not form.is_valid():
        return 400
    try:
        version = form.data.get("version")
        services.save_listing(task, user=request.user, data=form.cleaned_data, version=version)
    except services.Conflict as conflict:
        form.add_error(None, str(conflict))
        return 409
    return None


@login_required
@require_POST
def task_remind(request, pk):
    """催办 now: an in-app notice and an email to the lead department's staff and head."""
    user = request.user
    task = get_task(user, pk, Action.REMIND)
    form = RemindForm(request.POST)
    if not form.is_valid():
        return render_detail(request, task.pk, {"remind_form": form}, status=400)
    try:
        urging, created = services.urge(task, user=user, message=form.cleaned_data["message"])
    except services.CannotUrge as error:
        messages.error(request, error.message)
        return redirect("task_detail", pk=task.pk)
    if created:
        messages.success(request, f"已向 {urging.recipient_count} 人发出催办。")
    else:
        messages.info(request, "相同内容的催办刚刚已发出，未重复发送。")
    return redirect("task_detail", pk=task.pk)


@login_required
@require_POST
def bulk_remind(request):
    """催办 the tasks ticked on the ledger (or any list), all with one message."""
    user = request.user
    require_action(user, Action.REMIND)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("ledger")
    ids = posted_ids(request.POST.getlist("task"))
    tasks = Task.objects.filter(pk__in=ids).select_related("lead_department").order_by("path")
    form = RemindForm(request.POST)
    if not ids or not form.is_valid():
        problems = [e for errors in form.errors.values() for e in errors]
        messages.error(request, "；".join(problems) or "请先勾选要催办的任务。")
        return redirect(back)
    sent, skipped = services.urge_many(tasks, user=user, message=form.cleaned_data["message"])
    if sent:
        people = sum(u.recipient_count for u in sent)
        messages.success(request, f"已对 {len(sent)} 项任务发出催办（共 {people} 人）。")
    for task, reason in skipped:
        messages.warning(request, f"{task.code} {task.title}：{reason}")
    return redirect(back)


@login_required
@require_POST
def instruction_create(request, pk):
    """A leader's 批示; the lead department is notified."""
    user = request.user
    task = get_task(user, pk, Action.INSTRUCT)
    form = InstructionForm(request.POST)
    if not form.is_valid():
        return render_detail(request, task.pk, {"instruction_form": form}, status=400)
    _, created = services.instruct(task, user=user, text=form.cleaned_data["text"])
    if created:
        messages.success(request, "批示已发送至牵头单位。")
    else:
        messages.info(request, "相同内容的批示刚刚已发送，未重复提交。")
    return redirect("task_detail", pk=task.pk)


@login_required
@require_POST
def instruction_answer(request, pk, instruction_id):
    user = request.user
    task = get_task(user, pk, Action.ANSWER)
    instruction = get_object_or_404(Instruction, pk=instruction_id, task=task)
    form = AnswerForm(request.POST)
    if form.is_valid():
        services.answer_instruction(instruction, user, form.cleaned_data["response"])
        messages.success(request, "落实情况已报送。")
        return redirect("task_detail", pk=task.pk)
    return render_detail(request, task.pk, {"answer_forms": {instruction.pk: form}}, status=400)


@login_required
@require_POST
def milestone_update(request, pk, milestone_id):
    user = request.user
    task = get_task(user, pk, Action.MILESTONE)
    milestone = get_object_or_404(Milestone, pk=milestone_id, task=task)
    form = MilestoneForm(request.POST, request.FILES, instance=milestone)
    if form.is_valid():
        services.complete_milestone(
            milestone,
            user=user,
            completed_on=form.cleaned_data["completed_on"],
            note=form.cleaned_data["note"],
            uploads=form.cleaned_data["files"],
        )
        messages.success(request, f"节点“{milestone.title}”已更新。")
        return redirect("task_detail", pk=task.pk)
    return render_detail(request, task.pk, {"milestone_errors": {milestone.pk: form}}, status=400)


@login_required
@require_POST
def partner_note(request, pk, month):
    """A partner department's own part of the month's progress."""
    user = request.user
    month = month_or_404(month)
    task = get_task(user, pk, Action.PARTNER)
    refused = reporting.refusal(task, month)
    if refused:
        messages.error(request, refused)
        return redirect("task_detail", pk=task.pk)
    form = PartnerNoteForm(request.POST)
    status = 400
    if form.is_valid():
        text = form.cleaned_data["text"]
        try:
            services.save_partner_note(task, user=user, month=month, text=text)
        except services.Conflict as conflict:
            form.add_error(None, str(conflict))
            status = 409
        else:
            messages.success(request, "配合工作情况已保存。")
            return redirect("task_detail", pk=task.pk)
    return render_detail(request, task.pk, {"partner_form": form}, status=status)
