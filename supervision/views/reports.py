"""Monthly reports: the form of one task, its review, and the department page of a month."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.access import can
from core.models import Attachment
from core.months import cn_month, month_or_404

from .. import reporting
from ..access import Action, get_task, require_department_reporter
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
        )
    except reporting.ReportInvalid as error:
        form.show(error)
        return 400
    except (reporting.ReportConflict, reporting.ReportLocked) as error:
        form.add_error(None, error.message)
        return 409
    return None


@login_required
def report_form(request, pk, month, return_form=None):
    """The monthly report of a task: draft, submit; read-only once submitted.
    `return_form` is the head's bound return form when it came back with errors."""
    user = request.user
    month = month_or_404(month)
    task = get_task(user, pk)
    can_edit = can(user, Action.REPORT, task)
    if not can_edit and not can(user, Action.REVIEW, task):
        raise PermissionDenied("只有牵头单位的承办人员可以填报本任务的月度进展。")
    refused = reporting.refusal(task, month)
    if refused:
        return _refused(request, month, refused, task)
    page = reporting.ReportPage.load(task, month)
    editable = can_edit and page.editable
    form_kwargs = {"indicators": page.indicators, "previous_percent": page.previous_percent}
    status = 400 if return_form is not None else 200
    if request.method == "POST" and return_form is None:
        if not editable:
            raise PermissionDenied(reporting.ReportLocked.message)
        form = ReportForm(request.POST, request.FILES, **form_kwargs)
        status = _save(request, page, form) if form.is_valid() else 400
        if status is None:
            done = f"{cn_month(month)}进展报告已提交，等待处室负责人审核。"
            messages.success(request, done if form.submitting() else "草稿已保存。")
            return redirect("report_form", pk=task.pk, month=f"{month:%Y-%m}")
    else:
        form = ReportForm(initial=page.initial(), **form_kwargs)
    context = {
        "task": task,
        "month": month,
        "report": page.report,
        "previous": page.previous,
        "form": form,
        "editable": editable,
        "can_review": can(user, Action.REVIEW, task)
        and page.report.status == ReportStatus.SUBMITTED,
        "return_form": return_form or ReturnForm(),
        "values": [(i, page.values.get(i.pk)) for i in page.indicators],
        "attachments": Attachment.objects.of(page.report) if page.report.pk else [],
        "can_delete_files": editable,
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
        "months": reporting.months_of_plan(month.year),
        "rows": rows,
        "any_editable": any(r["page"].editable for r in rows),
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
