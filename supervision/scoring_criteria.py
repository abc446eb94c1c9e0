"""The supervision app's 目标绩效考核 criteria (core/scoring.py), found at start-up like
reminder_rules.py. Each measures one closed month per lead department: the report and
progress figures come from the month's snapshot (MonthClose.data, by department), the others
from the records dated in that month. The scorer (supervision/scores.py) stores the values
when the month is closed, so later edits do not move them.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Q
from django.utils import timezone

from core import scoring
from core.months import month_end, next_month
from core.scoring import COUNT, RATE, Measure, register

from .choices import ClosureStatus, TaskStatus
from .dashboard import _end_of_day, task_figures
from .ladder import interviews_in
from .models import (
    LETTER_ACTIONS,
    Closure,
    Instruction,
    LadderRecord,
    Listing,
    Milestone,
    MonthClose,
)


def _snapshot(month):
    close = (
        MonthClose.objects.filter(plan__year=month.year, month=month, is_closed=True)
        .only("data")
        .first()
    )
    return close.data if close else None


def _share(hits, total):
    return Decimal(hits) / Decimal(total) if total else Decimal(1)


def _rates(pairs, text):
    """{department: Measure(hits / total)} from {department: [hits, total]}."""
    return {
        dept: Measure(_share(hits, total), text.format(hits=hits, total=total))
        for dept, (hits, total) in pairs.items()
        if dept is not None and total
    }


@register("supervision.reports_on_time", label="月报按时报送", kind=RATE, order=10)
def reports_on_time(month):
    """The month's reports due from the department, submitted by the deadline (snapshot)."""
    data = _snapshot(month)
    if not data:
        return {}
    pairs = {
        row["lead_department_id"]: [
            row["reports_in"] - row["reports_late"],
            row["reports_expected"],
        ]
        for row in data["by_department"]
    }
    return _rates(pairs, "按时报送 {hits}/{total} 项")


@register("supervision.progress", label="序时进度", kind=RATE, order=20)
def progress(month):
    """The department's average percent done against the average 序时进度 (snapshot), at
    most 1."""
    data = _snapshot(month)
    if not data:
        return {}
    found = {}
    for row in data["by_department"]:
        if row["lead_department_id"] is None or not row["tasks"]:
            continue
        done, expected = row["avg_percent"], row["avg_expected"]
        value = min(Decimal(1), Decimal(str(done)) / Decimal(str(expected))) if expected else 1
        found[row["lead_department_id"]] = Measure(
            Decimal(value), f"平均进度 {done}%，序时进度 {expected}%"
        )
    return found


@register(
    "supervision.overdue",
    label="逾期未完成任务",
    kind=COUNT,
    order=30,
    help="按月末逾期未完成的任务件数扣分。",
)
def overdue(month):
    """Tasks past their due date at the month's end and not done by then: the percent
    reported up to that month below 100, and not closed."""
    close = MonthClose.objects.filter(plan__year=month.year, month=month, is_closed=True)
    close = close.select_related("plan").first()
    if close is None:
        return {}
    tasks = (
        task_figures(close.plan, month, today=month_end(month))
        .filter(due_date__lt=month_end(month), pct__lt=100, lead_department__isnull=False)
        .exclude(status=TaskStatus.CLOSED)
    )
    counts = defaultdict(int)
    for dept in tasks.values_list("lead_department_id", flat=True):
        counts[dept] += 1
    return {dept: Measure(n, f"逾期未完成 {n} 项") for dept, n in counts.items()}


@register("supervision.milestones", label="节点按期完成", kind=RATE, order=40)
def milestones(month):
    """节点 due in the month, completed by their date."""
    pairs = defaultdict(lambda: [0, 0])
    rows = Milestone.objects.filter(
        due_date__gte=month, due_date__lte=month_end(month), task__project__plan__year=month.year
    ).values_list("task__lead_department_id", "completed_on", "due_date")
    for dept, completed_on, due in rows:
        pairs[dept][1] += 1
        pairs[dept][0] += bool(completed_on and completed_on <= due)
    return _rates(pairs, "按期完成节点 {hits}/{total} 个")


@register(
    "supervision.instructions",
    label="领导批示按时答复",
    kind=RATE,
    order=50,
    params={"days": 7},
    help="当月批示在规定天数内答复的比例；参数 days 为答复时限（天）。",
)
def instructions(month, days=7):
    """批示 written in the month on the department's tasks, answered within `days` days."""
    pairs = defaultdict(lambda: [0, 0])
    start = _end_of_day(month - timedelta(days=1))
    rows = Instruction.objects.filter(
        created_at__gt=start,
        created_at__lte=_end_of_day(month_end(month)),
        task__project__plan__year=month.year,
    ).values_list("task__lead_department_id", "created_at", "responded_at")
    limit = timedelta(days=int(days))
    for dept, created, responded in rows:
        pairs[dept][1] += 1
        pairs[dept][0] += bool(responded and responded - created <= limit)
    return _rates(pairs, f"{{total}} 件批示中 {{hits}} 件在 {days} 天内答复")


@register("supervision.listings", label="挂牌督办按期摘牌", kind=RATE, order=60)
def listings(month):
    """挂牌督办 whose deadline fell in the month, lifted by that deadline."""
    pairs = defaultdict(lambda: [0, 0])
    rows = (
        Listing.objects.filter(
            deadline__gte=month,
            deadline__lt=next_month(month),
            task__project__plan__year=month.year,
        )
        .annotate(dept=F("task__lead_department_id"))
        .values_list("dept", "deadline", "lifted_at")
    )
    for dept, deadline, lifted in rows:
        pairs[dept][1] += 1
        pairs[dept][0] += bool(lifted and lifted <= _end_of_day(deadline))
    return _rates(pairs, "到期挂牌事项按期摘牌 {hits}/{total} 项")


# --- the 督办 procedure (issue 12) ---------------------------------------------------------


@scoring.register(
    "supervision.closed_on_time",
    label="按期办结率",
    help="当月确认办结的事项中，在考核时限内办结的比例；延期未在原时限前批准的，按原时限计算。",
    order=40,
)
def closed_on_time(month):
    """{department id: Measure(share of the month's 办结 confirmed by the counted deadline)}."""
    closures = (
        Closure.objects.filter(
            status=ClosureStatus.CONFIRMED,
            decided_at__date__gte=month,
            decided_at__date__lte=month_end(month),
        )
        .exclude(Q(task__lead_department__isnull=True))
        .select_related("task")
        .only(
            "decided_at",
            "created_at",
            "task__lead_department_id",
            "task__due_date",
            "task__counted_due_date",
        )
    )
    done, on_time = {}, {}
    for closure in closures:
        task, pk = closure.task, closure.task.lead_department_id
        due = task.counted_due_date or task.due_date
        finished = timezone.localdate(closure.created_at)  # the department's application
        done[pk] = done.get(pk, 0) + 1
        on_time[pk] = on_time.get(pk, 0) + (due is None or finished <= due)
    return {
        pk: scoring.Measure(on_time[pk] / n, f"按期办结 {on_time[pk]}/{n} 项")
        for pk, n in done.items()
    }


@scoring.register(
    "supervision.interviews",
    label="被约谈次数",
    kind=scoring.COUNT,
    help="当月因督办事项被约谈的次数（督办升级，issue 12）。",
    order=60,
)
def interviews_count(month):
    """{department id: Measure(约谈 held in the month)} for 目标绩效考核."""
    counts = {}
    for record in interviews_in(month, month_end(month)):
        counts[record.department_id] = counts.get(record.department_id, 0) + 1
    return {pk: scoring.Measure(n, f"约谈 {n} 次") for pk, n in counts.items()}


@scoring.register(
    "supervision.letters",
    label="收到督办函次数",
    kind=scoring.COUNT,
    help="当月收到的督办函、催办通知书件数（督办升级，issue 12）。",
    order=61,
)
def letters_count(month):
    rows = LadderRecord.objects.filter(
        action__in=LETTER_ACTIONS,
        created_at__date__gte=month,
        created_at__date__lte=month_end(month),
    ).values_list("department_id", flat=True)
    counts = {}
    for pk in rows:
        counts[pk] = counts.get(pk, 0) + 1
    return {pk: scoring.Measure(n, f"督办函 {n} 件") for pk, n in counts.items()}
