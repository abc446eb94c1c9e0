"""The 应急管理 list pages' filters."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from core.models import Department
from core.records import RecordFilter

from .choices import IncidentLevel, PlanLevel, PlanStatus
from .models import Drill, EmergencyPlan, IncidentReport, Supply
from .rules import drill_late, incident_late, plan_late

YES_NO = [("yes", "是"), ("no", "否")]


def _department():
    return django_filters.ModelChoiceFilter(
        label="单位", queryset=Department.objects.filter(is_active=True), empty_label="全部单位"
    )


def _flag(queryset, condition, value):
    return queryset.filter(condition) if value == "yes" else queryset.exclude(condition)


class PlanFilter(RecordFilter):
    department = _department()
    level = django_filters.ChoiceFilter(label="类别", choices=PlanLevel.choices, empty_label="全部")
    status = django_filters.ChoiceFilter(
        label="状态", choices=PlanStatus.choices, empty_label="全部"
    )
    late = django_filters.ChoiceFilter(
        label="修订逾期", choices=YES_NO, method="filter_late", empty_label="不限"
    )
    q = django_filters.CharFilter(label="名称", field_name="name", lookup_expr="icontains")

    class Meta:
        model = EmergencyPlan
        fields = []

    def filter_late(self, queryset, name, value):
        return _flag(queryset, plan_late(timezone.localdate()), value)


class DrillFilter(RecordFilter):
    department = _department()
    late = django_filters.ChoiceFilter(
        label="逾期未演练", choices=YES_NO, method="filter_late", empty_label="不限"
    )
    q = django_filters.CharFilter(label="名称", field_name="title", lookup_expr="icontains")

    class Meta:
        model = Drill
        fields = []

    def filter_late(self, queryset, name, value):
        return _flag(queryset, drill_late(timezone.localdate()), value)


class SupplyFilter(RecordFilter):
    department = _department()
    low = django_filters.ChoiceFilter(
        label="低于最低储备", choices=YES_NO, method="filter_low", empty_label="不限"
    )
    q = django_filters.CharFilter(label="物资或地点", method="filter_text")

    class Meta:
        model = Supply
        fields = []

    def filter_low(self, queryset, name, value):
        return _flag(queryset, Q(low_since__isnull=False), value)

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(item__icontains=value) | Q(location__icontains=value))


class IncidentFilter(RecordFilter):
    department = _department()
    level = django_filters.ChoiceFilter(
        label="级别", choices=IncidentLevel.choices, empty_label="全部"
    )
    late = django_filters.ChoiceFilter(
        label="报告逾期", choices=YES_NO, method="filter_late", empty_label="不限"
    )
    q = django_filters.CharFilter(label="事件", field_name="title", lookup_expr="icontains")

    class Meta:
        model = IncidentReport
        fields = []

    def filter_late(self, queryset, name, value):
        return _flag(queryset, incident_late(), value)
