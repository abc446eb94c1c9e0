"""Forms of the supervision pages. Messages are Chinese; limits keep huge input out."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone

from core.validators import sane_date

from .choices import ListingLevel
from .models import Instruction, Listing, Milestone, PartnerNote
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
    percentages lie in 0–100, anything else is a number ≥ 0. Raises ValidationError."""
    raw = (raw or "").strip().replace(",", "").replace("，", "")
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise forms.ValidationError(f"“{indicator.name}”请填写数字。") from None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise forms.ValidationError(f"“{indicator.name}”的数值超出范围。")
    if value < 0:
        raise forms.ValidationError(f"“{indicator.name}”不能为负数。")
    if indicator.unit in COUNT_UNITS and value != value.to_integral_value():
        raise forms.ValidationError(f"“{indicator.name}”以“{indicator.unit}”计，请填写整数。")
    if indicator.unit in PERCENT_UNITS and value > 100:
        raise forms.ValidationError(f"“{indicator.name}”是百分比，应在 0 到 100 之间。")
    return value.quantize(Decimal("0.01"))


class ReportForm(forms.Form):
    """The monthly report: 本月进展, 存在问题, 下步计划, percent, indicator values."""

    progress = text_field("本月进展", rows=5)
    problems = text_field("存在问题", rows=3)
    next_steps = text_field("下步计划", rows=3)
    percent = forms.IntegerField(
        label="月末完成进度（%）",
        min_value=0,
        max_value=100,
        error_messages={
            "required": "请填写完成进度。",
            "invalid": "完成进度请填写 0 到 100 之间的整数。",
            "min_value": "完成进度不能小于 0。",
            "max_value": "完成进度不能大于 100。",
        },
    )
    percent_note = text_field("进度说明", rows=2, help_text="进度低于上月时，请说明原因。")
    problems_public = forms.BooleanField(
        label="“存在问题”可随进展向社会公开（市办实事）", required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, indicators=(), previous_percent=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        self.previous_percent = previous_percent
        for indicator in self.indicators:
            self.fields[f"indicator_{indicator.pk}"] = forms.CharField(
                label=f"{indicator.name}（目标 {indicator.get_comparison_display()} "
                f"{indicator.target.normalize():f}{indicator.unit}）",
                required=False,
                max_length=30,
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
