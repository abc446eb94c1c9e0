"""Forms of the shared pages (the reminders page's filters)."""

from django import forms
from django.db.models import Q

from .choices import ReminderChannel, ReminderKind
from .models import Department


class ReminderFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部类型"), *ReminderKind.choices]
    )
    channel = forms.ChoiceField(
        label="渠道", required=False, choices=[("", "全部渠道"), *ReminderChannel.choices]
    )
    department = forms.ModelChoiceField(
        label="接收单位",
        required=False,
        queryset=Department.objects.filter(is_active=True),
        empty_label="全部单位",
    )
    start = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label="事项或内容", required=False, max_length=100)

    def __init__(self, *args, sees_all=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not sees_all:
            del self.fields["department"]
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data

    def filter(self, rows):
        """`rows` narrowed by the valid filters."""
        data = self.cleaned_data
        if data.get("kind"):
            rows = rows.filter(Q(kind=data["kind"]) | Q(digest__items__kind=data["kind"]))
            rows = rows.distinct()
        if data.get("channel"):
            rows = rows.filter(channel=data["channel"])
        if data.get("department"):
            rows = rows.filter(recipient__department=data["department"])
        if data.get("start"):
            rows = rows.filter(created_at__date__gte=data["start"])
        if data.get("end"):
            rows = rows.filter(created_at__date__lte=data["end"])
        text = (data.get("q") or "").strip()
        if text:
            rows = rows.filter(
                Q(subject__icontains=text) | Q(body__icontains=text) | Q(label__icontains=text)
            )
        return rows
