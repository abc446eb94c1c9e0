from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


NO_LEAD = mark_safe("<span class='text-warning-emphasis'>未确定</span>")
TASK_ROW = """    <tr>
      <td class="text-nowrap">{code}</td>
      <td><a href="{url}">{title}</a><div class="small text-muted">{group}</div></td>
      <td class="d-none d-md-table-cell">{lead}</td>
      <td class="text-nowrap d-none d-sm-table-cell">{due}</td>
      <td class="text-end" style="min-width: 6rem">
        <div class="progress" role="progressbar" aria-label="进度" aria-valuenow="{percent}" \
aria-valuemin="0" aria-valuemax="100" style="height: 1.1rem">
          <div class="progress-bar" style="width: {percent}%">{percent}%</div>
        </div>
      </td>
      <td>{light}</td>
      <td class="d-none d-md-table-cell">{listing}</td>
      <td class="text-nowrap d-none d-lg-table-cell">{report}</td>
    </tr>
"""
LISTING_BADGE = (
    '<span class="badge bg-danger-subtle text-danger-emphasis border border-danger-subtle" '
    'title="督办时限 {}">{}</span>'
)


def _day(value, pattern="%Y-%m-%d"):
    return value.strftime(pattern) if value else ""


@register.simple_tag
def task_list_row(task):
    """One row of the task list, written in Python: the template's dozen variables, filters
    and tags per row were a third of the page's time (issue 17). The same HTML."""
    listing = ""
    if task.listed:
        listing = format_html(
            LISTING_BADGE, _day(task.listing_deadline), listing_label(task.listing_level)
        )
    return format_html(
        TASK_ROW,
        code=task.code,
        url=reverse("task_detail", args=[task.pk]),
        title=task.title,
        group=task.group_title,
        lead=task.lead_department or NO_LEAD,
        due=_day(task.due_date) or "—",
        percent=task.percent_shown,
        light=light_badge(task.light),
        listing=listing,
        report=_day(task.last_report_month, "%Y-%m") or "—",
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
