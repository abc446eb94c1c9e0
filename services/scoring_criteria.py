"""The 12345 hotline's 目标绩效考核 criteria (core/scoring.py finds this module): the four KPIs
of each department's hotline units for the month scored, from the monthly roll-ups. The
scheme decides weights and rules; no scoring here."""

from core import scoring
from core.months import month_end

from . import hotline, proposals
from .models import Proposal


def _measures(month, value, detail):
    """{department id: Measure(value(figures), detail(figures))} over the departments whose
    units have work orders in `month` and a value (a rate needs a denominator)."""
    measures = {}
    for department, figures in hotline.department_figures(month).items():
        figure = value(figures)
        if figure is not None:
            measures[department] = scoring.Measure(figure, detail(figures))
    return measures


@scoring.register("services.hotline_received", label="12345 接话量", kind=scoring.COUNT, order=60)
def received(month):
    return _measures(month, lambda f: f.received, lambda f: f"接话 {f.received} 件")


@scoring.register("services.hotline_reply_rate", label="12345 回复率", order=61)
def reply_rate(month):
    return _measures(month, lambda f: f.reply_rate, lambda f: f"回复 {f.replied}/{f.received} 件")


@scoring.register("services.hotline_implement_rate", label="12345 落实率", order=62)
def implement_rate(month):
    return _measures(
        month, lambda f: f.implement_rate, lambda f: f"落实 {f.implemented}/{f.received} 件"
    )


@scoring.register("services.hotline_satisfaction", label="12345 满意度", order=63)
def satisfaction(month):
    return _measures(
        month,
        lambda f: f.satisfaction,
        lambda f: f"满意及基本满意 {f.satisfied + f.fair}/{f.surveyed} 件",
    )


def _proposal_measures(month, value, detail):
    """{lead department id: Measure} over the year's proposals as of the end of `month`."""
    end = month_end(month)
    year = Proposal.objects.filter(received_on__year=month.year, received_on__lte=end)
    measures = {}
    for department, figures in proposals.figures_by_unit(year, end).items():
        figure = value(figures)
        if figure is not None:
            measures[department] = scoring.Measure(figure, detail(figures))
    return measures


@scoring.register("services.proposal_implement_rate", label="建议提案落实率", order=64)
def proposal_implement_rate(month):
    return _proposal_measures(
        month, lambda f: f.implement_rate, lambda f: f"已落实 {f.implemented}/{f.closed} 件"
    )


@scoring.register("services.proposal_satisfaction", label="建议提案满意度", order=65)
def proposal_satisfaction(month):
    return _proposal_measures(
        month, lambda f: f.satisfaction, lambda f: f"满意及基本满意 {f.satisfied}/{f.judged} 件"
    )
