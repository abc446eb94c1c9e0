"""Scoring criteria for 目标绩效考核: each app registers the criteria it can measure in its own
`scoring_criteria.py` (found at start-up, core/apps.py), the way reminder rules and dashboard
cards are registered. A year's scoring scheme (kept by the app that scores) picks criteria by
key and gives each a weight; the scorer calls a criterion once per closed month and stores its
values, so a ranking never moves after the month is closed.

A criterion's function takes the month scored (the first day of a closed month) and returns
{department_id: Measure}: the department's value for that month. Departments the criterion
has no data for are left out; the scheme decides how to score them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

CRITERIA = {}


@dataclass(frozen=True)
class Measure:
    """One department's figure for one month: `value` is a rate in [0, 1] when the criterion's
    kind is RATE, or a count when it is COUNT; `detail` says in words what was counted
    (e.g. "按时报送 5/6 个月"), shown beside the score."""

    value: Decimal | float | int
    detail: str = ""


RATE = "rate"  # a share: the scheme scores weight x value
COUNT = "count"  # a number of incidents: the scheme takes points off per unit


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    kind: str
    measure: Callable  # (month) -> {department_id: Measure}
    help: str = ""
    order: int = 100
    params: dict = field(default_factory=dict)

    def measure_month(self, month, params=None):
        """The criterion's {department_id: Measure} for `month`; a criterion declared with
        `params` gets its defaults overridden by the scheme's `params`."""
        if not self.params:
            return self.measure(month)
        given = params or {}
        return self.measure(month, **{k: given.get(k, v) for k, v in self.params.items()})


def register(key, *, label, kind=RATE, help="", order=100, params=None):
    """Decorator: add the criterion `key` ("app.name"), measured by the decorated function.
    `params` ({"days": 7}) names the rule's parameters and their defaults: a scheme may set
    them, and the function is then called as measure(month, days=...)."""
    if kind not in (RATE, COUNT):
        raise ValueError(f"未知的考核指标类型：{kind}")

    def decorate(measure):
        CRITERIA[key] = Criterion(key, label, kind, measure, help, order, dict(params or {}))
        return measure

    return decorate


def criteria():
    """Every registered criterion, in display order."""
    return sorted(CRITERIA.values(), key=lambda c: (c.order, c.key))


def choices():
    """(key, label) pairs for a scheme's form."""
    return [(c.key, c.label) for c in criteria()]
