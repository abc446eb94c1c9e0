"""Dashboard cards: each app registers the cards it adds to the monthly dashboard in its own
`dashboard_cards.py` (found at start-up, core/apps.py); the dashboard shows every registered
card, in order, for the month it shows. A card's context function returns None to stay hidden.

A card registered with `public=True` is for the public page (/public/), which anyone may open
without signing in: its context function is called with no user, and must show only what may
be published (按月公开).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import CharField, Count, Value

CARDS = {}


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    template: str
    context: Callable  # (user, month) -> dict, or None to hide the card
    order: int = 100
    public: bool = False


def register(name, *, title, template, order=100, public=False):
    """Decorator: add the card `name`, whose context is the decorated function."""

    def decorate(context):
        CARDS[name] = Card(name, title, template, context, order, public)
        return context

    return decorate


def _shown(cards, user, month):
    shown = []
    for card in sorted(cards, key=lambda c: (c.order, c.name)):
        context = card.context(user, month)
        if context is not None:
            shown.append((card, context))
    return shown


def cards_for(user, month):
    """[(card, context)] of the dashboard cards `user` sees for `month`, in order."""
    return _shown([c for c in CARDS.values() if not c.public], user, month)


def public_cards(month):
    """[(card, context)] of the public page's cards for `month`, in order."""
    return _shown([c for c in CARDS.values() if c.public], None, month)


def counts(**querysets):
    """{name: number of rows} of each queryset, in one query (a UNION ALL of counts), so a
    card with several figures costs one query."""
    parts = [
        queryset.order_by()
        .annotate(_name=Value(name, output_field=CharField()))
        .values("_name")
        .annotate(_n=Count("pk"))
        .values_list("_name", "_n")
        for name, queryset in querysets.items()
    ]
    found = dict.fromkeys(querysets, 0)
    if parts:
        found.update(parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0])
    return found
