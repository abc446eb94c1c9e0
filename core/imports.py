"""Importing records from a spreadsheet (.xlsx or .csv) that offices keep today: every row is
checked by the record's own form before anything is written; a file with a bad row writes
nothing and names each bad row; a good file is saved in one transaction, row by row through
the app's service (the same function as the form page).

An app declares an `Importer`: the columns (header → form field), the form class, and
`save(form, user)`; `import_page` serves the upload page of it.
"""

import csv
import io
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render

from .access import require
from .excel import SheetError, bounded_rows, cell_text, normalise_header, open_workbook
from .models import Department
from .records import sees_all

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000


@dataclass(frozen=True)
class Importer:
    app: str
    title: str  # "应急物资储备"
    columns: dict  # header (as in the sheet) -> form field name
    form: type  # a core.records.RecordForm
    save: object  # (form, user) -> record
    back: str  # URL name of the list page
    required: tuple = ()  # headers that must be present


@dataclass
class Outcome:
    saved: int = 0
    errors: list = None  # [(row number, message)]


class UploadForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx 或 .csv）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("文件过大（不超过 5 MB）。")
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("请上传 Excel（.xlsx）或 CSV（.csv）文件。")
        return upload


class SharedForm(forms.Form):
    """What every row of a file shares: the task the records serve and their department."""

    def __init__(self, *args, model, user, **kwargs):
        super().__init__(*args, **kwargs)
        tasks = model._meta.get_field("task").related_model.objects
        self.fields["task"] = forms.ModelChoiceField(
            label="所属任务", queryset=tasks.order_by("-project__plan__year", "path")
        )
        departments = Department.objects.filter(is_active=True)
        if not sees_all(user):
            departments = departments.filter(pk=user.department_id)
        self.fields["department"] = forms.ModelChoiceField(label="单位", queryset=departments)

    def rows_data(self):
        return {
            "task": self.cleaned_data["task"].pk,
            "department": self.cleaned_data["department"].pk,
        }


def read_rows(upload, headers):
    """[(row number, {header: text})] of the uploaded file, by the header row (the first row
    among the first ten that has the first of `headers`). SheetError for an unreadable file."""
    if upload.name.lower().endswith(".csv"):
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise SheetError("CSV 文件编码无法识别，请以 UTF-8 编码保存。")
        return _by_header(enumerate(csv.reader(io.StringIO(text)), start=1), headers)
    with open_workbook(upload) as workbook:
        sheet = workbook.worksheets[0]
        values = bounded_rows(sheet, max_rows=MAX_ROWS + 10, max_cols=40)
        return _by_header(enumerate(values, start=1), headers)


def _by_header(numbered, headers):
    wanted = {normalise_header(h): h for h in headers}
    index = None
    rows = []
    for number, values in numbered:
        names = [normalise_header(v) for v in values]
        if index is None:
            if normalise_header(headers[0]) in names:
                index = {wanted[n]: i for i, n in enumerate(names) if n in wanted}
            elif number >= 10:
                break
            continue
        cells = {h: cell_text(values[i]) if i < len(values) else "" for h, i in index.items()}
        if any(cells.values()):
            rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise SheetError(f"行数过多（超过 {MAX_ROWS} 行），请分批导入。")
    if index is None:
        raise SheetError(f"没有找到表头：第一列应为“{headers[0]}”。")
    return rows


def _bound(importer, cells, user, extra):
    """The importer's form bound to one row; choice labels become their values."""
    form = importer.form(user=user)
    data = dict(extra)
    for header, name in importer.columns.items():
        text = cells.get(header, "")
        field = form.fields.get(name)
        choices = getattr(field, "choices", None)
        if choices and not hasattr(field, "queryset"):
            labels = {str(label): value for value, label in choices}
            text = labels.get(text, text)
        data[name] = text
    return importer.form(data, user=user)


def run_import(importer, upload, user, extra):
    """Check every row, then save all (one transaction) or nothing. `extra` is what every
    row shares (the task, the department)."""
    rows = read_rows(upload, list(importer.columns))
    present = set(rows[0][1]) if rows else set(importer.required)
    missing = [h for h in importer.required if h not in present]
    if missing:
        raise SheetError("缺少必填列：" + "、".join(missing))
    if not rows:
        raise SheetError("文件中没有数据行。")
    forms_ok, errors = [], []
    for number, cells in rows:
        form = _bound(importer, cells, user, extra)
        if form.is_valid():
            forms_ok.append(form)
            continue
        for name, problems in form.errors.items():
            label = next((h for h, n in importer.columns.items() if n == name), "")
            label = label or (form.fields[name].label if name in form.fields else "")
            for problem in problems:
                errors.append((number, f"{label}：{problem}" if label else problem))
    if errors:
        return Outcome(0, errors)
    with transaction.atomic():
        for form in forms_ok:
            importer.save(form, user)
    return Outcome(len(forms_ok), [])


def import_page(importer):
    """The upload page of `importer`."""
    model = importer.form._meta.model

    @login_required
    def view(request):
        user = request.user
        require(
            user, f"{importer.app}.add", message=f"只有承办单位的人员可以导入{importer.title}。"
        )
        outcome = None
        if request.method == "POST":
            upload = UploadForm(request.POST, request.FILES)
            shared = SharedForm(request.POST, model=model, user=user)
            if upload.is_valid() and shared.is_valid():
                try:
                    outcome = run_import(
                        importer, upload.cleaned_data["file"], user, shared.rows_data()
                    )
                except SheetError as error:
                    upload.add_error("file", str(error))
                if outcome and not outcome.errors:
                    messages.success(request, f"已导入 {outcome.saved} 条{importer.title}。")
                    return redirect(importer.back)
        else:
            upload = UploadForm()
            initial = {"department": user.department_id, "task": request.GET.get("task")}
            shared = SharedForm(initial=initial, model=model, user=user)
        context = {"importer": importer, "upload": upload, "shared": shared, "outcome": outcome}
        return render(request, "core/records/import.html", context, status=200)

    return view
