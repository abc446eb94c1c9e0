"""The task filters shared by /tasks/ and the 督查台账 (same filters, same query)."""

import copy
import html
from itertools import islice

import django_filters
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.core.validators import RegexValidator
from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Window,
)
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.models import Department, ReminderItem
from core.months import MONTH_RE, parse_month, validate_month

from . import standing
from .choices import Light, ReportStatus, Source, TaskStatus
from .dashboard import as_of, listed_at, percent_as_of
from .lights import with_lights
from .models import (
    Indicator,
    Instruction,
    MonthlyReport,
    Project,
    Task,
)

SORTS = {
    "code": ("path",),
    "due": ("due_date", "path"),
    "-due": ("-due_date", "path"),
    "percent": ("percent", "path"),
    "-percent": ("-percent", "path"),
    "light": ("light_rank", "path"),
    "lead": ("lead_department__sort_order", "lead_department__name", "path"),
}
SORT_LABELS = {
    "code": "编号",
    "due": "完成时限（早→晚）",
    "-due": "完成时限（晚→早）",
    "percent": "进度（低→高）",
    "-percent": "进度（高→低）",
    "light": "灯号（红→绿）",
    "lead": "牵头单位",
}


def _as_of(queryset, today, month, rows=False):
    """`queryset` with `listed`, `light`, `light_rank` and `percent_shown` (and, for `rows`,
    the listing's level and deadline and the `standing.report_columns`): as of `today`
    (stored while current, see supervision/standing.py), or, given a `month` (the
    dashboard's ?as_of=YYYY-MM), as the dashboard counted them for that month: judged on its
    last day (today while it runs), with the percent reported by then and the listings
    active that day (always computed live)."""
    today = today or timezone.localdate()
    if month is None:
        return standing.annotate(queryset, today, listing=rows, reports=rows, rank=True)
    day = as_of(month, today)
    active = listed_at(day)
    queryset = queryset.annotate(listed=Exists(active), percent_shown=percent_as_of(month))
    if rows:
        queryset = standing.report_columns(
            queryset.annotate(
                listing_level=Subquery(active.values("level")[:1]),
                listing_deadline=Subquery(active.values("deadline")[:1]),
            )
        )
    queryset = with_lights(queryset, day, percent=F("percent_shown"))
    return queryset.annotate(light_rank=standing.light_rank())


#: the indicators of each row, with their latest values (the ledger's 量化指标 column)
INDICATORS = Prefetch("indicators", queryset=Indicator.objects.order_by("number"))


def task_keys(today=None, month=None):
    """Tasks with only what TaskFilter filters and sorts on (listed, light, light_rank):
    cheap to build and to run over every task of a plan; `rows_page` then fetches the
    page's rows from `task_rows`. `month`: lights as of that month (see `_as_of`)."""
    return _as_of(Task.objects.all(), today, month)


def task_view(today=None):
    """Tasks with what the task page shows beyond its own records: light, listed and the
    listing level (not the list's report and 催办 columns)."""
    queryset = Task.objects.select_related(
        "responsible_leader", "linked_project", "origin_instruction__leader"
    )
    return standing.annotate(queryset, today or timezone.localdate(), listing=True)


def task_rows(today=None, month=None):
    """Tasks with what every list row shows: light, listing, last report month, 催办 count,
    the number of automatic reminders and the latest indicator values. `month`: light,
    listing and percent as of that month (see `_as_of`).

    Related rows are counted with subqueries (one query for the whole page)."""
    # reminders of the engine (core/reminders.py): distinct events, not recipients. By
    # content type and object id, not through the generic relation, whose join to the task
    # kept PostgreSQL off the (content_type, object_id, event) index.
    reminders = (
        ReminderItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Task), object_id=OuterRef("pk")
        )
        .order_by()
        .values("object_id")
        .annotate(n=Count("event", distinct=True))
        .values("n")
    )
    queryset = Task.objects.select_related(
        "project", "linked_project", "lead_department", "responsible_leader"
    ).annotate(reminder_count=Subquery(reminders, output_field=IntegerField()))
    return _as_of(queryset, today, month, rows=True)


def text_match(value):
    """Tasks whose code is `value`, or whose title or text, reports (not drafts: they are
    the department's own until submitted) or 批示 and their answers contain it.

    A substring match (icontains) on every database: Chinese has no word breaks, so
    PostgreSQL's full-text search would miss 融资 in 提升融资环境. On PostgreSQL the pg_trgm
    indexes of migration 0011 (issue 11) serve the reports' and 批示' columns."""
    reports = MonthlyReport.objects.exclude(status=ReportStatus.DRAFT).filter(
        Q(progress__icontains=value) | Q(problems__icontains=value) | Q(next_steps__icontains=value)
    )
    instructions = Instruction.objects.filter(
        Q(text__icontains=value) | Q(response__icontains=value)
    )
    return (
        Q(code=value)
        | Q(title__icontains=value)
        | Q(text__icontains=value)
        | Q(pk__in=reports.values("task_id"))
        | Q(pk__in=instructions.values("task_id"))
    )


def quick_escape(value):
    """conditional_escape's result, without the lazy-string wrapper around Django's escape
    (a third of a select's time when it has a hundred options)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def option_parts(choices):
    """[(value, '<option value="…"', '>label</option>')] of flat `choices`: each option
    escaped once (per process for fixed choices, per cache fill for the model choices),
    so that a render only marks the selected one."""
    parts = []
    for value, label in choices:
        text = "" if value is None else str(value)
        head = f'<option value="{quick_escape(text)}"'
        parts.append((text, head, f">{quick_escape(label)}</option>"))
    return parts


class QuickSelect(forms.Select):
    """A <select> written in Python, the same HTML as Django's: its template per <option>
    (two includes each) cost more than the fifty rows of the task list. `set_options`
    gives it choices with their options escaped beforehand (`option_parts`)."""

    parts = None  # the option_parts of `choices`, when given by set_options

    def set_options(self, choices, parts=None):
        self.choices = choices
        self.parts = option_parts(choices) if parts is None else parts

    def render(self, name, value, attrs=None, renderer=None):
        parts = self.parts
        if parts is None:
            choices = list(iter(self.choices))  # iter(): no COUNT query for the length
            grouped = any(isinstance(c[1], list | tuple) for c in choices)
            if self.allow_multiple_selected or grouped:
                return super().render(name, value, attrs, renderer)  # groups: Django's way
            parts = option_parts(choices)
        wanted = set(self.format_value(value))
        options = []
        for text, head, tail in parts:
            if text in wanted:
                wanted = ()  # one <option> selected, as Select.optgroups does
                options.append(f"{head} selected{tail}")
            else:
                options.append(head + tail)
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("".join(options)),  # noqa: S308 (each label and value escaped)
        )


class QuickInput(forms.TextInput):
    """A text <input> written in Python, the same HTML as Django's (its template and the
    attributes' include cost more than the rest of the field)."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        parts = [f'<input type="{quick_escape(self.input_type)}" name="{quick_escape(name)}"']
        if value is not None:
            parts.append(f' value="{quick_escape(value)}"')
        # as django/forms/widgets/attrs.html writes them: in order, True bare, False left out
        for key, item in self.build_attrs(self.attrs, attrs).items():
            if item is True:
                parts.append(f" {key}")
            elif item is not False:
                parts.append(f' {key}="{quick_escape(item)}"')
        parts.append(">")
        return mark_safe("".join(parts))  # noqa: S308 (every value escaped above)


#: the cache key of the filter form's years, projects and departments (`filter_choices`)
CHOICES_KEY = "supervision:task-filter-choices"
#: how long they are kept at most: any save or delete of a task, project, plan or department
#: forgets them at once (`forget_choices`); this bounds a change made while Redis was down
CHOICES_SECONDS = 600


def filter_choices():
    """{"years": [(year, has items of its own)], "projects": (choices, option_parts),
    "departments": (choices, option_parts)}: the choices of the task filters, from the cache,
    else three queries (values only, no model instances)."""
    found = cache.get(CHOICES_KEY)
    if found is None:
        own = Count("pk", filter=Q(carried_from=None))
        years = Task.objects.values("year").annotate(own=own).order_by("-year")
        projects = Project.objects.values_list("pk", "number", "title")
        departments = Department.objects.filter(is_active=True).values_list("pk", "name")
        # as ModelChoiceField lists them: str(project), in the model's order
        projects = [("", "全部工程"), *((pk, f"{n}. {title}") for pk, n, title in projects)]
        departments = [("", "全部单位"), *departments]
        found = {
            "years": [(row["year"], bool(row["own"])) for row in years],
            "projects": (projects, option_parts(projects)),
            "departments": (departments, option_parts(departments)),
        }
        cache.set(CHOICES_KEY, found, CHOICES_SECONDS)
    return found


def forget_choices(**kwargs):
    """A task, project, plan or department was saved or deleted (supervision/signals.py):
    the filter choices are read afresh, now and again once the change is committed (between
    the two, a request may have cached the rows as they were before the commit)."""
    cache.delete(CHOICES_KEY)
    transaction.on_commit(lambda: cache.delete(CHOICES_KEY))


class ShallowFilters(dict):
    """The declared filters of a FilterSet, copied shallowly per instance: django-filter
    deep-copies them (their choices, the model choice querysets) for every request, and
    nothing here changes a filter once declared (issue 17)."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, item in self.items():
            copies[name] = clone = copy.copy(item)
            if clone.method is not None:
                clone.method = item.method  # its FilterMethod bound to the copy, not `item`
        return copies


class TaskFilter(django_filters.FilterSet):
    """project, department, status, light, listed, due month and free text."""

    year = django_filters.ChoiceFilter(
        label="年度", choices=[], method="filter_year", empty_label=None
    )
    source = django_filters.ChoiceFilter(
        label="来源", choices=Source.choices, empty_label="全部来源"
    )
    project = django_filters.ModelChoiceFilter(
        label="工程", queryset=Project.objects.select_related("plan"), empty_label="全部工程"
    )
    department = django_filters.ModelChoiceFilter(
        label="单位",
        queryset=Department.objects.filter(is_active=True),
        method="filter_department",
        empty_label="全部单位",
    )
    role = django_filters.ChoiceFilter(
        label="承办方式",
        choices=[("lead", "牵头"), ("partner", "配合")],
        method="filter_noop",
        empty_label="牵头或配合",
    )
    status = django_filters.ChoiceFilter(
        label="状态", choices=TaskStatus.choices, empty_label="全部状态"
    )
    light = django_filters.ChoiceFilter(label="灯号", choices=Light.choices, empty_label="全部灯号")
    listed = django_filters.ChoiceFilter(
        label="挂牌督办",
        choices=[("yes", "挂牌中"), ("no", "未挂牌")],
        method="filter_listed",
        empty_label="不限",
    )
    month = django_filters.CharFilter(
        label="到期月份",
        method="filter_month",
        validators=[
            RegexValidator(MONTH_RE, "请按“年-月”格式填写，如 2012-06。"),
            validate_month,
        ],
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    q = django_filters.CharFilter(
        label="关键词",
        method="filter_text",
        help_text="在任务标题、原文、月度进展报告和领导批示中查找。",
        widget=forms.TextInput(attrs={"placeholder": "标题、原文、进展、批示"}),
    )
    as_of = django_filters.CharFilter(
        label="灯号截至",
        method="filter_noop",
        validators=[
            RegexValidator(MONTH_RE, "请按“年-月”格式填写，如 2012-06。"),
            validate_month,
        ],
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text="留空按今日计算灯号；填写月份则按该月（与督查看板一致）。",
    )
    sort = django_filters.ChoiceFilter(
        label="排序", choices=list(SORT_LABELS.items()), method="filter_noop", empty_label="编号"
    )

    class Meta:
        model = Task
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        # Years of the plans and other 督办事项, newest first; without a year in the query,
        # the newest that has items of its own (a year holding only items carried over into
        # it, 挂账结转, is listed but not opened by default).
        choices = filter_choices()
        years = [year for year, _ in choices["years"]]
        default = next((year for year, own in choices["years"] if own), years[0] if years else None)
        if data is not None and "year" not in data and years:
            data = data.copy()
            data["year"] = str(default)
        super().__init__(data, *args, **kwargs)
        fields = self.form.fields
        fields["year"].choices = [(str(y), f"{y}年") for y in years] + [("all", "全部年度")]
        fields["year"].widget.set_options(fields["year"].choices)
        fields["project"].widget.set_options(*choices["projects"])  # the queryset validates
        fields["department"].widget.set_options(*choices["departments"])

    def get_form_class(self):
        """The form class, built once per process with the quick widgets (the year's choices
        and the model choices' options are set on each form)."""
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            form_class = super().get_form_class()
            for field in form_class.base_fields.values():
                is_select = isinstance(field.widget, forms.Select)
                if type(field.widget) is forms.Select:
                    quick = QuickSelect(attrs=field.widget.attrs)
                    if isinstance(field, forms.ModelChoiceField):
                        quick.choices = field.widget.choices  # set per form
                    else:
                        quick.set_options(list(field.widget.choices))
                    field.widget = quick
                elif type(field.widget) is forms.TextInput:
                    quick = QuickInput(attrs=field.widget.attrs)
                    quick.input_type = field.widget.input_type
                    field.widget = quick
                css = "form-select form-select-sm" if is_select else "form-control form-control-sm"
                field.widget.attrs["class"] = css
                if not is_select:
                    field.widget.attrs.setdefault("maxlength", "100")
            cls._form_class = form_class
        return cls._form_class

    def filter_year(self, queryset, name, value):
        if value == "all":
            return queryset
        return queryset.filter(year=int(value))

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_department(self, queryset, name, value):
        role = self.form.cleaned_data.get("role")
        partner = Task.partner_departments.through.objects.filter(
            task=OuterRef("pk"), department=value
        )
        if role == "lead":
            return queryset.filter(lead_department=value)
        if role == "partner":
            return queryset.filter(Exists(partner))
        # the tasks it leads and those it partners, by their two indexes: an OR of the two
        # conditions scanned every task (30 ms per query at 50,000 tasks, 5 ms so; issue 17)
        led = Task.objects.filter(lead_department=value).order_by().values("pk")
        partners = partner.model.objects.filter(department=value).order_by().values("task_id")
        return queryset.filter(pk__in=led.union(partners, all=True))

    def filter_listed(self, queryset, name, value):
        return queryset.filter(listed=(value == "yes"))

    def filter_month(self, queryset, name, value):
        month = parse_month(value)
        if month is None:
            return queryset
        return queryset.filter(due_date__year=month.year, due_date__month=month.month)

    def filter_text(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(text_match(value))

    @property
    def ordering(self):
        sort = self.form.cleaned_data.get("sort") if self.form.is_valid() else None
        return SORTS.get(sort or "code", SORTS["code"])

    @property
    def qs(self):
        return super().qs.order_by(*self.ordering)


TaskFilter.base_filters = ShallowFilters(TaskFilter.base_filters)


def filter_tasks(params, today=None):
    """The TaskFilter bound to `params` (a QueryDict) over `task_keys`: `.qs` is the
    matching tasks, sorted, with light and listed only; the rows come from `rows_page`,
    `list_page` or `ledger_rows`. With ?as_of=YYYY-MM the lights are those of that month, as
    the dashboard counted them (`filterset.lights_month` is then that month, and `lights_day`
    the day judged)."""
    today = today or timezone.localdate()
    month = parse_month(params.get("as_of", "")) if params is not None else None
    filterset = TaskFilter(params, queryset=task_keys(today, month))
    filterset.lights_month = month
    filterset.lights_day = as_of(month, today) if month else None
    return filterset


#: the filters that keep every task of the year on the list (`ids_page`)
WHOLE_YEAR = {"year", "sort", "as_of"}


def ids_page(filterset, number, per_page):
    """The page `number` of the ids of a `filter_tasks` filterset, as Paginator.get_page
    gives it. Unfiltered, as it does: the count (an index-only scan) and the page's ids (an
    index walk that stops after the page). Filtered, in one query: the page's ids with
    COUNT(*) OVER () beside them; PostgreSQL sorts every match for the page anyway, and
    the paginator's own count went through them all again (issue 17)."""
    ids = filterset.qs.values_list("pk", flat=True)
    paginator = Paginator(ids, per_page)
    data = filterset.form.cleaned_data if filterset.is_valid() else {}
    if all(value in (None, "") for name, value in data.items() if name not in WHOLE_YEAR):
        return paginator.get_page(number)
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1  # as get_page: not a number, the first page
    start = (number - 1) * per_page
    counted = filterset.qs.annotate(total=Window(Count("pk"))).values_list("pk", "total")
    rows = list(counted[start : start + per_page]) if number >= 1 else []
    if not rows:  # below 1, past the last page or no match at all: get_page's last page
        return paginator.get_page(number)
    paginator.count = rows[0][1]  # a cached_property: no count query
    return Page([pk for pk, _ in rows], number, paginator)


def rows_page(filterset, number, per_page, today=None, indicators=False):
    """The page `number` of a `filter_tasks` filterset, in two queries (and the count of an
    unfiltered list): the ids of the page (filter, sort and LIMIT over the lean `task_keys`,
    `ids_page`), then the `task_rows` of those ids. Selecting every row annotation over all
    matching tasks before the sort and LIMIT cost ten times as much. (The task list reads
    plain values: `list_page`.)"""
    page = ids_page(filterset, number, per_page)
    ids = list(page.object_list)
    rows = task_rows(today, filterset.lights_month).filter(pk__in=ids).order_by()
    rows = rows.defer("text")
    if indicators:  # one query more, for the page's rows
        rows = rows.prefetch_related(INDICATORS)
    by_id = {task.pk: task for task in rows}
    page.object_list = [by_id[pk] for pk in ids]
    return page


#: what a row of the task list shows (templatetags `task_list_rows`)
LIST_ROW = [
    "pk",
    "code",
    "title",
    "source",
    "project_id",
    "project__title",
    "lead_department__name",
    "due_date",
    "percent_shown",
    "light",
    "status",  # a grey light's badge names it
    "listed",
    "listing_level",
    "listing_deadline",
    "last_report_month",
]


def list_page(filterset, number, per_page, today=None):
    """The page `number` of a `filter_tasks` filterset for the task list: as `rows_page`,
    but each row a dict of the LIST_ROW columns (one `.values()` query, no model
    instances: building fifty tasks with their project and department cost more than the
    SQL, issue 17)."""
    page = ids_page(filterset, number, per_page)
    ids = list(page.object_list)
    tasks = Task.objects.filter(pk__in=ids).order_by()
    rows = _as_of(tasks, today, filterset.lights_month, rows=True).values(*LIST_ROW)
    by_id = {row["pk"]: row for row in rows}
    page.object_list = [by_id[pk] for pk in ids]
    return page


#: what a row of the 督查台账 export shows (ledger.ledger_values), from `task_rows`
LEDGER_ROW = [
    "pk",
    "code",
    "title",
    "source",
    "project__title",
    "lead_department__name",
    "responsible_leader__full_name",
    "responsible_leader__username",
    "due_date",
    "last_progress",
    "percent_shown",
    "light",
    "listing_level",
    "urging_count",
    "reminder_count",
    "last_submitted_at",
]


def with_indicators(rows, chunk=1000):
    """Each dict of `rows` (an iterable of `.values()` rows with "pk") with "indicators": its
    indicators, fetched per `chunk` rows (one query each), in their numbered order."""
    rows = iter(rows)
    while batch := list(islice(rows, chunk)):
        indicators = {}
        query = Indicator.objects.filter(task_id__in=[row["pk"] for row in batch])
        for indicator in query.order_by("task_id", "number"):
            indicators.setdefault(indicator.task_id, []).append(indicator)
        for row in batch:
            row["indicators"] = indicators.get(row["pk"], [])
            yield row


def ledger_rows(filterset, today=None, extra=()):
    """Every row matching a `filter_tasks` filterset, in its order, as dicts of the
    LEDGER_ROW columns (and `extra` ones) with their indicators (the ledger export): one
    query, and one per 1,000 rows for the indicators. Plain values, no model instances:
    building 5,000 tasks with four related objects each cost more than writing the sheet."""
    ids = filterset.qs.values("pk")
    rows = task_rows(today, filterset.lights_month).filter(pk__in=ids)
    rows = rows.order_by(*filterset.ordering).values(*LEDGER_ROW, *extra)
    return with_indicators(rows.iterator(chunk_size=1000))
