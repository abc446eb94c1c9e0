"""The 食品安全 forms; every error is in Chinese beside its field."""

from django import forms
from django.utils import timezone

from core.files import FilesField
from core.records import RecordForm
from core.validators import sane_date

from .models import Accident, Campaign, Inspection


class CampaignForm(RecordForm):
    class Meta:
        model = Campaign
        fields = ["task", "name", "kind", "department", "starts_on", "ends_on", "goal", "summary"]

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "结束日期不能早于开始日期。")
        return data


class InspectionForm(RecordForm):
    class Meta:
        model = Inspection
        fields = ["task", "campaign", "place", "category", "district", "department"]
        fields += ["inspected_on", "findings", "rectify_by"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.visible_to(self.user)

    def clean(self):
        data = super().clean()
        inspected, due = data.get("inspected_on"), data.get("rectify_by")
        if inspected and inspected > timezone.localdate():
            self.add_error("inspected_on", "检查日期不能晚于今天。")
        if inspected and due and due < inspected:
            self.add_error("rectify_by", "整改期限不能早于检查日期。")
        if due and not (data.get("findings") or "").strip():
            self.add_error("findings", "有整改期限的检查须写明发现的问题。")
        return data


class RectifyForm(forms.Form):
    rectified_on = forms.DateField(
        label="整改完成日期",
        validators=[sane_date],
        error_messages={"required": "请填写整改完成日期。"},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    proof = forms.CharField(
        label="整改佐证",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="复查情况、整改前后照片说明或文书编号；必填。",
        error_messages={"required": "请填写整改佐证。"},
    )
    files = FilesField(label="佐证材料（整改前后照片、复查文书）")

    def __init__(self, *args, inspection=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inspection = inspection

    def clean_rectified_on(self):
        done = self.cleaned_data["rectified_on"]
        if done > timezone.localdate():
            raise forms.ValidationError("整改完成日期不能晚于今天。")
        if self.inspection and done < self.inspection.inspected_on:
            raise forms.ValidationError("整改完成日期不能早于检查日期。")
        return done

    def clean_proof(self):
        proof = self.cleaned_data["proof"].strip()
        if not proof:
            raise forms.ValidationError("请填写整改佐证。")
        return proof


class AccidentForm(RecordForm):
    class Meta:
        model = Accident
        fields = ["task", "title", "level", "occurred_at", "district", "department"]
        fields += ["casualties", "handling", "accountability"]

    def clean_occurred_at(self):
        occurred = self.cleaned_data["occurred_at"]
        if occurred > timezone.now():
            raise forms.ValidationError("发生时间不能晚于现在。")
        return occurred
