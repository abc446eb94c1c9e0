"""Forms of the supervision pages. Messages are Chinese; limits keep huge input out."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core import scoring
from core.files import FilesField
from core.models import Department
from core.roles import Role
from core.validators import sane_date

from .choices import ListingLevel, Rhythm, Source
from .item_defaults import propose_defaults
from .models import (
    Bulletin,
    Instruction,
    Listing,
    Milestone,
    PartnerNote,
    Project,
    SchemeCriterion,
    Task,
    User,
)
from .planio import PlanParseError, decode_plan_bytes, iter_tasks, read_plan, read_plan_file
from .reporting import REPORT_FIELDS, TEXT_LIMIT, report_errors

COUNT_UNITS = {
    "家",
    "个",
    "次",
    "项",
    "人",
    "户",
    "件",
    "所",
    "场",
    "期",
    "批",
    "条",
    "名",
    "台",
    "套",
}
PERCENT_UNITS = {"%", "％", "个百分点"}


def text_field(label, required=False, rows=4, max_length=TEXT_LIMIT, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": f"请填写{label}。"},
    )


def indicator_value(indicator, raw):
    """Parse `raw` as a value of `indicator`, by its unit: counts are whole numbers ≥ 0,
    percentages lie in 0–100, anything else is a number ≥ 0; a relative indicator's value is
    its margin over the reference, negative when below. Raises ValidationError."""
    raw = (raw or "").strip().replace(",", "").replace("，", "")
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise forms.ValidationError(f"“{indicator.name}”请填写数字。") from None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise forms.ValidationError(f"“{indicator.name}”的数值超出范围。")
    if value < 0 and not indicator.is_relative:  # a relative one reports its margin
        raise forms.ValidationError(f"“{indicator.name}”不能为负数。")
    if indicator.unit in COUNT_UNITS and value != value.to_integral_value():
        raise forms.ValidationError(f"“{indicator.name}”以“{indicator.unit}”计，请填写整数。")
    if indicator.unit in PERCENT_UNITS and value > 100:
        raise forms.ValidationError(f"“{indicator.name}”是百分比，应在 0 到 100 之间。")
    return value.quantize(Decimal("0.01"))


def report_text(label, rows, help_text=""):
    """A text of the monthly report; its length is a rule of reporting.report_errors (the
    browser is only told the limit)."""
    field = text_field(label, rows=rows, max_length=None, help_text=help_text)
    field.widget.attrs["maxlength"] = TEXT_LIMIT
    return field


class ReportForm(forms.Form):
    """The monthly report: 本月进展, 存在问题, 下步计划, percent, indicator values.

    The form only parses; the rules (a percent from 0 to 100, the text limits, 本月进展 to
    submit, 进度说明 for a lower percent) are reporting.report_errors, the same for the
    department page and the Excel upload."""

    progress = report_text("本月进展", rows=5)
    problems = report_text("存在问题", rows=3)
    next_steps = report_text("下步计划", rows=3)
    percent = forms.IntegerField(
        label="月末完成进度（%）",
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100}),
        error_messages={"invalid": "月末进度请填写 0 到 100 之间的整数。"},
    )
    percent_note = report_text("进度说明", rows=2, help_text="进度低于上月时，请说明原因。")
    problems_public = forms.BooleanField(
        label="“存在问题”可随进展向社会公开（市办实事）", required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    files = FilesField()

    def __init__(self, *args, indicators=(), previous_percent=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        self.previous_percent = previous_percent
        for indicator in self.indicators:
            self.fields[f"indicator_{indicator.pk}"] = forms.CharField(
                label=f"{indicator.name}（目标 {indicator.get_comparison_display()} "
                f"{indicator.target_display}）",
                required=False,
                max_length=30,
                help_text=(
                    f"填写高出“{indicator.reference}”的百分点数，低于时填负数。"
                    if indicator.is_relative
                    else ""
                ),
            )

    def clean(self):
        data = super().clean()
        for indicator in self.indicators:
            name = f"indicator_{indicator.pk}"
            if name in data:
                try:
                    data[name] = indicator_value(indicator, data[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        if all(name in data for name in ("progress", "percent", "percent_note")):
            errors = report_errors(
                data, previous_percent=self.previous_percent, submit=self.submitting()
            )
            for name, messages in errors.items():
                for message in messages:
                    self.add_error(name, message)
        return data

    def indicator_values(self):
        return {i: self.cleaned_data.get(f"indicator_{i.pk}") for i in self.indicators}

    def submitting(self):
        return "submit" in self.data

    def report_data(self):
        return {name: self.cleaned_data[name] for name in REPORT_FIELDS}

    def show(self, error):
        """Put the messages of a ReportInvalid beside their fields."""
        for name, messages in error.errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class ReturnForm(forms.Form):
    reason = text_field("退回原因", required=True, rows=3, max_length=2000)


def listing_version(listing):
    """The token of a listing's state a form was shown: its last change, or "" for none."""
    if listing is None or listing.pk is None:
        return ""
    return listing.updated_at.isoformat()


class ListingForm(forms.ModelForm):
    class Meta:
        model = Listing
        fields = ["level", "reason", "deadline", "is_public"]
        widgets = {
            "reason": forms.Textarea(attrs={"rows": 3}),
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {
            "reason": {"required": "请填写挂牌事由。"},
            "deadline": {"required": "请填写督办时限。", "invalid": "请填写正确的日期。"},
            "level": {"required": "请选择挂牌级别。", "invalid_choice": "请选择有效的挂牌级别。"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = ListingLevel.choices
        # The optimistic version check (supervision/services.py): what the editor saw.
        self.fields["version"].initial = listing_version(self.instance)
        self.fields["reason"].max_length = 2000

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        if len(reason) > 2000:
            raise forms.ValidationError("挂牌事由不能超过 2000 字。")
        return reason

    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        sane_date(deadline)
        if self.instance.pk is None and deadline < timezone.localdate():
            raise forms.ValidationError("督办时限不能早于今天。")
        return deadline


class LiftForm(forms.Form):
    lift_reason = text_field("摘牌原因", required=True, rows=3, max_length=2000)


class RemindForm(forms.Form):
    message = text_field(
        "催办内容", rows=3, max_length=1000, help_text="可不填，系统按任务情况自动生成。"
    )


class InstructionForm(forms.ModelForm):
    class Meta:
        model = Instruction
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"text": {"required": "请填写批示内容。"}}

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if len(text) > 2000:
            raise forms.ValidationError("批示内容不能超过 2000 字。")
        return text


class AnswerForm(forms.Form):
    response = text_field("落实情况", required=True, rows=3, max_length=2000)


class MilestoneForm(forms.ModelForm):
    """A 节点 ticked done (or its completion corrected), with 佐证材料."""

    files = FilesField()

    class Meta:
        model = Milestone
        fields = ["completed_on", "note"]
        widgets = {
            "completed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.TextInput(),
        }
        error_messages = {"completed_on": {"invalid": "请填写正确的日期。"}}

    def clean_completed_on(self):
        day = self.cleaned_data["completed_on"]
        sane_date(day)
        if day and day > timezone.localdate():
            raise forms.ValidationError("完成日期不能晚于今天。")
        return day

    def clean_note(self):
        note = self.cleaned_data["note"]
        if len(note) > 1000:
            raise forms.ValidationError("说明不能超过 1000 字。")
        return note


class PartnerNoteForm(forms.ModelForm):
    class Meta:
        model = PartnerNote
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"text": {"required": "请填写配合工作情况。"}}

    def clean_text(self):
        text = self.cleaned_data["text"]
        if len(text) > TEXT_LIMIT:
            raise forms.ValidationError(f"不能超过 {TEXT_LIMIT} 字。")
        return text


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="重开原因",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "重开已关账的月份必须说明原因。",
            "max_length": "重开原因不能超过 1000 字。",
        },
    )


# --- the plan import page (views/plans.py) ----------------------------------------------

MAX_BYTES = 2 * 1024 * 1024  # the largest plan document accepted, file or pasted text
# The most tasks one confirmation writes from this page: measured at about 25 ms a task on
# PostgreSQL on a busy 2-core machine, so a confirm stays well under 10 s (gunicorn's timeout
# is 30 s). A larger plan goes through `manage.py import_plan` on the server (README).
MAX_TASKS = 250
MIN_YEAR, MAX_YEAR = 2000, 2100
SIGNATURE_SALT = "supervision.views_plans.plan_import"
SPARE_FIELDS = 10  # the review form's fields besides the corrections (csrf, hidden, button)
FIELDS_PER_ROW = 4  # title, lead, partners, due; see row_field_count for the others
FIELDS_PER_MEASURE = 2  # lead, partners
UNITS_MAX_LENGTH = 1000

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


class UnitsField(forms.CharField):
    """Unit names separated by 、 (or ， , ；); cleans to a list without repeats."""

    def to_python(self, value):
        value = super().to_python(value)
        if len(value) > UNITS_MAX_LENGTH:
            raise forms.ValidationError(f"单位名称合计不能超过 {UNITS_MAX_LENGTH} 字。")
        names = [n.strip() for n in re.split(r"[、，,；;\s]+", value)]
        return list(dict.fromkeys(n for n in names if n))

    def has_changed(self, initial, data):
        return self.to_python(data) != self.to_python(initial)


def units_field(label, names):
    return UnitsField(
        label=label,
        required=False,
        initial="、".join(n for n in names if n),
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "list": "unit-names",
                "maxlength": UNITS_MAX_LENGTH,
            }
        ),
    )


class PlanSourceForm(forms.Form):
    """Step 2's hidden part: the reviewed text and year, with their signature.

    A valid form has re-parsed the text: `cleaned_data["tree"]`."""

    year = forms.IntegerField(
        min_value=MIN_YEAR, max_value=MAX_YEAR, error_messages=YEAR_ERRORS, widget=forms.HiddenInput
    )
    source = forms.CharField(strip=False, widget=forms.HiddenInput)
    own_plan = forms.BooleanField(required=False, widget=forms.HiddenInput)
    signature = forms.CharField(widget=forms.HiddenInput)
    # the splits and merges made so far (planio.restructure), applied on every re-parse
    structure = forms.CharField(required=False, max_length=10000, widget=forms.HiddenInput)

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
            cleaned["tree"] = read_plan(
                source, year, own_plan=own_plan, structure=cleaned.get("structure") or ""
            )
        except PlanParseError as exc:
            raise forms.ValidationError(str(exc)) from None
        return cleaned


def row_field_count(row):
    """The fields of a task on the review page (those of its measures aside): title, lead,
    partners and due date; the confirmation of a guessed lead, a split (two measures or more)
    and a merge (a next task at its level) where they apply."""
    measures = len(row.node.get("measures", []))
    return FIELDS_PER_ROW + bool(row.lead_suggested) + (measures >= 2) + row.has_next


class PlanCorrectionsForm(forms.Form):
    """Step 2's visible part: for every task of the tree its title, lead department, partner
    units and due date, a split before one of its measures and a merge with the next task;
    for every measure its lead and partner units (names, from the page's list of units).

    Fields are `title_<code>`, `lead_<code>`, `partners_<code>`, `due_<code>`,
    `split_<code>`, `merge_<code>`, `mlead_<code>_<n>` and `mpartners_<code>_<n>`; their
    initial values are what the import will write if left alone (see `Row`), so
    `changed_data` is exactly the admin's corrections.

    Django refuses a POST of more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields with a bare 400:
    a plan too large for the measures' fields gets only the tasks' (`measures_editable` is
    False); one too large for those gets none, and is imported as parsed and corrected in the
    admin afterwards (`editable` is False)."""

    def __init__(self, *args, rows, department_choices, units=(), proposals=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.units = list(units)
        # unit → department id whose name differs only by a prefix or suffix: pre-selected
        self.proposals = proposals or {}
        self.unit_names = {
            label.removesuffix("（已停用）")
            for _group, options in department_choices
            for _pk, label in options
        } | set(self.units)
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        needed = sum(row_field_count(row) for row in rows) + len(self.units) + SPARE_FIELDS
        measures = sum(len(row.node.get("measures", [])) for row in rows)
        self.editable = limit is None or needed <= limit
        self.measures_editable = limit is None or needed + FIELDS_PER_MEASURE * measures <= limit
        for index, name in enumerate(self.units if self.editable else []):
            proposed = self.proposals.get(name)
            self.fields[f"unit_{index}"] = forms.ChoiceField(
                label=name,
                required=False,
                choices=[("", f"新建单位“{name}”"), *department_choices],
                initial=str(proposed) if proposed else "",
                help_text="名称仅差前缀或后缀，建议对应所选单位；确认导入后记为别名。"
                if proposed
                else "",
                error_messages={"invalid_choice": "所选单位不存在，请从列表中重新选择。"},
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
        for row in rows if self.editable else []:
            self.add_task_fields(row, department_choices)
            for measure, lead_key, partners_key in row.measures if self.measures_editable else []:
                label = f"{row.code} 第{measure['number']}条措施"
                self.fields[lead_key] = units_field(
                    f"{label}牵头单位", [measure.get("lead_department")]
                )
                self.fields[partners_key] = units_field(
                    f"{label}配合单位", measure.get("partner_departments", [])
                )

    def add_task_fields(self, row, department_choices):
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
        self.fields[row.partners_key] = units_field(
            f"{row.code} 配合单位", row.node.get("partner_departments", [])
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
        count = len(row.node.get("measures", []))
        if count >= 2:
            self.fields[row.split_key] = forms.TypedChoiceField(
                label=f"{row.code} 拆分",
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", "不拆分")]
                + [(str(n), f"从第{n}条措施起拆为新任务") for n in range(2, count + 1)],
                error_messages={"invalid_choice": "请从列表中选择拆分位置。"},
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
        if row.has_next:
            self.fields[row.merge_key] = forms.BooleanField(
                label="与下一项合并", required=False, initial=False
            )

    def clean(self):
        cleaned = super().clean()
        for name in self.changed_data:
            if name.startswith(("partners_", "mlead_", "mpartners_")) and name in cleaned:
                unknown = [n for n in cleaned[name] if n not in self.unit_names]
                if unknown:
                    self.add_error(
                        name,
                        f"“{unknown[0]}”不是已有单位，也不是文档中写明的单位，请从列表中选择。",
                    )
                elif name.startswith("mlead_") and len(cleaned[name]) > 1:
                    self.add_error(name, "牵头单位只能填写一个。")
        for row in self.rows:
            due = cleaned.get(row.due_key)
            if row.due_key in self.changed_data and due and row.start_date:
                if due < row.start_date:
                    self.add_error(
                        row.due_key, f"完成时限不能早于开始日期（{row.start_date:%Y-%m-%d}）。"
                    )
        return cleaned

    def corrections(self):
        """{code: {"title", "lead_department_id", "due_date", "lead_suggested", "partners"}} and
        {"code/n": {"lead", "partners"}} for the measures, changed only."""
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
            if row.partners_key in self.changed_data:
                values["partners"] = self.cleaned_data[row.partners_key]
            if values:
                out[row.code] = values
            for measure, lead_key, partners_key in row.measures:
                values = {}
                if lead_key in self.changed_data:
                    lead = self.cleaned_data[lead_key]
                    values["lead"] = lead[0] if lead else None
                if partners_key in self.changed_data:
                    values["partners"] = self.cleaned_data[partners_key]
                if values:
                    out[f"{row.code}/{measure['number']}"] = values
        return out

    def structure_changes(self):
        """The splits and merges asked for, as restructure ops, in reverse document order (so
        that each op's code is still the one shown: an op only renumbers what follows it); a
        task's merge before its split."""
        ops = []
        for row in reversed(self.rows):
            if self.cleaned_data.get(row.merge_key):
                ops.append(("merge", row.code, None))
            if self.cleaned_data.get(row.split_key):
                ops.append(("split", row.code, self.cleaned_data[row.split_key]))
        return ops

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


DATE_WIDGET = {"type": "date"}


def date_input():
    return forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d")


class ItemForm(forms.ModelForm):
    """立项: a 督办事项 from any source (not the annual plan's: those come from its import)."""

    class Meta:
        model = Task
        fields = [
            "source",
            "urgency",
            "doc_number",
            "doc_date",
            "title",
            "text",
            "lead_department",
            "partner_departments",
            "responsible_leader",
            "due_date",
            "rhythm",
            "linked_project",
        ]
        labels = {"text": "事项内容（全文）", "linked_project": "关联年度计划工程（可不选）"}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6}),
            "doc_date": date_input(),
            "due_date": date_input(),
            "partner_departments": forms.SelectMultiple(attrs={"size": 6}),
        }
        error_messages = {
            "source": {"required": "请选择来源。", "invalid_choice": "请选择有效的来源。"},
            "title": {"required": "请填写事项标题。"},
            "text": {"required": "请填写事项内容。"},
            "lead_department": {"required": "请选择牵头单位。"},
            "due_date": {"required": "请填写完成时限。", "invalid": "请填写正确的日期。"},
            "doc_date": {"invalid": "请填写正确的日期。"},
            "rhythm": {"required": "请选择报送节奏。", "invalid_choice": "请选择有效的报送节奏。"},
        }

    files = FilesField(label="来文或附件")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [
            (value, label) for value, label in Source.choices if value != Source.PLAN
        ]
        for name in ("lead_department", "due_date", "rhythm"):
            self.fields[name].required = True
        propose_defaults(self)  # issue 12: deadline and rhythm from the source and urgency
        self.fields["rhythm"].choices = Rhythm.choices
        active = Department.objects.filter(is_active=True)
        self.fields["lead_department"].queryset = active
        self.fields["partner_departments"].queryset = active
        self.fields["partner_departments"].required = False
        self.fields["responsible_leader"].queryset = User.objects.filter(
            is_active=True, groups__name=Role.LEADER.label
        ).distinct()
        self.fields["linked_project"].queryset = Project.objects.select_related("plan").order_by(
            "-plan__year", "number"
        )
        self.fields["title"].max_length = 200
        self.fields["doc_number"].max_length = 100

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if len(text) > TEXT_LIMIT:
            raise forms.ValidationError(f"事项内容不能超过 {TEXT_LIMIT} 字（现 {len(text)} 字）。")
        if not text:
            raise forms.ValidationError("请填写事项内容。")
        return text

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("请填写事项标题。")
        return title

    def clean_doc_date(self):
        day = self.cleaned_data["doc_date"]
        sane_date(day)
        if day and day > timezone.localdate():
            raise forms.ValidationError("来文日期不能晚于今天。")
        return day

    def clean_due_date(self):
        day = self.cleaned_data["due_date"]
        sane_date(day)
        if day and day < timezone.localdate():
            raise forms.ValidationError("完成时限不能早于今天。")
        return day

    def clean(self):
        data = super().clean()
        lead, partners = data.get("lead_department"), data.get("partner_departments") or []
        if lead and lead in partners:
            self.add_error("partner_departments", "牵头单位不必再列为配合单位。")
        return data

    def item_data(self):
        """The Task fields for services.create_item (partners included, files apart)."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CloseApplyForm(forms.Form):
    """申请办结: what was done, with 佐证材料."""

    summary = text_field("办结情况", required=True, rows=5, max_length=TEXT_LIMIT)
    files = FilesField()


class CloseDecisionForm(forms.Form):
    """确认销号 or 退回 (a reason is needed to send it back)."""

    action = forms.ChoiceField(
        choices=[("confirm", "确认销号"), ("return", "退回")],
        error_messages={"required": "请选择确认或退回。", "invalid_choice": "请选择确认或退回。"},
    )
    reason = text_field("退回原因", rows=3, max_length=2000)

    def clean(self):
        data = super().clean()
        if data.get("action") == "return" and not (data.get("reason") or "").strip():
            self.add_error("reason", "退回时请填写原因。")
        return data


class MilestoneProposeForm(forms.ModelForm):
    """A 节点 the lead department proposes: title, planned date, deliverable."""

    class Meta:
        model = Milestone
        fields = ["title", "due_date", "deliverable"]
        widgets = {"due_date": date_input()}
        error_messages = {
            "title": {"required": "请填写节点名称。"},
            "due_date": {"required": "请填写计划完成日期。", "invalid": "请填写正确的日期。"},
        }

    def __init__(self, *args, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("请填写节点名称。")
        return title

    def clean_due_date(self):
        day = self.cleaned_data["due_date"]
        sane_date(day)
        if self.task is not None and self.task.due_date and day > self.task.due_date:
            raise forms.ValidationError(
                f"节点日期不能晚于任务完成时限 {self.task.due_date:%Y-%m-%d}。"
            )
        return day


class MilestoneChangeForm(forms.Form):
    """调整节点: a new date for an approved 节点, with the reason."""

    new_due_date = forms.DateField(
        label="调整为",
        widget=date_input(),
        error_messages={"required": "请填写调整后的日期。", "invalid": "请填写正确的日期。"},
    )
    change_reason = text_field("调整原因", required=True, rows=2, max_length=1000)

    def __init__(self, *args, milestone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestone = milestone

    def clean_new_due_date(self):
        day = self.cleaned_data["new_due_date"]
        sane_date(day)
        if self.milestone is not None and day == self.milestone.due_date:
            raise forms.ValidationError("调整后的日期与原计划日期相同。")
        task = self.milestone.task if self.milestone is not None else None
        if task is not None and task.due_date and day > task.due_date:
            raise forms.ValidationError(f"节点日期不能晚于任务完成时限 {task.due_date:%Y-%m-%d}。")
        return day


class MilestoneDecisionForm(forms.Form):
    """A supervisor approves or sends back the waiting 节点 ticked."""

    action = forms.ChoiceField(
        choices=[("approve", "确认"), ("return", "退回")],
        error_messages={"required": "请选择确认或退回。", "invalid_choice": "请选择确认或退回。"},
    )
    milestones = forms.ModelMultipleChoiceField(
        queryset=Milestone.objects.none(),
        error_messages={
            "required": "请勾选要审核的节点。",
            "invalid_choice": "所选节点不存在或已审核。",
            "invalid_pk_value": "所选节点不存在或已审核。",
        },
    )
    reason = text_field("退回原因", rows=2, max_length=1000)

    def __init__(self, *args, waiting=None, **kwargs):
        super().__init__(*args, **kwargs)
        if waiting is not None:
            self.fields["milestones"].queryset = waiting

    def clean(self):
        data = super().clean()
        if data.get("action") == "return" and not (data.get("reason") or "").strip():
            self.add_error("reason", "退回时请填写原因。")


# --- 督查通报 (views/bulletins.py) -------------------------------------------------------------


class BulletinForm(forms.ModelForm):
    """The narrative paragraphs a supervisor edits before issuing."""

    class Meta:
        model = Bulletin
        fields = [
            "issuer",
            "overview",
            "completed",
            "lagging",
            "listed",
            "escalation",
            "instructions",
            "reporting",
            "next_steps",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields if name != "issuer"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "issuer":
                field.max_length = TEXT_LIMIT
                field.validators.append(MaxLengthValidator(TEXT_LIMIT))
                field.error_messages["max_length"] = f"不能超过 {TEXT_LIMIT} 字。"


# --- 考核方案 (admin) -------------------------------------------------------------------------


class SchemeCriterionForm(forms.ModelForm):
    """A criterion of a scoring scheme: chosen among the registered ones (core/scoring.py),
    with only the rule parameters that criterion knows."""

    key = forms.ChoiceField(label="考核指标", choices=scoring.choices)

    class Meta:
        model = SchemeCriterion
        fields = ["key", "weight", "per_unit", "params", "order"]

    def clean(self):
        data = super().clean()
        criterion = scoring.CRITERIA.get(data.get("key"))
        params = data.get("params")
        if criterion and params is not None:
            if not isinstance(params, dict):
                self.add_error("params", '规则参数应为 JSON 对象，如 {"days": 7}。')
            elif unknown := set(params) - set(criterion.params):
                known = "、".join(criterion.params) or "无"
                self.add_error(
                    "params", f"该指标没有参数 {'、'.join(sorted(unknown))}（可用：{known}）。"
                )
        if data.get("weight") is not None and data["weight"] <= 0:
            self.add_error("weight", "分值必须大于 0。")
        if data.get("per_unit") is not None and data["per_unit"] < 0:
            self.add_error("per_unit", "每件扣分不能为负数。")
        return data
