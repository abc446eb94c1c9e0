"""The writes of the 应急管理 module, one function each; the form pages and the imports call
the same one. Each saves through the model, so the history records it with the request's user."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import DrillProblem

FOLLOW_UP_DAYS = 30  # a problem's default deadline after the drill


def save_record(record):
    """A record with no rule of its own (预案, 信息报告): saved as it is."""
    record.save()
    return record


def default_deadline(drill):
    return (drill.held_on or drill.planned_on) + timedelta(days=FOLLOW_UP_DAYS)


@transaction.atomic
def save_drill(drill, problems=(), deadline=None):
    """Save the drill; each problem found (a line of text) becomes a follow-up item with a
    deadline, chased by the reminder engine. A problem already recorded is not added twice."""
    drill.save()
    known = set(drill.problems.values_list("description", flat=True))
    for text in problems:
        text = text.strip()[:300]
        if not text or text in known:
            continue
        known.add(text)
        DrillProblem.objects.create(
            drill=drill,
            description=text,
            department_id=drill.department_id,
            deadline=deadline or default_deadline(drill),
        )
    return drill


@transaction.atomic
def close_problem(problem, *, done_on, result):
    """The follow-up item is fixed: when, and how."""
    problem.done_on = done_on
    problem.result = result
    problem.save()
    return problem


@transaction.atomic
def save_supply(supply):
    """Save the stock; falling below the minimum marks the day (the reminder engine warns
    the managing department once per fall), restocking clears it."""
    if supply.is_low and supply.low_since is None:
        supply.low_since = timezone.localdate()
    elif not supply.is_low:
        supply.low_since = None
    supply.save()
    return supply
