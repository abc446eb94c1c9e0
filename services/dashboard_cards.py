"""The 政民互动增效 card on the monthly dashboard (core/cards.py finds this module)."""

from core import cards
from core.access import can

from . import hotline
from .access import Action


@cards.register(
    "services.hotline", title="12345 热线", template="services/cards/hotline.html", order=60
)
def hotline_card(user, month):
    """The month's four KPIs over every unit, and the three units least satisfied; hidden
    when the month has no work orders."""
    if not can(user, Action.HOTLINE):
        return None
    rows = hotline.unit_figures(month)
    if not rows:
        return None
    total = hotline.Figures(*(sum(getattr(r[3], n) for r in rows) for n in hotline.SUMS))
    rated = [row for row in rows if row[3].satisfaction is not None]
    rated.sort(key=lambda row: (row[3].satisfaction, row[1]))
    return {"month": month, "total": total, "lowest": rated[:3]}


@cards.register(
    "services.hotline_public",
    title="12345 热线办理情况",
    template="services/cards/hotline_public.html",
    order=60,
    public=True,
)
def hotline_public(user, month):
    """公开办理流程和结果: the month's four KPIs of each unit on /public/ — unit names and
    counts only, never anything about a caller."""
    rows = hotline.unit_figures(month)
    if not rows:
        return None
    total = hotline.Figures(*(sum(getattr(r[3], n) for r in rows) for n in hotline.SUMS))
    return {"month": month, "rows": rows, "total": total}
