from django import template
from django.utils.html import format_html

from core.access import can as can_do
from supervision.access import Action
from supervision.choices import Light, ListingLevel
from supervision.lights import LIGHT_CSS
from supervision.reporting import review_queue

register = template.Library()


@register.simple_tag
def light_badge(value):
    """The 红黄绿灯 badge of a light value."""
    if not value:
        return ""
    light = Light(value)
    text_class = " text-dark" if light == Light.YELLOW else ""
    return format_html(
        '<span class="badge rounded-pill bg-{}{} light-badge" title="{}">{}</span>',
        LIGHT_CSS[light],
        text_class,
        light.label,
        light.label,
    )


@register.filter
def ym(value):
    """A date as the YYYY-MM used in URLs."""
    return value.strftime("%Y-%m") if value else ""


@register.filter
def lookup(mapping, key):
    """mapping[key] in a template, or None."""
    return mapping.get(key) if mapping else None


@register.filter
def listing_label(value):
    return ListingLevel(value).label if value else ""


@register.simple_tag(takes_context=True)
def can(context, action, task=None):
    return can_do(context["request"].user, action, task)


@register.simple_tag(takes_context=True)
def pending_reviews(context):
    """How many reports wait for the signed-in head's review (the navigation's 待审核), or
    None for those who review nothing (no query for them)."""
    user = context["request"].user
    if not can_do(user, Action.REVIEWS):
        return None
    return review_queue(user).count()
