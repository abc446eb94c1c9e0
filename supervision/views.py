"""The daily work: tasks, monthly reports and their review, 挂牌督办, 催办, 批示, history,
notifications. Small function views; every object comes through `access`."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import health, reporting
from .access import Action, can, get_task, require
from .choices import ReminderKind, ReportStatus, Role, TaskStatus
from .filters import filter_tasks, parse_month, task_rows
from .forms import (
    AnswerForm,
    InstructionForm,
    LiftForm,
    ListingForm,
    MilestoneForm,
    PartnerNoteForm,
    RemindForm,
    ReportForm,
    ReturnForm,
)
from .history import task_changes
from .lights import with_lights
from .models import (
    Instruction,
    Milestone,
    MonthlyReport,
    PartnerNote,
    Plan,
    Reminder,
    Task,
    Urging,
)
from .notify import notify

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
    tasks = filter_tasks(request.GET)
    page = Paginator(tasks.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/task_list.html",
        {"filter": tasks, "page": page, "query": query.urlencode()},
    )


@login_required
def task_detail(request, pk):
    return _detail(request, pk)


def _detail(request, pk, forms=None, status=200):
    """The task page; `forms` replaces the blank forms with bound ones showing errors."""
    user = request.user
    task = get_task(user, pk, queryset=task_rows())
    reports = list(
        task.reports.select_related("submitted_by", "reviewed_by")
        .prefetch_related("indicator_values__indicator")
        .order_by("-month")
    )
    months = reporting.months_of_plan(task)
    context = {
        "task": task,
        "measures": task.measures.all(),
        "milestones": task.milestones.all(),
        "indicators": task.indicators.all(),
        "reports": reports,
        "children": with_lights(task.children.select_related("lead_department")),
        "instructions": task.instructions.select_related("leader", "responded_by"),
        "listings": task.listings.select_related("listed_by", "lifted_by"),
        "urgings": task.urgings.select_related("sent_by"),
        "reminders": task.reminders.select_related("recipient").order_by("-created_at")[:50],
        "reminder_items": task.reminder_items.select_related("recipient").order_by("-pk")[:100],
        "partner_notes": task.partner_notes.select_related("department", "author"),
        "months": months[::-1],
        "report_month": months[-1] if months else None,
        "can_report": can(user, Action.REPORT, task),
        "can_partner": can(user, Action.PARTNER, task),
        "can_review": can(user, Action.REVIEW, task),
        "can_list": can(user, Action.LIST, task),
        "can_remind": can(user, Action.REMIND, task),
        "can_close": can(user, Action.CLOSE, task),
        "can_instruct": can(user, Action.INSTRUCT, task),
        "can_answer": can(user, Action.ANSWER, task),
        "can_milestone": can(user, Action.MILESTONE, task),
        "instruction_form": InstructionForm(),
        "remind_form": RemindForm(),
        "partner_form": PartnerNoteForm(),
        "answer_forms": {},
        "milestone_errors": {},
        "this_month": timezone.localdate().replace(day=1),
    }
    context.update(forms or {})
    return render(request, "supervision/task_detail.html", context, status=status)


def _month_or_404(value):
    month = parse_month(value)
    if month is None:
        raise Http404("月份格式不正确")
    return month


@login_required
def report_form(request, pk, month, return_form=None):
    """The monthly report of a task: draft, submit; read-only once submitted.
    `return_form` is the head's bound return form when it came back with errors."""
    user = request.user
    month = _month_or_404(month)
    task = get_task(user, pk)
    can_edit = can(user, Action.REPORT, task)
    if not can_edit and not can(user, Action.REVIEW, task):
        raise PermissionDenied("只有牵头单位的承办人员可以填报本任务的月度进展。")
    refused = reporting.refusal(task, month)
    if refused:
        return render(
            request,
            "supervision/report_refused.html",
            {"task": task, "month": month, "reason": refused},
            status=400,
        )
    report = reporting.report_for(task, month)
    previous = reporting.previous_report(task, month)
    indicators = list(task.indicators.all())
    values = {v.indicator_id: v.value for v in report.indicator_values.all()} if report.pk else {}
    editable = can_edit and report.status in reporting.EDITABLE
    initial = {f: getattr(report, f) for f in reporting.REPORT_FIELDS}
    initial["version"] = report.version
    for indicator in indicators:
        value = values.get(indicator.pk, indicator.actual)
        initial[f"indicator_{indicator.pk}"] = "" if value is None else value.normalize()
    form_kwargs = {
        "indicators": indicators,
        "previous_percent": previous.percent if previous else None,
    }
    status = 200
    if return_form is not None:
        form = ReportForm(initial=initial, **form_kwargs)
        status = 400
    elif request.method == "POST":
        if not editable:
            raise PermissionDenied(reporting.ReportLocked.message)
        form = ReportForm(request.POST, **form_kwargs)
        if form.is_valid() and form.check_submission():
            try:
                report = reporting.save_report(
                    report,
                    user=user,
                    data={f: form.cleaned_data[f] for f in reporting.REPORT_FIELDS},
                    indicator_values=form.indicator_values(),
                    version=form.cleaned_data["version"],
                    submit=form.submitting(),
                )
            except (reporting.ReportConflict, reporting.ReportLocked) as error:
                form.add_error(None, error.message)
                status = 409
            else:
                if form.submitting():
                    messages.success(
                        request,
                        f"{reporting.cn_month(month)}进展报告已提交，等待处室负责人审核。",
                    )
                else:
                    messages.success(request, "草稿已保存。")
                return redirect("report_form", pk=task.pk, month=f"{month:%Y-%m}")
        else:
            status = 400
    else:
        form = ReportForm(initial=initial, **form_kwargs)
    return render(
        request,
        "supervision/report_form.html",
        {
            "task": task,
            "month": month,
            "report": report,
            "previous": previous,
            "form": form,
            "editable": editable,
            "can_review": can(user, Action.REVIEW, task)
            and report.status == ReportStatus.SUBMITTED,
            "return_form": return_form or ReturnForm(),
            "values": [(i, values.get(i.pk)) for i in indicators],
        },
        status=status,
    )


@login_required
@require_POST
def report_review(request, pk, month):
    """The head returns a submitted report with a reason, or approves it."""
    user = request.user
    month = _month_or_404(month)
    task = get_task(user, pk, Action.REVIEW)
    report = get_object_or_404(MonthlyReport, task=task, month=month)
    try:
        if request.POST.get("action") == "approve":
            reporting.approve_report(report, user=user)
            messages.success(request, "报告已审核通过。")
        else:
            form = ReturnForm(request.POST)
            if not form.is_valid():
                return report_form(request, pk, f"{month:%Y-%m}", return_form=form)
            reporting.return_report(report, user=user, reason=form.cleaned_data["reason"])
            messages.success(request, "报告已退回，承办人员将收到通知。")
    except reporting.ReportLocked:
        messages.error(request, "只能审核已提交的报告。")
    return redirect("report_form", pk=task.pk, month=f"{month:%Y-%m}")


@login_required
def department_reports_latest(request):
    """The department page of the latest month one can report on (this month, or December
    of the latest plan when that plan's year is over)."""
    plans = Plan.objects.order_by("-year")
    if request.user.department_id:
        own = plans.filter(projects__tasks__lead_department_id=request.user.department_id)
        plans = own if own.exists() else plans
    plan = plans.first()
    months = reporting.months_of_plan(plan.year) if plan else []
    month = months[-1] if months else timezone.localdate().replace(day=1)
    return redirect("department_reports", month=f"{month:%Y-%m}")


@login_required
def department_reports(request, month):
    """All the department's reports of a month on one page, for staff with many tasks."""
    user = request.user
    month = _month_or_404(month)
    if not (user.department_id and user.has_role(Role.STAFF, Role.HEAD, Role.ADMIN)):
        raise PermissionDenied("只有承办单位的人员可以批量填报。")
    if reporting.is_future(month):
        return render(
            request,
            "supervision/report_refused.html",
            {"month": month, "reason": "不能填报未来月份的进展。"},
            status=400,
        )
    tasks = list(
        Task.objects.filter(lead_department_id=user.department_id, project__plan__year=month.year)
        .select_related("project")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=MonthlyReport.objects.filter(month__lte=month).order_by("-month"),
            )
        )
        .order_by("path")
    )
    rows = []
    for task in tasks:
        stored = [r for r in task.reports.all() if r.month == month]
        earlier = [
            r for r in task.reports.all() if r.month < month and r.status != ReportStatus.DRAFT
        ]
        report = (
            stored[0]
            if stored
            else reporting.new_report(task, month, earlier[0] if earlier else None)
        )
        previous = earlier[0] if earlier else None
        editable = report.status in reporting.EDITABLE
        prefix = f"t{task.pk}"
        initial = {f: getattr(report, f) for f in reporting.REPORT_FIELDS}
        initial["version"] = report.version
        data = request.POST if request.method == "POST" and editable else None
        form = ReportForm(
            data,
            initial=initial,
            prefix=prefix,
            previous_percent=previous.percent if previous else None,
        )
        rows.append({"task": task, "report": report, "form": form, "editable": editable})
    status = 200
    if request.method == "POST":
        submit = "submit" in request.POST
        editable_rows = [r for r in rows if r["editable"]]
        valid = all(r["form"].is_valid() for r in editable_rows)
        if valid and submit:
            for row in editable_rows:
                if not (row["form"].cleaned_data.get("progress") or "").strip():
                    row["form"].add_error("progress", "提交前请填写本月进展。")
                    valid = False
        if valid:
            try:
                with transaction.atomic():
                    for row in editable_rows:
                        form = row["form"]
                        reporting.save_report(
                            row["report"],
                            user=user,
                            data={f: form.cleaned_data[f] for f in reporting.REPORT_FIELDS},
                            version=form.cleaned_data["version"],
                            submit=submit,
                        )
            except (reporting.ReportConflict, reporting.ReportLocked) as error:
                messages.error(request, f"未保存任何报告：{error.message}")
                status = 409
            else:
                verb = "提交" if submit else "保存"
                messages.success(
                    request,
                    f"已{verb} {len(editable_rows)} 份{reporting.cn_month(month)}进展报告。",
                )
                return redirect("department_reports", month=f"{month:%Y-%m}")
        else:
            status = 400
            messages.error(request, "有报告填写不正确，所有报告均未保存，请按提示修改。")
    return render(
        request,
        "supervision/department_reports.html",
        {
            "month": month,
            "months": reporting.months_of_plan(month.year),
            "rows": rows,
            "any_editable": any(r["editable"] for r in rows),
            "department": user.department,
        },
        status=status,
    )


@login_required
def task_history(request, pk):
    task = get_task(request.user, pk)
    return render(
        request,
        "supervision/task_history.html",
        {"task": task, "changes": task_changes(task)},
    )


@login_required
def task_listing(request, pk):
    """挂牌督办: list a task, change its listing, or lift it."""
    user = request.user
    task = get_task(user, pk, Action.LIST)
    active = task.listings.filter(lifted_at=None).first()
    form = ListingForm(instance=active)
    lift_form = LiftForm()
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "lift" and active:
            lift_form = LiftForm(request.POST)
            if lift_form.is_valid():
                active.lifted_at = timezone.now()
                active.lifted_by = user
                active.lift_reason = lift_form.cleaned_data["lift_reason"]
                active.save()
                messages.success(request, "已摘牌。")
                return redirect("task_detail", pk=task.pk)
            status = 400
        else:
            form = ListingForm(request.POST, instance=active)
            if form.is_valid():
                listing = form.save(commit=False)
                if listing.pk is None:
                    listing.task = task
                    listing.listed_by = user
                    listing.listed_at = timezone.now()
                listing.save()
                messages.success(request, "挂牌督办信息已保存。" if active else "已挂牌督办。")
                return redirect("task_detail", pk=task.pk)
            status = 400
    return render(
        request,
        "supervision/task_listing.html",
        {
            "task": task,
            "active": active,
            "form": form,
            "lift_form": lift_form,
            "past": task.listings.exclude(lifted_at=None).select_related("listed_by", "lifted_by"),
        },
        status=status,
    )


@login_required
@require_POST
def task_remind(request, pk):
    """催办 now: an in-app notice and an email to the lead department's staff and head."""
    user = request.user
    task = get_task(user, pk, Action.REMIND)
    form = RemindForm(request.POST)
    if not form.is_valid():
        return _detail(request, task.pk, {"remind_form": form}, status=400)
    recipients = reporting.department_staff(task.lead_department)
    if not recipients:
        messages.error(request, "该任务尚未确定牵头单位或牵头单位没有承办人员，无法催办。")
        return redirect("task_detail", pk=task.pk)
    message = form.cleaned_data["message"].strip() or (
        f"请抓紧推进“{task.title}”，完成时限 {task.due_date or '未定'}，"
        f"当前进度 {task.percent}%，并及时报送进展。"
    )
    with transaction.atomic():
        urging = Urging.objects.create(
            task=task, sent_by=user, message=message, recipient_count=len(recipients)
        )
        notify(
            recipients,
            kind=ReminderKind.MANUAL,
            subject=f"催办：{task.code} {task.title}",
            body=f"{user}（督查处）催办：{message}",
            key=f"manual:{urging.pk}",
            task=task,
        )
    messages.success(request, f"已向 {len(recipients)} 人发出催办。")
    return redirect("task_detail", pk=task.pk)


@login_required
@require_POST
def task_close(request, pk):
    """督查人员 confirm 办结 (or reopen) a task."""
    user = request.user
    task = get_task(user, pk, Action.CLOSE)
    if request.POST.get("action") == "reopen" and task.status == TaskStatus.CLOSED:
        task.status = TaskStatus.COMPLETED if task.percent == 100 else TaskStatus.IN_PROGRESS
        messages.success(request, "已撤销办结。")
    elif task.status != TaskStatus.CLOSED:
        task.status = TaskStatus.CLOSED
        messages.success(request, "已确认办结。")
    task.save()
    return redirect("task_detail", pk=task.pk)


@login_required
@require_POST
def instruction_create(request, pk):
    """A leader's 批示; the lead department is notified."""
    user = request.user
    task = get_task(user, pk, Action.INSTRUCT)
    form = InstructionForm(request.POST)
    if not form.is_valid():
        return _detail(request, task.pk, {"instruction_form": form}, status=400)
    with transaction.atomic():
        instruction = form.save(commit=False)
        instruction.task = task
        instruction.leader = user
        instruction.save()
        notify(
            reporting.department_staff(task.lead_department),
            kind=ReminderKind.INSTRUCTION,
            subject=f"领导批示：{task.code} {task.title}",
            body=f"{user}批示：{instruction.text}",
            key=f"instruction:{instruction.pk}",
            task=task,
        )
    messages.success(request, "批示已发送至牵头单位。")
    return redirect("task_detail", pk=task.pk)


@login_required
@require_POST
def instruction_answer(request, pk, instruction_id):
    user = request.user
    task = get_task(user, pk, Action.ANSWER)
    instruction = get_object_or_404(Instruction, pk=instruction_id, task=task)
    form = AnswerForm(request.POST)
    if form.is_valid():
        instruction.response = form.cleaned_data["response"]
        instruction.responded_by = user
        instruction.responded_at = timezone.now()
        instruction.save()
        messages.success(request, "落实情况已报送。")
        return redirect("task_detail", pk=task.pk)
    return _detail(request, task.pk, {"answer_forms": {instruction.pk: form}}, status=400)


@login_required
@require_POST
def milestone_update(request, pk, milestone_id):
    user = request.user
    task = get_task(user, pk, Action.MILESTONE)
    milestone = get_object_or_404(Milestone, pk=milestone_id, task=task)
    form = MilestoneForm(request.POST, instance=milestone)
    if form.is_valid():
        form.save()
        messages.success(request, f"节点“{milestone.title}”已更新。")
        return redirect("task_detail", pk=task.pk)
    return _detail(request, task.pk, {"milestone_errors": {milestone.pk: form}}, status=400)


@login_required
@require_POST
def partner_note(request, pk, month):
    """A partner department's own part of the month's progress."""
    user = request.user
    month = _month_or_404(month)
    task = get_task(user, pk, Action.PARTNER)
    refused = reporting.refusal(task, month)
    if refused:
        messages.error(request, refused)
        return redirect("task_detail", pk=task.pk)
    note = PartnerNote.objects.filter(task=task, department=user.department, month=month).first()
    form = PartnerNoteForm(request.POST, instance=note)
    if form.is_valid():
        note = form.save(commit=False)
        note.task, note.department, note.month, note.author = task, user.department, month, user
        note.save()
        messages.success(request, "配合工作情况已保存。")
        return redirect("task_detail", pk=task.pk)
    return _detail(request, task.pk, {"partner_form": form}, status=400)


@login_required
def notifications(request):
    user = request.user
    if request.method == "POST":
        Reminder.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())
        messages.success(request, "已全部标为已读。")
        return redirect("notifications")
    rows = Reminder.objects.filter(recipient=user, channel="in_app").select_related(
        "task", "recipient"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/notifications.html", {"page": page})


@login_required
def notification_open(request, reminder_id):
    """Open a notice: marks it read and goes to its task."""
    reminder = get_object_or_404(Reminder, pk=reminder_id, recipient=request.user)
    if reminder.read_at is None:
        Reminder.objects.filter(pk=reminder.pk).update(read_at=timezone.now())
    if reminder.task_id:
        return redirect("task_detail", pk=reminder.task_id)
    return redirect("notifications")


@never_cache
def healthz(request):
    """Liveness for operators: database and broker reachable, last scheduler run."""
    report = health.check()
    return JsonResponse(report, status=200 if report["ok"] else 503)


class LogoutView(auth_views.LogoutView):
    """Sign out by POST (the header button); a GET shows a confirmation instead of a 405."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logged_out_confirm.html")


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)
