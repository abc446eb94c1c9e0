"""The plugin app's one rule: found by core/apps.py, never named by core or supervision."""

from datetime import timedelta

from core.choices import ReminderKind
from core.reminders import Item, register

from .models import Widget


@register("plugin_widget_due")
def widget_due(ctx):
    """A widget due within 3 days reminds its owner."""
    for widget in Widget.objects.filter(due__range=(ctx.day, ctx.day + timedelta(days=3))):
        reason = f"{widget}将于{widget.due:%Y-%m-%d}到期"
        yield Item(
            f"plugin:widget:{widget.pk}", ReminderKind.DUE_SOON, widget.owner, reason, widget
        )
