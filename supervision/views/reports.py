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
from core.months import cn_month, month_or_404
from core.roles import Role

from .. import reporting
from ..access import Action, get_task
from ..choices import ReportStatus
from ..forms import (
    ReportForm,
    ReturnForm,
)
from ..models import MonthlyReport, Plan, Task


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
                        f"{cn_month(month)}进展报告已提交，等待处室负责人审核。",
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
    month = month_or_404(month)
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
                    f"已{verb} {len(editable_rows)} 份{cn_month(month)}进展报告。",
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
