"""Monthly reports: the form of one task, its review, and the department page of a month."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.access import can
from core.models import Attachment
from core.months import cn_month, month_or_404, parse_month

from .. import reporting
from ..access import (
    REASONS,
    Action,
    get_task,
    require_action,
    require_department_reporter,
)
from ..choices import ReportStatus
from ..forms import (
    ReportForm,
    ReturnForm,
)
from ..models import MonthlyReport, Plan, Task


def _refused(request, month, reason, task=None):
    context = {"task": task, "month": month, "reason": reason}
    return render(request, "supervision/report_refused.html", context, status=400)


def _save(request, page, form):
    """Save the valid `form` of `page` through the reporting service; the HTTP status of a
    refusal (its messages beside the fields), or None when saved."""
    try:
        reporting.save_report(
            page.report,
            user=request.user,
            data=form.report_data(),
            indicator_values=form.indicator_values(),
            version=form.cleaned_data["version"],
            submit=form.submitting(),
            uploads=form.cleaned_data.get("files") or (),
            previous=page.previous,
        )
    except reporting.ReportInvalid as error:
        form.show(error)
        return 400
    except (reporting.ReportConflict, reporting.ReportLocked) as error:
        form.add_error(None, error.message)
        return 409
    return None


def posted_ids(values):
    """The record ids among posted `values`: whole numbers a database key can hold."""
    return [int(v) for v in values if v.isdecimal() and len(v) <= 18]


SESSION_MONTH = "report_month"  # the month the user last chose to file, for the session


def remember_month(request, month):
    value = f"{month:%Y-%m}"
    if request.session.get(SESSION_MONTH) != value:  # a session unchanged is not written
        request.session[SESSION_MONTH] = value


def remembered_month(request, months):
    """The month the user chose earlier in the session, if it is one of `months`."""
    chosen = parse_month(request.session.get(SESSION_MONTH) or "")
    return chosen if chosen in months else None


@login_required
def report_form(request, pk, month, return_form=None):
    """The monthly report of a task: its department drafts and submits it, its head reviews
    it, and whoever may read the task reads it. `return_form` is the head's bound return
    form when it came back with errors."""
    user = request.user
    month = month_or_404(month)
    task = get_task(user, pk)
    can_edit = can(user, Action.REPORT, task)
    refused = reporting.refusal(task, month)
    if refused and (can_edit or reporting.is_future(month)):
        return _refused(request, month, refused, task)
    if can_edit:
        remember_month(request, month)
    page = reporting.ReportPage.load(task, month)
    editable = can_edit and page.editable
    form_kwargs = {"indicators": page.indicators, "previous_percent": page.previous_percent}
    status = 400 if return_form is not None else 200
    if request.method == "POST" and return_form is None:
        if not editable:
            raise PermissionDenied(
                REASONS[Action.REPORT] if not can_edit else reporting.ReportLocked.message
            )
        form = ReportForm(request.POST, request.FILES, **form_kwargs)
        status = _save(request, page, form) if form.is_valid() else 400
        if status is None:
            done = f"{cn_month(month)}进展报告已提交，等待处室负责人审核。"
            messages.success(request, done if form.submitting() else "草稿已保存。")
            return redirect("report_form", pk=task.pk, month=f"{month:%Y-%m}")
    else:
        form = ReportForm(initial=page.initial(), **form_kwargs)
    can_review = can(user, Action.REVIEW, task)
    context = {
        "task": task,
        "month": month,
        "report": page.report,
        "previous": page.previous,
        "form": form,
        "editable": editable,
        "can_edit": can_edit,
        # a form back with errors: the text posted (the user may have rewritten it)
        "is_copy": editable
        and (page.copies_previous(form.data.get("progress")) if form.is_bound else page.is_copy),
        "can_review": can_review and page.report.status == ReportStatus.SUBMITTED,
        "return_form": return_form or ReturnForm(),
        "values": [(i, page.indicator_values().get(i.pk)) for i in page.indicators],
        "attachments": Attachment.objects.of(page.report) if page.report.pk else [],
        "can_delete_files": editable,
        "next_task": reporting.next_open_task(page.report, user) if can_edit else None,
        "queue_count": reporting.review_queue(user).count() if can_review else 0,
    }
    return render(request, "supervision/report_form.html", context, status=status)


@login_required
@require_POST
def report_review(request, pk, month):
    """The head returns a submitted report with a reason, or approves it."""
    user = request.user
    month = month_or_404(month)
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
    except reporting.OwnReport as refused:
        messages.error(request, refused.message)
    return redirect("report_form", pk=task.pk, month=f"{month:%Y-%m}")


@login_required
def reviews(request):
    """/reviews/: every report waiting for the head (an admin: all), oldest first, each with
    its text, to approve (several at once) or return with a reason, on one page."""
    user = request.user
    require_action(user, Action.REVIEWS)
    queue = reporting.review_queue(user).select_related(
        "task__project__plan", "task__lead_department", "submitted_by"
    )
    errors, status = {}, 200
    if request.method == "POST" and request.POST.get("return"):
        errors = _return_from_queue(request, queue)
        if not errors:
            return redirect("reviews")
        status = 400
    elif request.method == "POST":
        _approve_from_queue(request, queue)
        return redirect("reviews")
    reasons = request.POST if errors else {}
    rows = [(r, reasons.get(f"reason_{r.pk}", ""), errors.get(r.pk)) for r in queue]
    context = {"rows": rows, "department": user.department}
    return render(request, "supervision/reviews.html", context, status=status)


def _return_from_queue(request, queue):
    """Return the report whose 退回 was pressed with the reason typed beside it; {report pk:
    message} when the reason is missing (the page shows it beside the field)."""
    report = get_object_or_404(queue, pk=next(iter(posted_ids([request.POST["return"]])), 0))
    form = ReturnForm({"reason": request.POST.get(f"reason_{report.pk}", "")})
    if not form.is_valid():
        return {report.pk: "退回时请填写退回原因。"}
    try:
        reporting.return_report(report, user=request.user, reason=form.cleaned_data["reason"])
    except reporting.ReportLocked:
        messages.error(request, f"{report}：只能退回已提交的报告。")
    else:
        messages.success(request, f"已退回{report}，承办人员将收到通知。")
    return {}


def _approve_from_queue(request, queue):
    """Approve the one report whose button was pressed, the ticked ones, or all shown."""
    ids = request.POST.getlist("report")
    if request.POST.get("approve"):
        ids = [request.POST["approve"]]
    if request.POST.get("all"):  # every report the page showed, none submitted since
        ids = request.POST.getlist("shown")
    chosen = list(queue.filter(pk__in=posted_ids(ids)))
    if not chosen:
        messages.error(request, "请先勾选要审核通过的报告。")
        return
    approved, refused = reporting.approve_reports(chosen, user=request.user)
    if approved:
        messages.success(request, f"已审核通过 {len(approved)} 份报告。")
    for report, reason in refused.items():
        messages.error(request, f"{report}：{reason}")


@login_required
def department_reports_latest(request):
    """本月月报: the department page of the month the user chose earlier in the session, else
    reporting.month_to_offer, in the latest plan the department leads tasks of."""
    plans = Plan.objects.order_by("-year")
    department_id = request.user.department_id
    if department_id:
        own = plans.filter(projects__tasks__lead_department_id=department_id)
        plans = own if own.exists() else plans
    plan = plans.first()
    months = reporting.months_of_plan(plan.year) if plan else []
    if not months:
        month = reporting.due_month()
    else:
        slots = reporting.department_slots(department_id, plan.year)
        month = remembered_month(request, months) or reporting.month_to_offer(slots)
    return redirect("department_reports", month=f"{month:%Y-%m}")


def department_pages(department_id, month):
    """The report pages of the tasks `department_id` leads in `month`'s plan (3 queries)."""
    earlier = MonthlyReport.objects.filter(month__lte=month).order_by("-month")
    tasks = (
        Task.objects.filter(lead_department_id=department_id, year=month.year)
        .select_related("project")
        .prefetch_related(Prefetch("reports", queryset=earlier))
        .order_by("path")
    )
    return [reporting.ReportPage.from_reports(t, month, list(t.reports.all())) for t in tasks]


def _save_all(request, rows, submit):
    """Save every editable row through the reporting service, all or nothing; the HTTP status
    of a refusal, or None when all were saved."""
    try:
        with transaction.atomic():
            for page, form in rows:
                reporting.save_report(
                    page.report,
                    user=request.user,
                    data=form.report_data(),
                    version=form.cleaned_data["version"],
                    submit=submit,
                    uploads=form.cleaned_data.get("files") or (),
                )
    except reporting.ReportInvalid as error:
        form.show(error)
        messages.error(request, "有报告填写不正确，所有报告均未保存，请按提示修改。")
        return 400
    except (reporting.ReportConflict, reporting.ReportLocked) as error:
        messages.error(request, f"未保存任何报告：{error.message}")
        return 409
    return None


@login_required
def department_reports(request, month):
    """All the department's reports of a month on one page, for staff with many tasks."""
    user = request.user
    month = month_or_404(month)
    require_department_reporter(user, "只有承办单位的人员可以批量填报。")
    if reporting.is_future(month):
        return _refused(request, month, "不能填报未来月份的进展。")
    remember_month(request, month)
    posted = request.POST if request.method == "POST" else None
    rows = []
    for page in department_pages(user.department_id, month):
        form = ReportForm(
            posted if page.editable else None,
            request.FILES if posted is not None and page.editable else None,
            initial=page.initial(),
            prefix=f"t{page.task.pk}",
            previous_percent=page.previous_percent,
        )
        rows.append(
            {
                "task": page.task,
                "report": page.report,
                "form": form,
                "page": page,
                "editable": page.editable,
            }
        )
    status = 200
    if posted is not None:
        status = _post_department(request, month, [r for r in rows if r["page"].editable])
        if status is None:
            return redirect("department_reports", month=f"{month:%Y-%m}")
    context = {
        "month": month,
        "slots": reporting.department_slots(user.department_id, month.year),
        "rows": rows,
        "any_editable": any(r["page"].editable for r in rows),
        "copies": sum(r["page"].is_copy for r in rows),
        "department": user.department,
    }
    return render(request, "supervision/department_reports.html", context, status=status)


def _post_department(request, month, editable):
    """Check and save the editable rows of the department page; None when all were saved."""
    if not all([row["form"].is_valid() for row in editable]):
        messages.error(request, "有报告填写不正确，所有报告均未保存，请按提示修改。")
        return 400
    submit = "submit" in request.POST
    status = _save_all(request, [(row["page"], row["form"]) for row in editable], submit)
    if status is None:
        verb = "提交" if submit else "保存"
        messages.success(request, f"已{verb} {len(editable)} 份{cn_month(month)}进展报告。")
    return status
