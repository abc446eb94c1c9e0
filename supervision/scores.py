"""目标绩效考核: the scorer. A year's scheme (ScoringScheme) picks criteria from the registry
(core/scoring.py) with weights and rule parameters. Each criterion is measured once per
closed month and the values are stored (ScoreMeasure) when the month is closed, so that last
month's ranking does not move when someone edits data today; a criterion added to the scheme
later is measured the first time the month is scored. Points are worked out from the stored
values with the scheme's weights:

- a share (RATE): weight × share;
- a count (COUNT): weight − per_unit × count, not below 0;
- a department the criterion has nothing on: the full weight (不涉及不扣分).

The total is the sum; the year-to-date score is the average of the closed months' totals.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from core import scoring
from core.models import Department

from .models import MonthClose, ScoreMeasure, ScoringScheme

MARKER = None  # a ScoreMeasure without department: the criterion was measured that month
TWO = Decimal("0.01")


@dataclass
class Row:
    """One department's score: total, rank and, per scheme criterion, (label, points, weight,
    detail)."""

    department: Department
    total: Decimal = Decimal(0)
    rank: int = 0
    items: list = field(default_factory=list)
    months: int = 0


def scheme_for(year):
    return (
        ScoringScheme.objects.filter(year=year).prefetch_related("items").first() if year else None
    )


def closed_months(year, upto=None):
    months = MonthClose.objects.filter(plan__year=year, is_closed=True)
    if upto:
        months = months.filter(month__lte=upto)
    return sorted(months.values_list("month", flat=True))


@transaction.atomic
def measure(month, keys=None, params=None):
    """Measure the criteria `keys` (default: every registered one) for `month` and store the
    values, replacing what was stored for them before."""
    params = params or {}
    registered = {c.key: c for c in scoring.criteria()}
    keys = [k for k in (keys if keys is not None else registered) if k in registered]
    ScoreMeasure.objects.filter(month=month, key__in=keys).delete()
    rows = []
    for key in keys:
        found = registered[key].measure_month(month, params.get(key))
        rows.append(ScoreMeasure(month=month, key=key, department=MARKER, value=len(found)))
        rows += [
            ScoreMeasure(
                month=month,
                key=key,
                department_id=dept,
                value=Decimal(str(m.value)).quantize(Decimal("0.0001")),
                detail=m.detail[:200],
            )
            for dept, m in found.items()
        ]
    ScoreMeasure.objects.bulk_create(rows)


def _params(scheme):
    return {item.key: item.params for item in scheme.items.all()} if scheme else {}


def measure_closed(close):
    """Called when a month is closed (supervision/signals.py): every registered criterion,
    with the parameters of the year's scheme if there is one."""
    measure(close.month, params=_params(scheme_for(close.plan.year)))


def _ensure_measured(scheme, months):
    """Measure the scheme's criteria on the closed months that have not been measured yet
    (one query when every one has)."""
    keys = {item.key for item in scheme.items.all()}
    done = set(
        ScoreMeasure.objects.filter(month__in=months, department=MARKER, key__in=keys).values_list(
            "month", "key"
        )
    )
    for month in months:
        missing = [k for k in keys if (month, k) not in done]
        if missing:
            measure(month, missing, _params(scheme))


def points(item, criterion, value):
    """The points of one scheme criterion for a measured value (None: nothing measured)."""
    if value is None or criterion is None:
        return item.weight
    if criterion.kind == scoring.RATE:
        return (item.weight * min(max(value, Decimal(0)), Decimal(1))).quantize(TWO)
    return max(Decimal(0), item.weight - item.per_unit * value).quantize(TWO)


def _rank(rows):
    rows.sort(key=lambda r: (-r.total, r.department.sort_order, r.department.name))
    for i, row in enumerate(rows):
        same = i and rows[i - 1].total == row.total
        row.rank = rows[i - 1].rank if same else i + 1
    return rows


def score_months(scheme, months):
    """{month: [Row, …] ranked} for the closed `months`, from the stored values."""
    if not scheme or not months:
        return {}
    _ensure_measured(scheme, months)
    items = list(scheme.items.all())
    registered = {c.key: c for c in scoring.criteria()}
    stored = defaultdict(dict)  # (month, dept) -> {key: ScoreMeasure}
    departments = {}
    for m in ScoreMeasure.objects.filter(
        month__in=months, key__in=[i.key for i in items], department__isnull=False
    ).select_related("department"):
        stored[m.month, m.department_id][m.key] = m
        departments[m.department_id] = m.department
    table = {}
    for month in months:
        rows = []
        for dept_id, dept in departments.items():
            values = stored.get((month, dept_id))
            if not values:
                continue
            row = Row(dept, months=1)
            for item in items:
                measured = values.get(item.key)
                criterion = registered.get(item.key)
                got = points(item, criterion, measured.value if measured else None)
                label = criterion.label if criterion else item.key
                detail = measured.detail if measured else "不涉及"
                row.items.append((label, got, item.weight, detail))
                row.total += got
            rows.append(row)
        table[month] = _rank(rows)
    return table


def year_to_date(table):
    """Each department's average over the months of `table`, per criterion and in total."""
    sums = {}
    for rows in table.values():
        for row in rows:
            acc = sums.get(row.department.pk)
            if acc is None:
                acc = sums[row.department.pk] = Row(
                    row.department,
                    items=[[label, Decimal(0), w, ""] for label, _, w, _ in row.items],
                )
            acc.months += 1
            acc.total += row.total
            for slot, (_, got, _, _) in zip(acc.items, row.items, strict=True):
                slot[1] += got
    rows = []
    for acc in sums.values():
        n = Decimal(acc.months)
        acc.total = (acc.total / n).quantize(TWO)
        acc.items = [(label, (got / n).quantize(TWO), w, "") for label, got, w, _ in acc.items]
        rows.append(acc)
    return _rank(rows)


def trend(table):
    """[(department, [total or None per month])] in the order of the last month's ranking."""
    months = list(table)
    by_dept = defaultdict(dict)
    order = []
    for month in months:
        for row in table[month]:
            by_dept[row.department][month] = row.total
    if months:
        order = [row.department for row in table[months[-1]]]
    order += [d for d in by_dept if d not in order]
    return [(d, [by_dept[d].get(m) for m in months]) for d in order]


def ranking_data(scheme, month):
    """The month's ranking as JSON-able rows, for the 督查通报 (stored with it)."""
    rows = score_months(scheme, [month]).get(month, [])
    return [
        {
            "rank": row.rank,
            "department": row.department.name,
            "total": str(row.total),
            "items": [[label, str(got)] for label, got, _, _ in row.items],
        }
        for row in rows
    ]


def max_total(scheme):
    return sum((item.weight for item in scheme.items.all()), Decimal(0)) if scheme else 0


DEMO_CRITERIA = [
    ("supervision.reports_on_time", 25, 0, {}),
    ("supervision.progress", 30, 0, {}),
    ("supervision.overdue", 15, 5, {}),
    ("supervision.milestones", 10, 0, {}),
    ("supervision.instructions", 10, 0, {"days": 7}),
    ("supervision.listings", 10, 0, {}),
]


def default_scheme(year):
    """The scheme `load_demo` sets up (100 points), unless the year has one."""
    scheme, created = ScoringScheme.objects.get_or_create(
        year=year, defaults={"title": "部门目标绩效考核方案", "in_bulletin": True}
    )
    if created:
        for order, (key, weight, per_unit, params) in enumerate(DEMO_CRITERIA):
            scheme.items.create(
                key=key, weight=weight, per_unit=per_unit, params=params, order=order
            )
    return scheme
