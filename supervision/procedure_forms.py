"""Forms of the 督办 procedure (issue 12): 拒签 and 改派, 延期申请 and its decision, 暂停 /
终止 / 结转, 督办升级 by hand, and the 约谈 / 通报批评 / 问责 records."""

from django import forms
from django.utils import timezone

from core.models import Department
from core.roles import Role
from core.validators import sane_date

from .choices import LadderAction, StateRequestKind
from .forms import date_input, text_field
from .models import LadderRecord, User


def _departments():
    return Department.objects.filter(is_active=True)


def _required_text(form, name, message):
    value = (form.cleaned_data.get(name) or "").strip()
    if not value:
        raise forms.ValidationError(message)
    return value


class RefuseForm(forms.Form):
    reason = text_field("拒签理由", required=True, rows=3, max_length=2000)
    suggested_department = forms.ModelChoiceField(
        label="建议承办单位（可不选）",
        queryset=Department.objects.none(),
        required=False,
        error_messages={"invalid_choice": "请选择有效的单位。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suggested_department"].queryset = _departments()

    def clean_reason(self):
        return _required_text(self, "reason", "请填写拒签理由。")


class ReassignForm(forms.Form):
    department = forms.ModelChoiceField(
        label="改派给",
        queryset=Department.objects.none(),
        error_messages={"required": "请选择改派的单位。", "invalid_choice": "请选择有效的单位。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _departments()


class ExtensionForm(forms.Form):
    new_date = forms.DateField(
        label="申请延期至",
        widget=date_input(),
        error_messages={"required": "请填写新的完成时限。", "invalid": "请填写正确的日期。"},
    )
    reason = text_field("延期理由", required=True, rows=3, max_length=2000)

    def clean_new_date(self):
        day = self.cleaned_data["new_date"]
        sane_date(day)
        if day <= timezone.localdate():
            raise forms.ValidationError("新的完成时限须晚于今天。")
        return day

    def clean_reason(self):
        return _required_text(self, "reason", "请填写延期理由。")


class DecisionForm(forms.Form):
    """Approve, or refuse with a reason."""

    decision = forms.ChoiceField(
        label="审批意见",
        choices=[("approve", "批准"), ("refuse", "不予批准")],
        error_messages={
            "required": "请选择批准或不批准。",
            "invalid_choice": "请选择批准或不批准。",
        },
    )
    reason = text_field("理由", rows=2, max_length=2000)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", "不予批准时请填写理由。")
        return data


class StateForm(forms.Form):
    """暂停 / 恢复 / 终止 / 挂账结转, each with its reason."""

    state = forms.ChoiceField(
        label="操作",
        choices=[
            ("suspend", "暂停"),
            ("resume", "恢复办理"),
            ("terminate", "终止"),
            ("carry", "挂账结转到下一年"),
        ],
        error_messages={"required": "请选择操作。", "invalid_choice": "请选择有效的操作。"},
    )
    reason = text_field("原因", required=True, rows=2, max_length=2000)

    def clean_reason(self):
        return _required_text(self, "reason", "请填写原因。")


class StateRequestForm(forms.Form):
    """The lead department applies for 暂停 or 终止, with its reason."""

    kind = forms.ChoiceField(
        label="申请",
        choices=StateRequestKind.choices,
        error_messages={"required": "请选择暂停或终止。", "invalid_choice": "请选择暂停或终止。"},
    )
    reason = text_field("申请理由", required=True, rows=2, max_length=2000)

    def clean_reason(self):
        return _required_text(self, "reason", "请填写申请理由。")


class EscalateForm(forms.Form):
    """A supervisor issues a 督办函 / 催办通知书, or opens a 约谈 / 通报批评 / 问责, by hand."""

    action = forms.ChoiceField(
        label="措施",
        choices=LadderAction.choices,
        error_messages={"required": "请选择措施。", "invalid_choice": "请选择有效的措施。"},
    )
    reason = text_field("事由", required=True, rows=3, max_length=2000)

    def clean_reason(self):
        return _required_text(self, "reason", "请填写事由。")


class InterviewForm(forms.ModelForm):
    """约谈: date, leader, attendees, minutes, follow-up items."""

    class Meta:
        model = LadderRecord
        fields = ["date", "leader", "attendees", "minutes", "follow_up"]
        widgets = {
            "date": date_input(),
            "attendees": forms.Textarea(attrs={"rows": 2}),
            "minutes": forms.Textarea(attrs={"rows": 5}),
            "follow_up": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "date": {"required": "请填写约谈日期。", "invalid": "请填写正确的日期。"},
            "leader": {"required": "请选择约谈领导。", "invalid_choice": "请选择有效的领导。"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].required = True
        self.fields["leader"].required = True
        self.fields["leader"].queryset = User.objects.filter(
            is_active=True, groups__name__in=[Role.LEADER.label, Role.SUPERVISOR.label]
        ).distinct()

    def clean_date(self):
        day = self.cleaned_data["date"]
        sane_date(day)
        return day


class DecisionRecordForm(forms.ModelForm):
    """通报批评 / 问责: decision, date and basis."""

    class Meta:
        model = LadderRecord
        fields = ["date", "decision", "basis"]
        widgets = {
            "date": date_input(),
            "decision": forms.Textarea(attrs={"rows": 3}),
            "basis": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {"date": {"required": "请填写日期。", "invalid": "请填写正确的日期。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = True

    def clean_decision(self):
        return _required_text(self, "decision", "请填写决定。")

    def clean_basis(self):
        return _required_text(self, "basis", "请填写依据。")
