"""目标绩效考核: the department scores of a closed month and of the year so far, with their
breakdown, trend and ranking, and the ranking as .xlsx. The work is in `scores.py`."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.access import has_role, is_admin, require
from core.excel import Column, write_sheet
from core.months import cn_month, parse_month
from core.roles import Role

from .. import scores
from ..access import Action
from ..models import MonthClose
from .ledger import _xlsx_response


def _scored(request):
    """The month asked for (default: the last closed one), its scheme and score tables, the
    rows narrowed to the user's own department for a head."""
    user = request.user
    require(user, Action.SCORES)
    month = parse_month(request.GET.get("month", ""))
    if month is None:
        last = MonthClose.objects.filter(is_closed=True).order_by("-month").first()
        month = last.month if last else None
    scheme = scores.scheme_for(month.year if month else None)
    months = scores.closed_months(month.year, upto=month) if month else []
    table = scores.score_months(scheme, months)
    monthly = table.get(month, [])
    ytd = scores.year_to_date(table)
    trend = scores.trend(table)
    if not (is_admin(user) or has_role(user, Role.SUPERVISOR, Role.LEADER)):
        own = user.department_id

        def mine(rows):
            return [r for r in rows if r.department.pk == own]

        monthly, ytd = mine(monthly), mine(ytd)
        trend = [(d, totals) for d, totals in trend if d.pk == own]
    return {
        "month": month,
        "month_label": cn_month(month) if month else "",
        "scheme": scheme,
        "closed": month in months,
        "months": months,
        "monthly": monthly,
        "ytd": ytd,
        "trend": trend,
        "max_total": scores.max_total(scheme),
        "bad_month": bool(request.GET.get("month")) and parse_month(request.GET["month"]) is None,
    }


@login_required
@require_GET
def score_view(request):
    """/scores/?month=YYYY-MM"""
    context = _scored(request)
    return render(
        request, "supervision/scores.html", context, status=400 if context["bad_month"] else 200
    )


@login_required
@require_GET
def score_xlsx(request):
    """/scores.xlsx?month=YYYY-MM: the month's and the year-to-date ranking."""
    context = _scored(request)
    first = (context["monthly"] or context["ytd"] or [None])[0]
    labels = [item[0] for item in first.items] if first else []
    columns = [
        Column("范围", 10),
        Column("名次", 6, "number"),
        Column("单位", 24),
        Column("总分", 8, "number"),
        *[Column(label, 14, "number") for label in labels],
    ]

    def rows():
        for scope, table in (("本月", context["monthly"]), ("年度累计", context["ytd"])):
            for row in table:
                yield [
                    scope,
                    row.rank,
                    row.department.name,
                    row.total,
                    *[got for _, got, _, _ in row.items],
                ]

    title = f"{context['month_label']}目标绩效考核排名"
    name = f"scores-{context['month']:%Y-%m}.xlsx" if context["month"] else "scores.xlsx"
    return _xlsx_response(
        lambda out: write_sheet(
            out, title=title, sheet_title="考核排名", columns=columns, rows=rows()
        ),
        name,
    )
