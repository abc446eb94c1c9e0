from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from core.models import Department
from core.months import parse_month

from .choices import Kpi, Opinion, OrderState
from .models import HotlineUnit, Inquiry, Proposal, WorkOrderImport


class ImportForm(forms.Form):
    file = forms.FileField(
        label="工单导出文件",
        help_text="12345 系统导出的 CSV 或 Excel（.xlsx）文件，第一行为列名。",
        error_messages={"required": "请选择要导入的文件。", "empty": "上传的文件是空的。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = WorkOrderImport._meta.get_field("task")
        self.fields["task"] = forms.ModelChoiceField(
            label="所属任务",
            queryset=field.related_model.objects.select_related("project"),
            required=False,
            empty_label="（不关联任务）",
            help_text=field.help_text,
        )
        last = WorkOrderImport.objects.exclude(task=None).values_list("task", flat=True).first()
        self.fields["task"].initial = last

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError("只能导入 CSV（.csv）或 Excel（.xlsx）格式的文件。")
        limit = settings.HOTLINE_UPLOAD_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"文件过大（{filesizeformat(upload.size)}），网页导入限 {filesizeformat(limit)}；"
                "全年的工单请由管理员用 import_workorders 命令导入。"
            )
        return upload


class MonthField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError("月份格式应为 YYYY-MM，例如 2026-03。")
        return month


class OrderFilter(forms.Form):
    """The work-order list's filters (GET)."""

    month = MonthField(label="受理月份", required=False)
    unit = forms.ModelChoiceField(
        label="网络单位", queryset=HotlineUnit.objects.none(), required=False, empty_label="全部"
    )
    category = forms.CharField(label="诉求分类", required=False, max_length=50)
    state = forms.ChoiceField(
        label="办理情况", choices=[("", "全部"), *OrderState.choices], required=False
    )
    number = forms.CharField(label="工单编号", required=False, max_length=40)

    def __init__(self, data, *, units):
        super().__init__(data)
        self.fields["unit"].queryset = units


class KpiForm(forms.Form):
    month = MonthField(label="月份", required=False)
    rank = forms.ChoiceField(label="排名依据", choices=Kpi.choices, required=False)


class InquiryForm(forms.ModelForm):
    class Meta:
        model = Inquiry
        fields = ["number", "title", "channel", "asked_at", "department", "due_date", "task"]
        widgets = {
            "asked_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
        }
        error_messages = {
            "number": {"unique": "这个编号已经登记过。", "required": "请填写编号。"},
            "title": {"required": "请填写问题。"},
            "asked_at": {"required": "请填写提问时间。", "invalid": "请填写有效的日期时间。"},
            "department": {"required": "请选择答复单位。"},
            "due_date": {"invalid": "请填写有效的日期，例如 2026-03-05。"},
        }
        help_texts = {"due_date": "不填则为提问后 5 天。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True)
        self.fields["due_date"].required = False
        self.fields["task"].queryset = self.fields["task"].queryset.select_related("project")

    def clean(self):
        data = super().clean()
        asked, due = data.get("asked_at"), data.get("due_date")
        if asked and due and due < timezone.localdate(asked):
            self.add_error("due_date", "答复时限不能早于提问时间。")
        if asked and asked > timezone.now():
            self.add_error("asked_at", "提问时间不能晚于现在。")
        return data


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label="答复内容",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "请填写答复内容。",
            "max_length": "答复内容不能超过 %(limit_value)d 个字（现有 %(show_value)d 个字）。",
        },
    )

    def clean_answer(self):
        answer = self.cleaned_data["answer"].strip()
        if not answer:
            raise forms.ValidationError("请填写答复内容。")
        return answer


class ProposalForm(forms.ModelForm):
    class Meta:
        model = Proposal
        fields = [
            "number", "kind", "title", "proposer", "topic", "lead_department",
            "partner_departments", "received_on", "due_date", "key", "task",
        ]  # fmt: skip
        widgets = {
            "received_on": forms.DateInput(attrs={"type": "date"}),
            "due_date": forms.DateInput(attrs={"type": "date"}),
            "partner_departments": forms.SelectMultiple(attrs={"size": 6}),
        }
        error_messages = {
            "number": {"unique": "这个编号已经登记过。", "required": "请填写编号。"},
            "kind": {"required": "请选择类别。"},
            "title": {"required": "请填写标题。"},
            "proposer": {"required": "请填写提出人。"},
            "lead_department": {"required": "请选择主办单位。"},
            "received_on": {"required": "请填写交办日期。", "invalid": "请填写有效的日期。"},
            "due_date": {"required": "请填写办理时限。", "invalid": "请填写有效的日期。"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = Department.objects.filter(is_active=True)
        self.fields["lead_department"].queryset = active
        self.fields["partner_departments"].queryset = active
        self.fields["task"].queryset = self.fields["task"].queryset.select_related("project")

    def clean(self):
        data = super().clean()
        received, due = data.get("received_on"), data.get("due_date")
        if received and due and due < received:
            self.add_error("due_date", "办理时限不能早于交办日期。")
        lead = data.get("lead_department")
        if lead and lead in (data.get("partner_departments") or []):
            self.add_error("partner_departments", "主办单位不能同时是协办单位。")
        return data


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label="答复内容",
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "请填写答复内容。", "max_length": "答复内容过长。"},
    )

    def clean_reply(self):
        text = self.cleaned_data["reply"].strip()
        if not text:
            raise forms.ValidationError("请填写答复内容。")
        return text


class OpinionForm(forms.Form):
    opinion = forms.TypedChoiceField(
        label="代表委员评价",
        choices=Opinion.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择评价。", "invalid_choice": "请选择评价。"},
    )
    implemented = forms.BooleanField(label="承诺事项已落实", required=False)
    new_due = forms.DateField(
        label="二次办理时限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="评价为不满意时必填。",
        error_messages={"invalid": "请填写有效的日期。"},
    )

    def clean(self):
        data = super().clean()
        if data.get("opinion") == Opinion.UNSATISFIED:
            due = data.get("new_due")
            if due is None and "new_due" not in self.errors:
                self.add_error("new_due", "评价为不满意时，请填写二次办理时限。")
            elif due is not None and due <= timezone.localdate():
                self.add_error("new_due", "二次办理时限应晚于今天。")
        return data


class RegisterImportForm(forms.Form):
    file = forms.FileField(
        label="登记表",
        help_text="CSV 或 Excel（.xlsx）文件，第一行为列名。",
        error_messages={"required": "请选择要导入的文件。", "empty": "上传的文件是空的。"},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("只能导入 CSV（.csv）或 Excel（.xlsx）格式的文件。")
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(
                f"文件过大（{filesizeformat(upload.size)}），登记表限 5 MB。"
            )
        return upload


class CaseForm(forms.Form):
    """集中督办: the item's title, lead department and deadline (the text is generated)."""

    title = forms.CharField(
        label="督办事项标题",
        max_length=200,
        error_messages={"required": "请填写标题。", "max_length": "标题不能超过 200 个字。"},
    )
    lead_department = forms.ModelChoiceField(
        label="牵头单位",
        queryset=Department.objects.filter(is_active=True),
        error_messages={"required": "请选择牵头单位。", "invalid_choice": "请选择有效的单位。"},
    )
    due_date = forms.DateField(
        label="完成时限",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写完成时限。", "invalid": "请填写有效的日期。"},
    )

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("请填写标题。")
        return title

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due <= timezone.localdate():
            raise forms.ValidationError("完成时限应晚于今天。")
        return due
