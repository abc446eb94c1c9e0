"""The 应急管理 forms; every error is in Chinese beside its field."""

from django import forms
from django.utils import timezone

from core.records import RecordForm

from .models import Drill, DrillProblem, EmergencyPlan, IncidentReport, Supply


class PlanForm(RecordForm):
    class Meta:
        model = EmergencyPlan
        fields = ["task", "name", "level", "department", "last_revised", "next_revision_due"]
        fields += ["status", "note"]

    def clean(self):
        data = super().clean()
        last, due = data.get("last_revised"), data.get("next_revision_due")
        if last and due and due < last:
            self.add_error("next_revision_due", "下次修订期限不能早于上次修订日期。")
        return data


class DrillForm(RecordForm):
    new_problems = forms.CharField(
        label="发现的问题",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一条；保存后每条成为一项整改事项，按整改期限督办。",
    )
    problem_deadline = forms.DateField(
        label="整改期限", required=False, help_text="不填则为演练后 30 天。"
    )

    class Meta:
        model = Drill
        fields = ["task", "plan", "title", "department", "planned_on", "held_on"]
        fields += ["participants", "evaluation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = EmergencyPlan.objects.visible_to(self.user)
        self.fields["problem_deadline"].widget = forms.DateInput(
            attrs={"type": "date"}, format="%Y-%m-%d"
        )

    def problems(self):
        return [line for line in self.cleaned_data.get("new_problems", "").splitlines() if line]

    def clean(self):
        data = super().clean()
        held = data.get("held_on")
        if held and held > timezone.localdate():
            self.add_error("held_on", "实际日期不能晚于今天。")
        if self.problems() and not held:
            self.add_error("new_problems", "演练举行后才能登记发现的问题，请先填写实际日期。")
        deadline = data.get("problem_deadline")
        if deadline and held and deadline < held:
            self.add_error("problem_deadline", "整改期限不能早于演练日期。")
        return data


class ProblemCloseForm(forms.ModelForm):
    class Meta:
        model = DrillProblem
        fields = ["done_on", "result"]
        widgets = {"done_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].required = True
        self.fields["result"].required = True
        self.fields["result"].widget.attrs["rows"] = 2

    def clean_done_on(self):
        done = self.cleaned_data["done_on"]
        if done > timezone.localdate():
            raise forms.ValidationError("整改完成日期不能晚于今天。")
        return done


class SupplyForm(RecordForm):
    class Meta:
        model = Supply
        fields = ["task", "item", "location", "quantity", "minimum", "unit", "department"]


class IncidentForm(RecordForm):
    class Meta:
        model = IncidentReport
        fields = ["task", "title", "level", "department", "occurred_at", "phoned_at"]
        fields += ["written_at", "summary"]

    def clean(self):
        data = super().clean()
        occurred = data.get("occurred_at")
        if occurred and occurred > timezone.now():
            self.add_error("occurred_at", "事发时间不能晚于现在。")
        for name in ("phoned_at", "written_at"):
            if occurred and data.get(name) and data[name] < occurred:
                self.add_error(name, "报告时间不能早于事发时间。")
        return data
