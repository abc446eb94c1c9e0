"""The plan import page (/plans/import/): upload or paste, review the parsed tree, confirm.

Nothing is written before the confirmation. The review step carries only the source text (and
the year) to the browser, with an HMAC over both; the confirmation re-parses that text with the
same parser as `import_plan` (planio.read_plan), so the tree itself never comes from the
browser. The admin's corrections (title, lead department and due date of each task, and the
confirmation of a guessed lead) are posted as fields keyed by the task code ("2.1", "11.1.2")
and applied after `apply_plan`, inside the same transaction, through `Task.save` so that the
history records them with the request user; they are remembered (PlanCorrection) for a
re-import of the same text. Units the document names that match no department are proposed
for creation, or mapped by the admin to an existing department (remembered as an alias).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core.access import require
from core.choices import DepartmentKind
from core.models import Department

from ..access import Action
from ..choices import Comparison, Rhythm
from ..models import DepartmentAlias, Plan, Task
from ..planio import (
    PlanParseError,
    apply_plan,
    decode_plan_bytes,
    iter_tasks,
    read_plan,
    read_plan_file,
    remember_corrections,
    source_sha256,
    unknown_units,
)

MAX_BYTES = 2 * 1024 * 1024  # the largest plan document accepted, file or pasted text
# The most tasks one confirmation writes from this page: measured at about 25 ms a task on
# PostgreSQL on a busy 2-core machine, so a confirm stays well under 10 s (gunicorn's timeout
# is 30 s). A larger plan goes through `manage.py import_plan` on the server (README).
MAX_TASKS = 250
MIN_YEAR, MAX_YEAR = 2000, 2100
SIGNATURE_SALT = "supervision.views_plans.plan_import"
LIST_LIMIT = 10  # tasks named one by one in the result messages
SPARE_FIELDS = 10  # the review form's fields besides the corrections (csrf, hidden, button)
FIELDS_PER_ROW = 4  # title, lead, due, confirm-the-suggestion

YEAR_ERRORS = {
    "required": "请填写计划年度。",
    "invalid": "年度应为四位数字，如 2012。",
    "min_value": f"年度应在 {MIN_YEAR}–{MAX_YEAR} 之间。",
    "max_value": f"年度应在 {MIN_YEAR}–{MAX_YEAR} 之间。",
}


def sign_source(year, source, own_plan=False):
    """The HMAC that ties a reviewed text to its year and options (SECRET_KEY-keyed)."""
    message = f"{year}\n{int(bool(own_plan))}\n{source}"
    return salted_hmac(SIGNATURE_SALT, message, algorithm="sha256").hexdigest()


def task_count(tree):
    return sum(sum(1 for _ in iter_tasks(project["tasks"])) for project in tree["projects"])


def normalise_newlines(text):
    """Browsers submit form values with CRLF line ends; the parser and the HMAC want LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- forms ---------------------------------------------------------------------------------


class PlanUploadForm(forms.Form):
    """Step 1: the year and the document, as a UTF-8 .txt file or pasted text.

    A valid form has parsed the document: `cleaned_data["source"]` is the text and
    `cleaned_data["tree"]` the tree that read_plan gives for it."""

    year = forms.IntegerField(
        label="计划年度",
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        error_messages=YEAR_ERRORS,
        help_text="重复导入同一年度的计划会就地更新，已有进展的任务不会被删除。",
    )
    file = forms.FileField(
        label="计划文档",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.docx,.pdf,text/plain"}),
        help_text="UTF-8 纯文本（.txt）、Word 文档（.docx，WPS 文档请另存为 .docx）或带文字层的 "
        "PDF，不超过 2 MB。",
        error_messages={
            "invalid": "无法读取上传的文件，请重新选择。",
            "empty": "文件为空，请选择包含工作计划正文的文本文件。",
        },
    )
    text = forms.CharField(
        label="或粘贴计划正文",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "placeholder": "一、……\n（一）……\n1. ……"}),
        help_text="正文应按“一、二、三、……”分章节，每个章节标题单独成行。",
    )
    own_plan = forms.BooleanField(
        label="本办自身的工作计划",
        required=False,
        help_text="勾选后，文档未写明单位的任务按关键词表推测牵头处室，并标为“推测”待确认；"
        "其他机关的计划请勿勾选。",
    )

    def clean(self):
        cleaned = super().clean()
        upload, pasted = cleaned.get("file"), cleaned.get("text") or ""
        if upload and pasted.strip():
            self.add_error("text", "请只选择一种方式：上传文件，或粘贴正文（不要同时使用）。")
            return cleaned
        if not upload and not pasted.strip():
            self.add_error("file", "请选择计划文档，或在下方粘贴计划正文。")
            return cleaned
        where = "file" if upload else "text"
        try:
            source = self.read_upload(upload) if upload else self.read_pasted(pasted)
        except PlanParseError as exc:
            self.add_error(where, str(exc))
            return cleaned
        year = cleaned.get("year")
        if year is None:
            return cleaned  # the year's own error is already shown
        try:
            cleaned["tree"] = read_plan(source, year, own_plan=cleaned.get("own_plan", False))
        except PlanParseError as exc:
            self.add_error(where, str(exc))
            return cleaned
        count = task_count(cleaned["tree"])
        if count > MAX_TASKS:
            self.add_error(
                where,
                f"该计划共 {count} 项任务，网页导入一次不超过 {MAX_TASKS} 项。"
                "请由系统管理员在服务器上用 manage.py import_plan 命令导入。",
            )
            return cleaned
        cleaned["source"] = source
        return cleaned

    @staticmethod
    def read_upload(upload):
        if upload.size > MAX_BYTES:
            raise PlanParseError(
                f"文件过大（{upload.size / 1024 / 1024:.1f} MB），计划文档不能超过 2 MB。"
            )
        return read_plan_file(upload.read(), name=upload.name)

    @staticmethod
    def read_pasted(pasted):
        data = normalise_newlines(pasted).encode("utf-8")
        if len(data) > MAX_BYTES:
            raise PlanParseError("粘贴的正文超过 2 MB，请分批整理或上传文件。")
        # The same checks (control characters, empty) and normalisation as for a file.
        return decode_plan_bytes(data)


class PlanSourceForm(forms.Form):
    """Step 2's hidden part: the reviewed text and year, with their signature.

    A valid form has re-parsed the text: `cleaned_data["tree"]`."""

    year = forms.IntegerField(
        min_value=MIN_YEAR, max_value=MAX_YEAR, error_messages=YEAR_ERRORS, widget=forms.HiddenInput
    )
    source = forms.CharField(strip=False, widget=forms.HiddenInput)
    own_plan = forms.BooleanField(required=False, widget=forms.HiddenInput)
    signature = forms.CharField(widget=forms.HiddenInput)

    def clean_source(self):
        return normalise_newlines(self.cleaned_data["source"])

    def clean(self):
        cleaned = super().clean()
        year, source = cleaned.get("year"), cleaned.get("source")
        signature = cleaned.get("signature") or ""
        if year is None or source is None:
            raise forms.ValidationError("预览内容不完整，请重新上传计划文档。")
        own_plan = cleaned.get("own_plan", False)
        if not constant_time_compare(signature, sign_source(year, source, own_plan)):
            raise forms.ValidationError("预览内容已失效或被改动，请重新上传计划文档。")
        try:
            cleaned["tree"] = read_plan(source, year, own_plan=own_plan)
        except PlanParseError as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned


class PlanCorrectionsForm(forms.Form):
    """Step 2's visible part: a lead department and a due date for every task of the tree.

    Fields are `lead_<code>` and `due_<code>`; their initial values are what the import will
    write if left alone (see `Row`), so `changed_data` is exactly the admin's corrections.

    A plan too large to post two fields per task within DATA_UPLOAD_MAX_NUMBER_FIELDS (Django
    would refuse the confirmation with a bare 400) gets no fields: it is imported as parsed and
    corrected in the admin afterwards (`editable` is False)."""

    def __init__(self, *args, rows, department_choices, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.units = list(units)
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        needed = FIELDS_PER_ROW * len(rows) + len(self.units) + SPARE_FIELDS
        self.editable = limit is None or needed <= limit
        for index, name in enumerate(self.units if self.editable else []):
            self.fields[f"unit_{index}"] = forms.ChoiceField(
                label=name,
                required=False,
                choices=[("", f"新建单位“{name}”"), *department_choices],
                initial="",
                error_messages={"invalid_choice": "所选单位不存在，请从列表中重新选择。"},
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
        for row in rows if self.editable else []:
            self.fields[row.title_key] = forms.CharField(
                label=f"{row.code} 标题",
                max_length=200,
                initial=row.node["title"],
                error_messages={
                    "required": "标题不能为空。",
                    "max_length": "标题不能超过 200 字。",
                },
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )
            if row.lead_suggested:
                self.fields[row.confirm_key] = forms.BooleanField(
                    label="确认推测", required=False, initial=False
                )
            empty = f"新建：{row.lead_name}（按文档）" if row.lead_is_new else "— 未确定 —"
            self.fields[row.lead_key] = forms.ChoiceField(
                label=f"{row.code} 牵头单位",
                required=False,
                choices=[("", empty), *department_choices],
                initial=str(row.lead_id) if row.lead_id else "",
                error_messages={"invalid_choice": "所选单位不存在，请从列表中重新选择。"},
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[row.due_key] = forms.DateField(
                label=f"{row.code} 完成时限",
                required=False,
                initial=row.due,
                input_formats=["%Y-%m-%d"],
                error_messages={"invalid": "请填写有效日期，格式如 2012-12-31。"},
                widget=forms.DateInput(
                    attrs={"type": "date", "class": "form-control form-control-sm"},
                    format="%Y-%m-%d",
                ),
            )

    def clean(self):
        cleaned = super().clean()
        for row in self.rows:
            due = cleaned.get(row.due_key)
            if row.due_key in self.changed_data and due and row.start_date:
                if due < row.start_date:
                    self.add_error(
                        row.due_key, f"完成时限不能早于开始日期（{row.start_date:%Y-%m-%d}）。"
                    )
        return cleaned

    def corrections(self):
        """{code: {"title", "lead_department_id", "due_date", "lead_suggested"}}, changed only."""
        out = {}
        for row in self.rows:
            values = {}
            if row.title_key in self.changed_data:
                values["title"] = self.cleaned_data[row.title_key].strip()
            if row.lead_key in self.changed_data:
                lead = self.cleaned_data[row.lead_key]
                values["lead_department_id"] = int(lead) if lead else None
                values["lead_suggested"] = False
            if self.cleaned_data.get(row.confirm_key):
                values["lead_suggested"] = False
            if row.due_key in self.changed_data:
                values["due_date"] = self.cleaned_data[row.due_key]
            if values:
                out[row.code] = values
        return out

    def unit_mappings(self):
        """{unit name as written: department id} for the units mapped to an existing one."""
        out = {}
        for index, name in enumerate(self.units):
            value = self.cleaned_data.get(f"unit_{index}") if self.editable else ""
            if value:
                out[name] = int(value)
        return out

    def unit_fields(self):
        return [self[f"unit_{i}"] for i in range(len(self.units))] if self.editable else []


# --- the review model ----------------------------------------------------------------------


@dataclass
class Row:
    """One task of the parsed tree as the review page shows it.

    `lead_*` and `due` are what the import will leave on the task if the admin changes
    nothing: the document's values, except where apply_plan keeps the stored ones (a keyword
    guess never overrides a lead set since; an open deadline never clears one)."""

    code: str
    depth: int
    node: dict
    lead_name: str | None = None
    lead_id: int | None = None
    lead_is_new: bool = False
    due: date | None = None
    start_date: date | None = None
    current: tuple | None = None  # (lead name, due) of the stored task, when it differs
    indicators: list = field(default_factory=list)
    rhythm: str = ""
    lead_suggested: bool = False  # the lead is the keyword table's guess, not the document's

    @property
    def title_key(self):
        return f"title_{self.code}"

    @property
    def confirm_key(self):
        return f"confirm_{self.code}"

    @property
    def lead_key(self):
        return f"lead_{self.code}"

    @property
    def due_key(self):
        return f"due_{self.code}"

    @property
    def unplaced(self):
        return not self.lead_name


@dataclass
class Review:
    """Everything the review page needs, computed with a fixed number of queries."""

    tree: dict
    source: str
    departments: list
    existing_plan: Plan | None = None
    existing_task_count: int = 0
    projects: list = field(default_factory=list)  # (project node, [Row])
    rows: list = field(default_factory=list)
    units: list = field(default_factory=list)  # units named that match no department
    leaving: int = 0  # stored tasks that the document no longer has
    same_source: bool = False

    @property
    def unplaced(self):
        return [row for row in self.rows if row.unplaced]

    @property
    def new_departments(self):
        return self.units

    @property
    def suggested(self):
        return [row for row in self.rows if row.lead_suggested and row.lead_name]

    @property
    def measure_count(self):
        return sum(len(row.node.get("measures", [])) for row in self.rows)

    @property
    def indicator_count(self):
        return sum(len(row.indicators) for row in self.rows)


def load_departments():
    """All departments in one query, and the select's choices grouped by kind."""
    departments = list(Department.objects.order_by("sort_order", "name"))
    groups = {}
    for dept in departments:
        label = dept.name if dept.is_active else f"{dept.name}（已停用）"
        groups.setdefault(dept.kind, []).append((str(dept.pk), label))
    kinds = dict(DepartmentKind.choices)
    choices = [(kinds.get(kind, kind), options) for kind, options in groups.items()]
    return departments, choices


def build_review(tree, source, departments):
    """The rows of `tree` with what the import will write, next to what is stored."""
    by_name = {d.name: d for d in departments}
    by_id = {d.pk: d for d in departments}
    review = Review(tree=tree, source=source, departments=departments)
    review.existing_plan = (
        Plan.objects.filter(year=tree["year"]).annotate(task_count=Count("projects__tasks")).first()
    )
    stored = {}
    if review.existing_plan:
        review.existing_task_count = review.existing_plan.task_count
        review.same_source = (
            review.existing_plan.source_sha256 == hashlib.sha256(source.encode()).hexdigest()
        )
        stored = {
            code: (lead_id, due, start, suggested)
            for code, lead_id, due, start, suggested in Task.objects.filter(
                project__plan=review.existing_plan
            ).values_list("code", "lead_department_id", "due_date", "start_date", "lead_suggested")
        }
    comparisons = dict(Comparison.choices)
    rhythms = dict(Rhythm.choices)

    def walk(nodes, prefix, depth, rows):
        for node in nodes:
            code = f"{prefix}.{node['number']}"
            row = Row(code=code, depth=depth, node=node)
            row.lead_suggested = bool(node.get("lead_suggested"))
            named = node.get("lead_department")
            due = date.fromisoformat(node["due"]) if node.get("due") else None
            old = stored.get(code)
            if old is not None:
                old_lead, old_due, row.start_date, old_suggested = old
                # Mirrors planio._sync_tasks: what apply_plan keeps of the stored task.
                if not (named and (not old_lead or not node.get("lead_suggested"))):
                    named = by_id[old_lead].name if old_lead in by_id else None
                    row.lead_suggested = old_suggested
                due = due or old_due
                old_name = by_id[old_lead].name if old_lead in by_id else None
                if (old_name, old_due) != (named, due):
                    row.current = (old_name, old_due)
            row.lead_name = named
            row.lead_id = by_name[named].pk if named in by_name else None
            row.lead_is_new = bool(named) and named not in by_name
            row.due = due
            row.rhythm = rhythms.get(node.get("rhythm") or "", "")
            row.indicators = [
                {**ind, "sign": comparisons.get(ind.get("comparison", ">="), "≥")}
                for ind in node.get("indicators", [])
            ]
            rows.append(row)
            walk(node.get("tasks", []), code, depth + 1, rows)

    for project in tree["projects"]:
        rows = []
        walk(project["tasks"], str(project["number"]), 0, rows)
        review.projects.append((project, rows))
        review.rows += rows
    review.leaving = len(set(stored) - {row.code for row in review.rows})
    names = {d.name for d in departments}
    review.units = unknown_units(tree, known=names)
    return review


# --- views ---------------------------------------------------------------------------------


@login_required
def plan_import(request):
    """Upload or paste a plan (GET, POST), review it (POST), confirm the import (POST)."""
    require(request.user, Action.IMPORT)
    if request.method == "POST" and "confirm" in request.POST:
        return confirm_import(request)
    if request.method == "POST":
        return preview_import(request)
    form = PlanUploadForm(initial={"year": timezone.localdate().year})
    return render(request, "supervision/plan_import.html", {"form": form})


def preview_import(request):
    """Parse the upload and show the review page; writes nothing."""
    form = PlanUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "supervision/plan_import.html", {"form": form})
    tree, source = form.cleaned_data["tree"], form.cleaned_data["source"]
    year, own_plan = form.cleaned_data["year"], form.cleaned_data.get("own_plan", False)
    source_form = PlanSourceForm(
        initial={
            "year": year,
            "source": source,
            "own_plan": own_plan,
            "signature": sign_source(year, source, own_plan),
        }
    )
    departments, choices = load_departments()
    review = build_review(tree, source, departments)
    corrections = PlanCorrectionsForm(
        rows=review.rows, department_choices=choices, units=review.units
    )
    return render_review(request, review, source_form, corrections)


def render_review(request, review, source_form, corrections):
    """The review page: the tree, project by project, each task with its correction fields."""

    def fields(row):
        if not corrections.editable:
            return row, None, None, None, None
        confirm = corrections[row.confirm_key] if row.confirm_key in corrections.fields else None
        return (
            row,
            corrections[row.lead_key],
            corrections[row.due_key],
            corrections[row.title_key],
            confirm,
        )

    projects = [(project, [fields(row) for row in rows]) for project, rows in review.projects]
    context = {
        "review": review,
        "source_form": source_form,
        "corrections": corrections,
        "projects": projects,
    }
    return render(request, "supervision/plan_import_review.html", context)


def confirm_import(request):
    """Re-parse the reviewed text, write it and the corrections in one transaction, redirect."""
    source_form = PlanSourceForm(request.POST)
    if not source_form.is_valid():
        form = PlanUploadForm(initial={"year": timezone.localdate().year})
        errors = source_form.non_field_errors() or ["预览内容无效，请重新上传计划文档。"]
        context = {"form": form, "errors": errors}
        return render(request, "supervision/plan_import.html", context, status=400)
    tree, source = source_form.cleaned_data["tree"], source_form.cleaned_data["source"]
    departments, choices = load_departments()
    review = build_review(tree, source, departments)
    corrections = PlanCorrectionsForm(
        request.POST, rows=review.rows, department_choices=choices, units=review.units
    )
    if not corrections.is_valid():
        return render_review(request, review, source_form, corrections)

    with transaction.atomic():
        for name, department_id in corrections.unit_mappings().items():
            DepartmentAlias.objects.update_or_create(
                alias=name[:100], defaults={"department_id": department_id}
            )
        result = apply_plan(tree, source_text=source)
        changes = corrections.corrections()
        corrected = apply_corrections(result.plan, changes)
        remember_corrections(source_sha256(source), remembered(changes, departments, review))
    report_result(request, result, corrected)
    return redirect("plan_import")


def apply_corrections(plan, corrections):
    """Save each corrected task through the model (so its history names the user)."""
    if not corrections:
        return 0
    tasks = Task.objects.filter(project__plan=plan, code__in=list(corrections)).select_related(
        "project", "parent"
    )
    count = 0
    for task in tasks:
        values = corrections[task.code]
        changed = [key for key, value in values.items() if getattr(task, key) != value]
        if changed:
            for key in changed:
                setattr(task, key, values[key])
            task.save()
            count += 1
    return count


def remembered(changes, departments, review):
    """The corrections as PlanCorrection values (lead by department name, due as ISO date)."""
    names = {d.pk: d.name for d in departments}
    rows = {row.code: row for row in review.rows}
    out = {}
    for code, values in changes.items():
        keep = {}
        if "title" in values:
            keep["title"] = values["title"]
        if "lead_department_id" in values:
            keep["lead"] = names.get(values["lead_department_id"], "")
        elif values.get("lead_suggested") is False and rows[code].lead_name:
            keep["lead"] = rows[code].lead_name  # a confirmed suggestion
        if "due_date" in values:
            keep["due"] = values["due_date"].isoformat() if values["due_date"] else ""
        if keep:
            out[code] = keep
    return out


def report_result(request, result, corrected):
    """The ImportResult as Chinese messages for the page after the redirect."""
    plan = result.plan
    messages.success(
        request,
        f"已导入{plan.year}年计划《{plan.title}》：新增 {result.created} 条，"
        f"更新 {result.updated} 条，删除 {result.deleted} 条记录"
        + (f"；按核对意见修改了 {corrected} 项任务" if corrected else "")
        + "。"
        + ("" if result.changed or corrected else "内容与上次导入相同，未作改动。"),
    )
    if result.new_departments:
        messages.info(request, "新建单位：" + "、".join(result.new_departments) + "。")
    if result.kept:
        messages.warning(
            request,
            f"文档中已无、但已有进展而保留的任务 {len(result.kept)} 项：" + named(result.kept),
        )
    unplaced = list(
        Task.objects.filter(project__plan=plan, lead_department=None)
        .order_by("path")
        .values_list("code", "title")
    )
    if unplaced:
        messages.warning(
            request,
            f"仍有 {len(unplaced)} 项任务未确定牵头单位，请在后台补充：" + named(unplaced),
        )


def named(tasks):
    """'1.2 标题；1.3 标题……' for a message, at most LIST_LIMIT of them."""
    text = "；".join(f"{code} {title}" for code, title in tasks[:LIST_LIMIT])
    more = len(tasks) - LIST_LIMIT
    return text + (f" 等（另有 {more} 项）" if more > 0 else "") + "。"
