"""The escalation ladder's pages (issue 12): /supervision/letters/ (督办函 and 催办通知书 with
their numbers, .docx and 签收) and /supervision/interviews/ (约谈 records, and for supervisors
and leaders the 通报批评 / 问责 records). Supervisors and leaders see all; a head its own
department's letters and 约谈."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.access import can, get_or_404, require

from .. import ladder
from ..access import Action, get_task
from ..choices import LadderAction
from ..models import LETTER_ACTIONS, RECORD_ACTIONS, LadderRecord
from ..procedure_forms import DecisionRecordForm, EscalateForm, InterviewForm
from ..services import Conflict

RELATED = ("task", "department", "addressee", "signed_by", "leader", "rule", "created_by")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _records(user, actions):
    return (
        LadderRecord.objects.visible_to(user)
        .filter(action__in=actions)
        .select_related(*RELATED)
        .order_by("-created_at", "-pk")
    )


@login_required
def letters(request):
    """督办函 / 催办通知书 issued, newest first."""
    user = request.user
    require(user, Action.LETTERS, message="只有督查人员、领导和处室负责人可以查看督办函。")
    context = {
        "records": _records(user, LETTER_ACTIONS)[:500],
        "can_escalate": can(user, Action.ESCALATE),
    }
    return render(request, "supervision/letters.html", context)


@login_required
def interviews(request):
    """约谈 records; for supervisors and leaders also 通报批评 / 问责."""
    user = request.user
    require(user, Action.LETTERS, message="只有督查人员、领导和处室负责人可以查看约谈记录。")
    context = {
        "records": _records(user, [LadderAction.INTERVIEW])[:500],
        "decisions": _records(user, RECORD_ACTIONS)[:500],
        "can_escalate": can(user, Action.ESCALATE),
    }
    return render(request, "supervision/interviews.html", context)


@login_required
@require_POST
def escalate(request, pk):
    """A supervisor issues a letter or opens a 约谈 / 通报批评 / 问责 on a task, by hand."""
    user = request.user
    task = get_task(user, pk, Action.ESCALATE, message="只有督查人员可以发督办函或安排约谈。")
    form = EscalateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("task_detail", pk=task.pk)
    try:
        record = ladder.escalate(
            task, action=form.cleaned_data["action"], reason=form.cleaned_data["reason"], user=user
        )
    except Conflict as conflict:
        messages.error(request, str(conflict))
        return redirect("task_detail", pk=task.pk)
    messages.success(request, f"已{record.get_action_display()}：{record}。")
    return redirect(record.get_absolute_url())


def _record(request, pk, actions):
    queryset = LadderRecord.objects.filter(action__in=actions).select_related(*RELATED)
    return get_or_404(request.user, queryset, Action.VIEW, "无权查看该记录。", pk=pk)


@login_required
def letter_detail(request, pk):
    """A letter, its .docx and its 签收 by the department head."""
    user = request.user
    record = _record(request, pk, LETTER_ACTIONS)
    if request.method == "POST":
        require(user, Action.SIGN_LETTER, record, "只有受文单位的负责人可以签收督办函。")
        try:
            ladder.sign_letter(record, user=user)
            messages.success(request, "已签收。")
        except Conflict as conflict:
            messages.error(request, str(conflict))
        return redirect("letter_detail", pk=record.pk)
    context = {
        "record": record,
        "can_sign": not record.signed_at and can(user, Action.SIGN_LETTER, record),
    }
    return render(request, "supervision/letter_detail.html", context)


@login_required
def letter_docx(request, pk):
    record = _record(request, pk, LETTER_ACTIONS)
    response = HttpResponse(ladder.letter_docx(record), content_type=DOCX)
    name = f"{record.doc_number}.docx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@login_required
def interview_detail(request, pk):
    """A 约谈 (or 通报批评 / 问责) record; supervisors fill it in."""
    user = request.user
    record = _record(request, pk, [LadderAction.INTERVIEW, *RECORD_ACTIONS])
    form_class = InterviewForm if record.action == LadderAction.INTERVIEW else DecisionRecordForm
    form, status = form_class(instance=record), 200
    if request.method == "POST":
        require(user, Action.ESCALATE, record, "只有督查人员可以填写约谈记录。")
        form = form_class(request.POST, instance=record)
        if form.is_valid():
            ladder.save_interview(record, data=form.cleaned_data)
            messages.success(request, "已保存。")
            return redirect("interview_detail", pk=record.pk)
        status = 400
    context = {"record": record, "form": form, "can_edit": can(user, Action.ESCALATE, record)}
    return render(request, "supervision/interview_detail.html", context, status=status)
