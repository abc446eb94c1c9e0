"""The 政民互动增效 cards (core/cards.py finds this module): one on the monthly dashboard, and
one on the public page (/public/) with each unit's 12345 figures."""

from datetime import timedelta

from core import cards
from core.access import can
from core.months import month_end

from . import hotline
from .access import Action
from .models import Inquiry, Proposal
from .task_records import WAITING, inquiry_late, proposal_late


@cards.register(
    "services.hotline", title="政民互动增效", template="services/cards/hotline.html", order=60
)
def services_card(user, month):
    """The month's four 12345 KPIs over every unit and the three units least satisfied; the
    建议提案 and 网络问政 received by the month's end and not answered yet, and how many of
    them were past their deadline at its end. Two queries; hidden when there is nothing."""
    if not can(user, Action.HOTLINE):
        return None
    rows = hotline.unit_figures(month)
    end = month_end(month)
    day_after = end + timedelta(days=1)
    open_now = cards.counts(
        proposals=Proposal.objects.filter(received_on__lte=end, status__in=WAITING),
        proposals_late=Proposal.objects.filter(received_on__lte=end).filter(
            proposal_late(day_after)
        ),
        inquiries=Inquiry.objects.filter(asked_at__date__lte=end, answered_at__isnull=True),
        inquiries_late=Inquiry.objects.filter(asked_at__date__lte=end).filter(
            inquiry_late(day_after)
        ),
    )
    if not rows and not any(open_now.values()):
        return None
    total = hotline.Figures.total(rows)
    rated = [row for row in rows if row[3].satisfaction is not None]
    rated.sort(key=lambda row: (row[3].satisfaction, row[1]))
    return {"month": month, "total": total, "lowest": rated[:3], **open_now}


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
    total = hotline.Figures.total(rows)
    return {"month": month, "rows": rows, "total": total}
