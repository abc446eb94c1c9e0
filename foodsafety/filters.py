"""The 食品安全 list pages' filters."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from core.models import Department
from core.records import RecordFilter

from .choices import AccidentLevel, CampaignKind, District, PlaceCategory
from .models import Accident, Campaign, Inspection
from .rules import rectification_late, rectification_open


def _department():
    return django_filters.ModelChoiceFilter(
        label="单位", queryset=Department.objects.filter(is_active=True), empty_label="全部单位"
    )


class CampaignFilter(RecordFilter):
    department = _department()
    kind = django_filters.ChoiceFilter(
        label="类别", choices=CampaignKind.choices, empty_label="全部"
    )
    q = django_filters.CharFilter(label="名称", field_name="name", lookup_expr="icontains")

    class Meta:
        model = Campaign
        fields = []


RECTIFICATION = [
    ("open", "整改中"),
    ("late", "逾期未整改"),
    ("done", "已整改"),
    ("none", "无需整改"),
]


class InspectionFilter(RecordFilter):
    department = _department()
    district = django_filters.ChoiceFilter(
        label="区市", choices=District.choices, empty_label="全部区市"
    )
    category = django_filters.ChoiceFilter(
        label="业态", choices=PlaceCategory.choices, empty_label="全部业态"
    )
    rectification = django_filters.ChoiceFilter(
        label="整改", choices=RECTIFICATION, method="filter_rectification", empty_label="不限"
    )
    q = django_filters.CharFilter(label="场所", field_name="place", lookup_expr="icontains")

    class Meta:
        model = Inspection
        fields = []

    def filter_rectification(self, queryset, name, value):
        today = timezone.localdate()
        conditions = {
            "open": rectification_open() & Q(rectify_by__gte=today),
            "late": rectification_late(today),
            "done": Q(rectified_on__isnull=False),
            "none": Q(rectify_by__isnull=True),
        }
        return queryset.filter(conditions[value])


class AccidentFilter(RecordFilter):
    department = _department()
    level = django_filters.ChoiceFilter(
        label="级别", choices=AccidentLevel.choices, empty_label="全部"
    )
    district = django_filters.ChoiceFilter(
        label="区市", choices=District.choices, empty_label="全部区市"
    )
    q = django_filters.CharFilter(label="事故", field_name="title", lookup_expr="icontains")

    class Meta:
        model = Accident
        fields = []
