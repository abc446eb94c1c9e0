"""Records a department keeps for the plan (an app's 预案, 演练, 检查, …): who sees and changes
them, and the list, detail and form pages every such app shares, so an app declares its
columns, filters, form and service instead of writing the views again.

Scoping: 督查人员 and 领导 read every record; 承办人员 and 处室负责人 read and change their own
department's (the record's `department`); admins everything (core.access). An app registers
`department_rule` for each model (`policy(Model)(department_rule)`) and `app_rule(label)` for
the actions on no record ("<label>.view", "<label>.add").
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models, transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from .access import ScopedQuerySet, can, get_or_404, has_role, is_admin, require
from .files import FILE_ACTION
from .history import changes
from .models import Department
from .roles import Role
from .validators import sane_date


class Action:
    VIEW = "view"
    CHANGE = "change"


def task_field(to, related_name):
    """The record's plan task (`to`: the task model's "app.Model" name, which the app knows
    and the core does not); PROTECT: a task with records is never deleted under them."""
    return models.ForeignKey(
        to, verbose_name="所属任务", related_name=related_name, on_delete=models.PROTECT
    )


def department_field(related_name, label):
    """The department that keeps the record: who may see and change it."""
    return models.ForeignKey(
        Department, verbose_name=label, related_name=related_name, on_delete=models.PROTECT
    )


class DepartmentQuerySet(ScopedQuerySet):
    """Supervisors and leaders list every record; others their department's."""

    def scope(self, user):
        if has_role(user, Role.SUPERVISOR, Role.LEADER):
            return self
        if not user.department_id:
            return self.none()
        return self.filter(department_id=user.department_id)


def department_rule(user, action, obj):
    """The rule of a department's record (register it with `policy(Model)`)."""
    own = bool(user.department_id) and user.department_id == obj.department_id
    if action in (Action.VIEW, FILE_ACTION):  # its 佐证材料 with it
        return has_role(user, Role.SUPERVISOR, Role.LEADER) or own
    if action == Action.CHANGE:
        return has_role(user, Role.STAFF, Role.HEAD) and own
    return None


def app_rule(label):
    """The rule of `label`'s actions on no record: any role reads its pages; staff and heads
    of a department add records (and import them)."""

    def rule(user, action, obj=None):
        if action == f"{label}.view":
            return True
        if action == f"{label}.add":
            return has_role(user, Role.STAFF, Role.HEAD) and bool(user.department_id)
        return None

    return rule


class RecordForm(forms.ModelForm):
    """A record's form: the department limited to the user's own (unless the user sees all),
    dates as date pickers within 2000–2100, times as datetime pickers."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, form_field in self.fields.items():
            if isinstance(form_field, forms.DateTimeField):
                form_field.widget = forms.DateTimeInput(
                    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
                )
            elif isinstance(form_field, forms.DateField):
                form_field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
                form_field.validators.append(sane_date)
            if isinstance(form_field.widget, forms.Textarea):
                form_field.widget.attrs["rows"] = 3
            if name == "task":
                form_field.queryset = form_field.queryset.order_by("-project__plan__year", "path")
        if "department" in self.fields and user is not None and not sees_all(user):
            self.fields["department"].queryset = Department.objects.filter(pk=user.department_id)
            self.fields["department"].empty_label = None


class RecordFilter(django_filters.FilterSet):
    """A list page's filters: the department filter only for those who see every
    department, small Bootstrap widgets."""

    def __init__(self, data=None, *args, user=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        if "department" in self.filters and user is not None and not sees_all(user):
            del self.filters["department"]
        for form_field in self.form.fields.values():
            is_select = isinstance(form_field.widget, forms.Select)
            form_field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )


def department_filter():
    """The department filter of a list page (shown to those who see every department)."""
    return django_filters.ModelChoiceFilter(
        label="单位", queryset=Department.objects.filter(is_active=True), empty_label="全部单位"
    )


def record_id(value):
    """A row id from a query string (?task=12), or None for anything else."""
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and int(value) < 2**63 else None


def sees_all(user):
    return is_admin(user) or has_role(user, Role.SUPERVISOR, Role.LEADER)


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable  # (record) -> what the cell shows
    link: bool = False  # the cell links to the record's page


def value_of(record, model_field):
    """A field of `record` as shown on its page."""
    if model_field.choices:
        return getattr(record, f"get_{model_field.name}_display")()
    value = getattr(record, model_field.name)
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "—"
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def record_fields(record, skip=("id", "created_at", "updated_at")):
    """[(label, value)] of the record's own fields."""
    return [
        (str(f.verbose_name), value_of(record, f))
        for f in record._meta.concrete_fields
        if f.name not in skip and f.editable
    ]


def record_changes(record, also=()):
    """The record's history as core.history Changes, related rows by name; `also` adds the
    history of the rows hanging on it, as [(model, historical queryset)]."""
    sources = [(type(record), record.history.all()), *also]
    named = {
        f.related_model
        for model, _rows in sources
        for f in model._meta.concrete_fields
        if f.is_relation
    }
    return changes(sources, label=lambda m, r: str(m._meta.verbose_name), named=named)


@dataclass
class RecordPages:
    """The list, detail, new and edit pages of one model of an app.

    `save(form, user)` is the app's service call for a valid form, returning the record;
    `row_class(record)` the CSS class of its row (e.g. "table-danger" when late);
    `detail_context(request, record)` what the detail page shows beyond the fields, in
    `detail_template` (included under the fields)."""

    app: str
    name: str  # URL segment and name: /<app>/<name>/, "<app>_<name>"
    title: str
    app_title: str
    model: type
    form: type
    save: Callable
    columns: list
    filterset: type
    related: tuple = ()
    task_path: str = "task"
    row_class: Callable = lambda record: ""  # noqa: E731
    detail_template: str = ""
    detail_context: Callable | None = None
    per_page: int = 50
    actions: list = field(default_factory=list)  # [(label, url name)] on the list page

    @property
    def url_name(self):
        return f"{self.app}_{self.name}"

    def urls(self):
        return [
            path(f"{self.name}/", self.list_view, name=self.url_name),
            path(f"{self.name}/new/", self.create_view, name=f"{self.url_name}_new"),
            path(f"{self.name}/<int:pk>/", self.detail_view, name=f"{self.url_name}_detail"),
            path(f"{self.name}/<int:pk>/edit/", self.edit_view, name=f"{self.url_name}_edit"),
        ]

    def queryset(self, user):
        return self.model.objects.visible_to(user).select_related(*self.related)

    def list_view(self, request):
        return login_required(self._list)(request)

    def _list(self, request):
        require(request.user, f"{self.app}.view")
        rows = self.queryset(request.user)
        task = record_id(request.GET.get("task"))
        if task:
            rows = rows.filter(**{self.task_path: task})
        filterset = self.filterset(request.GET or None, queryset=rows, user=request.user)
        page = Paginator(filterset.qs, self.per_page).get_page(request.GET.get("page"))
        for record in page.object_list:
            record.cells = [(c.value(record), c.link) for c in self.columns]
            record.row_class = self.row_class(record)
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "pages": self,
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "may_add": _may(request.user, f"{self.app}.add"),
            "task_id": task or "",
        }
        return render(request, "core/records/list.html", context)

    def detail_view(self, request, pk):
        return login_required(self._detail)(request, pk)

    def _detail(self, request, pk):
        record = get_or_404(request.user, self.queryset(request.user), Action.VIEW, pk=pk)
        context = {
            "pages": self,
            "record": record,
            "fields": record_fields(record),
            "changes": record_changes(record),
            "may_change": _may(request.user, Action.CHANGE, record),
        }
        if self.detail_context:
            context.update(self.detail_context(request, record))
        return render(request, "core/records/detail.html", context)

    def create_view(self, request):
        return login_required(self._create)(request)

    def _create(self, request):
        require(
            request.user, f"{self.app}.add", message=f"只有承办单位的人员可以新增{self.title}。"
        )
        user = request.user
        task = record_id(request.GET.get("task"))
        if task is None:  # the task the department's last record of this kind served
            mine = self.model.objects.filter(department_id=user.department_id)
            task = mine.order_by("-pk").values_list(self.task_path, flat=True).first()
        initial = {"department": user.department_id, "task": task}
        return self._form(request, self.model(), initial)

    def edit_view(self, request, pk):
        return login_required(self._edit)(request, pk)

    def _edit(self, request, pk):
        record = get_or_404(request.user, self.queryset(request.user), Action.CHANGE, pk=pk)
        return self._form(request, record, {})

    def _form(self, request, record, initial):
        user = request.user
        if request.method == "POST":
            form = self.form(request.POST, instance=record, user=user)
            if form.is_valid():
                with transaction.atomic():
                    saved = self.save(form, user)
                messages.success(request, f"{self.title}已保存。")
                return redirect(f"{self.url_name}_detail", saved.pk)
        else:
            form = self.form(instance=record, initial=initial, user=user)
        context = {"pages": self, "form": form, "record": record if record.pk else None}
        return render(request, "core/records/form.html", context)


def _may(user, action, obj=None):
    return can(user, action, obj)
