"""The leaders' dashboard, month close, and the public page of 市办实事."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.http import http_date
from django.views.decorators.http import require_POST

from core import cards
from core.access import can
from core.months import cn_month, month_or_404, parse_month

from .. import dashboard
from ..access import Action, require_action
from ..forms import ReopenForm
from ..models import MonthClose, Plan
from .procedure import waiting_for


def _plan_and_month(request, plans):
    """The plan and month asked for by ?month=YYYY-MM, or the default; None, error if bad."""
    raw = request.GET.get("month")
    year = request.GET.get("year")
    if not raw and year:  # the year selector: that year's latest month with data
        plan = next((p for p in plans if str(p.year) == year), None)
        if plan is None:
            return None, None, f"没有 {year[:4]} 年的工作计划。"
        plan, month = dashboard.default_month([plan])
        return plan, month, None
    if not raw:
        plan, month = dashboard.default_month(plans)
        return plan, month, None
    month = parse_month(raw)
    if month is None:
        return None, None, "月份格式不正确，请按“年-月”填写，如 2012-06。"
    plan = next((p for p in plans if p.year == month.year), None)
    if plan is None:
        return None, month, f"没有 {month.year} 年的工作计划。"
    return plan, month, None


@login_required
def dashboard_view(request):
    """/dashboard/?month=YYYY-MM: the month at a glance, for leaders and supervisors."""
    user = request.user
    require_action(user, Action.DASHBOARD)
    plans = list(Plan.objects.order_by("-year"))
    plan, month, error = _plan_and_month(request, plans)
    if error or plan is None:
        return render(
            request,
            "supervision/dashboard.html",
            {"error": error or "尚未导入工作计划。", "plans": plans},
            status=400 if error else 200,
        )
    return _render(request, plans, plan, month, ReopenForm())


def _render(request, plans, plan, month, reopen_form, status=200):
    """The dashboard of `month`: its snapshot if closed, live figures otherwise."""
    closes = {c.month: c for c in MonthClose.objects.filter(plan=plan).select_related("closed_by")}
    closed = {m: c for m, c in closes.items() if c.is_closed}
    figures, snapshot = dashboard.figures_for(plan, month, closed)
    months = dashboard.plan_months(plan)
    # this year against last year, where the office has both plans (3 queries, cached)
    previous = next((p for p in plans if p.year == plan.year - 1), None)
    last_year = dashboard.cached_year_trend(previous, month.month) if previous else None
    return render(
        request,
        "supervision/dashboard.html",
        {
            "plan": plan,
            "plans": plans,
            "month": month,
            "months": [(m, m in closed) for m in months],
            "figures": figures,
            "snapshot": snapshot,
            "close_record": closes.get(month),
            "can_close": can(request.user, Action.CLOSE) and month in months,
            "reopen_form": reopen_form,
            "month_label": cn_month(month),
            "cards": cards.cards_for(request.user, month),
            "waiting": cards.counts(**waiting_for(request.user)),
            "previous": previous,
            "last_year": last_year,
            "compared": dashboard.compare_years(figures["trend"], last_year),
        },
        status=status,
    )


def _month_from_post(request):
    month = month_or_404(request.POST.get("month", ""))
    plan = get_object_or_404(Plan, year=month.year)
    return plan, month


@login_required
@require_POST
def month_close(request):
    """A supervisor closes a month: its figures are frozen from now on."""
    require_action(request.user, Action.CLOSE)
    plan, month = _month_from_post(request)
    if month not in dashboard.plan_months(plan):
        messages.error(request, "只能关账已经开始的月份。")
    else:
        try:
            dashboard.close_month(plan, month, request.user)
        except ValueError as error:
            messages.error(request, str(error))
        else:
            public = reverse("public_month", args=[f"{month:%Y-%m}"])
            done = '{}已关账，数据已冻结并向社会公开：<a href="{}">查看公开页面</a>。'
            messages.success(request, format_html(done, cn_month(month), public))
    return redirect(f"/dashboard/?month={month:%Y-%m}")


@login_required
@require_POST
def month_reopen(request):
    """Reopen a closed month; the reason is kept in the history."""
    require_action(request.user, Action.CLOSE)
    plan, month = _month_from_post(request)
    close = get_object_or_404(MonthClose, plan=plan, month=month)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        plans = list(Plan.objects.order_by("-year"))
        return _render(request, plans, plan, month, form, status=400)
    try:
        dashboard.reopen_month(close, request.user, form.cleaned_data["reason"])
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{cn_month(month)}已重开，看板恢复实时计算。")
    return redirect(f"/dashboard/?month={month:%Y-%m}")


def public_index(request):
    """/public/: the latest closed month's public progress."""
    latest = (
        MonthClose.objects.filter(is_closed=True)
        .select_related("plan")
        .order_by("-plan__year", "-month")
        .first()
    )
    return _public(request, latest, None)


def public_month(request, month):
    """/public/YYYY-MM/: the public progress of a closed month."""
    day = parse_month(month)
    if day is None:
        raise Http404("月份格式不正确")
    close = (
        MonthClose.objects.filter(is_closed=True, plan__year=day.year, month=day)
        .select_related("plan")
        .first()
    )
    if close is None:
        raise Http404("该月进展尚未发布")
    return _public(request, close, day)


def _public(request, close, month):
    months = list(
        MonthClose.objects.filter(is_closed=True)
        .select_related("plan")
        .order_by("-plan__year", "-month")
        .values_list("month", flat=True)[:36]
    )
    response = render(
        request,
        "supervision/public.html",
        {
            "close": close,
            # Live, not the snapshot: only approved reports, a returned one withdrawn at once.
            "items": dashboard.public_items(close.plan, close.month) if close else [],
            "listings": dashboard.public_listings(close.plan, close.month) if close else [],
            "month": close.month if close else month,
            "months": months,
            "cards": cards.public_cards(close.month if close else month) if close or month else [],
        },
    )
    # Anyone may cache it; a closed month only changes when it is reopened and closed again.
    patch_cache_control(response, public=True, max_age=300)
    if close:
        response["Last-Modified"] = http_date(close.closed_at.timestamp())
    response["Vary"] = "Accept-Encoding"
    return response
