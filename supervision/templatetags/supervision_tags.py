from html import escape

from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.access import can as can_do
from core.roles import roles_of
from supervision.choices import GREY_STATUSES, Light, ListingLevel, Source, TaskStatus
from supervision.filters import quick_escape
from supervision.lights import LIGHT_CSS
from supervision.reporting import review_queue

register = template.Library()


@register.simple_tag
def light_badge(value, status=None):
    """The 红黄绿灯 badge of a light value; a grey one names the task's `status` (已办结,
    暂停, 已终止, 已挂账结转), which is why it has no colour."""
    if not value:
        return ""
    light = Light(value)
    text_class = " text-dark" if light == Light.YELLOW else ""
    label = light.label
    if light == Light.GREY and status in GREY_STATUSES:
        label = TaskStatus(status).label
    return format_html(
        '<span class="badge rounded-pill bg-{}{} light-badge" title="{}">{}</span>',
        LIGHT_CSS[light],
        text_class,
        light.label,
        label,
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


#: the badge of each light, written once (`light_badge`)
LIGHT_BADGES = {value: light_badge(value) for value in Light.values}
GREY_BADGES = {status: light_badge(Light.GREY, status) for status in GREY_STATUSES}
SOURCES = dict(Source.choices)
EMPTY_LIST = '\n    <tr><td colspan="8" class="text-muted">没有符合条件的任务。</td></tr>\n  '


@register.simple_tag
def task_list_rows(rows):
    """The task list's rows (dicts of `filters.LIST_ROW`), written in Python: the template's
    dozen variables, filters and tags per row were a third of the page's time, and
    format_html's escaping per value another (issue 17). The same HTML as a row template
    would write, every value escaped."""
    if not rows:
        return mark_safe(EMPTY_LIST)  # noqa: S308 (a constant)
    prefix, suffix = reverse("task_detail", args=[0]).rsplit("0", 1)
    html = []
    for row in rows:
        listing = ""
        if row["listed"]:
            deadline = _day(row["listing_deadline"])
            listing = LISTING_BADGE.format(deadline, escape(listing_label(row["listing_level"])))
        source = row["source"]
        group = row["project__title"] if row["project_id"] else SOURCES.get(source, source)
        lead = row["lead_department__name"]
        html.append(
            TASK_ROW.format(
                code=escape(str(row["code"])),
                url=f"{prefix}{row['pk']}{suffix}",
                title=escape(row["title"]),
                group=escape(str(group)),
                lead=NO_LEAD if lead is None else escape(lead),
                due=_day(row["due_date"]) or "—",
                percent=row["percent_shown"],
                light=GREY_BADGES.get(row["status"], "")
                if row["light"] == Light.GREY
                else LIGHT_BADGES.get(row["light"], ""),
                listing=listing,
                report=_day(row["last_report_month"], "%Y-%m") or "—",
            )
        )
    return mark_safe("".join(f"\n{row}  " for row in html))  # noqa: S308 (escaped above)


FILTER_FIELD = """
  <div class="col-12">
    <label class="form-label small mb-0" for="{id}">{label}</label>
    {widget}
    {errors}
  </div>
  """
FIELD_ERROR = '<div class="invalid-feedback d-block">{}</div>'


@register.simple_tag
def filter_fields(form):
    """The fields of a filter form, each with its label and errors (includes/task_filters.html):
    written in Python, as the rows are, for the same reason."""
    html = []
    for field in form:
        html.append(
            FILTER_FIELD.format(
                id=escape(str(field.id_for_label)),
                label=quick_escape(field.label),
                widget=field.as_widget(),
                errors="".join(FIELD_ERROR.format(quick_escape(e)) for e in field.errors),
            )
        )
    return mark_safe("".join(html))  # noqa: S308 (every value escaped, the widgets Django's)


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


#: the navigation's links as rendered for each kind of user (`navbar_links`)
_NAVBAR = {}
REVIEW_MARK = mark_safe("<!--review-count-->")  # noqa: S308 (a constant)


@register.simple_tag(takes_context=True)
def navbar_links(context):
    """The navigation's links (includes/navbar_links.html), rendered once per process for
    each kind of user and reused: which links show depends on the office-wide rules
    (`@policy(None)`: by role, and the department for 待审核) and on staff status, and the
    URLs on the script prefix; only the 待审核 count is the request's own (one query, for
    those who review). Rendering them per request cost a tenth of the task list (issue 17)."""
    request = context["request"]
    user = request.user
    key = (
        get_script_prefix(),
        frozenset(roles_of(user)),
        user.is_superuser,
        user.is_staff,
        user.department_id,
    )
    parts = _NAVBAR.get(key)
    if parts is None:
        template = get_template("includes/navbar_links.html")
        html = template.render({"request": request, "user": user, "review_badge": REVIEW_MARK})
        parts = html.strip().split(REVIEW_MARK)
        if len(_NAVBAR) > 1000:  # departments x role sets: never near, but bounded
            _NAVBAR.clear()
        _NAVBAR[key] = parts
    if len(parts) == 1:
        return mark_safe(parts[0])  # noqa: S308 (rendered by the template)
    waiting = review_queue(user).count()
    badge = REVIEW_BADGE.format(waiting) if waiting else ""
    return mark_safe(badge.join(parts))  # noqa: S308 (rendered by the template; a number)


REVIEW_BADGE = ' <span class="badge rounded-pill bg-warning text-dark" id="review-count">{}</span>'
