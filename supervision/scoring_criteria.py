"""The supervision app's 目标绩效考核 criteria (core/scoring.py finds this module): those of the
督办 procedure (issue 12) — 按期办结 against the deadline that counts after an extension,
and the 约谈 and 督办函 a department received."""

from django.db.models import Q
from django.utils import timezone

from core import scoring
from core.months import month_end

from .choices import ClosureStatus
from .ladder import interviews_in
from .models import LETTER_ACTIONS, Closure, LadderRecord


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
