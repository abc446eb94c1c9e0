from django import template

register = template.Library()


@register.filter
def percent(rate):
    """A rate in [0, 1] as "87.5%", or "—" when there is nothing to divide."""
    if rate is None:
        return "—"
    return f"{float(rate) * 100:.1f}%"
