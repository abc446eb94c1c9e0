"""The 食品安全 pages: the module's home, the list, detail and form pages of each record
(core/records.py), the import of inspections (core/imports.py), closing a 整改 with its proof,
and the tables by district and by category."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.access import can, get_or_404, require
from core.files import files_by_record
from core.imports import Importer, import_page
from core.records import Action, Column, RecordPages

from . import services
from .choices import District, PlaceCategory
from .filters import AccidentFilter, CampaignFilter, InspectionFilter
from .forms import AccidentForm, CampaignForm, InspectionForm, RectifyForm
from .models import Accident, Campaign, Inspection
from .rules import rectification_late, rectification_open

APP, TITLE = "foodsafety", "食品安全"


def _date(value):
    return f"{value:%Y-%m-%d}" if value else "—"


def _save_plain(form, user):
    return services.save_record(form.save(commit=False))


def _save_inspection(form, user):
    return services.save_inspection(form.save(commit=False))


def _inspection_row(record):
    return "table-danger" if record.status(timezone.localdate())[1] == "逾期未整改" else ""


def _inspection_context(request, inspection):
    css, label = inspection.status(timezone.localdate())
    may_rectify = (
        inspection.rectify_by is not None
        and inspection.rectified_on is None
        and can(request.user, Action.CHANGE, inspection)
    )
    form = getattr(request, "rectify_form", None) or RectifyForm(inspection=inspection)
    return {
        "record_badge": (css, label),
        "may_rectify": may_rectify,
        "rectify_form": form,
        "proof_files": files_by_record(Inspection, [inspection.pk]).get(inspection.pk, []),
    }


CAMPAIGNS = RecordPages(
    app=APP,
    name="campaigns",
    title="专项整治",
    app_title=TITLE,
    model=Campaign,
    form=CampaignForm,
    save=_save_plain,
    filterset=CampaignFilter,
    related=("department", "task"),
    columns=[
        Column("整治名称", lambda r: r.name, link=True),
        Column("类别", lambda r: r.get_kind_display()),
        Column("牵头单位", lambda r: r.department),
        Column("开始", lambda r: _date(r.starts_on)),
        Column("结束", lambda r: _date(r.ends_on)),
    ],
)
INSPECTIONS = RecordPages(
    app=APP,
    name="inspections",
    title="食品安全检查",
    app_title=TITLE,
    model=Inspection,
    form=InspectionForm,
    save=_save_inspection,
    filterset=InspectionFilter,
    related=("department", "task", "campaign"),
    columns=[
        Column("检查场所", lambda r: r.place, link=True),
        Column("业态", lambda r: r.get_category_display()),
        Column("区市", lambda r: r.get_district_display()),
        Column("检查单位", lambda r: r.department),
        Column("检查日期", lambda r: _date(r.inspected_on)),
        Column("整改期限", lambda r: _date(r.rectify_by)),
        Column("整改", lambda r: r.status(timezone.localdate())[1]),
    ],
    row_class=_inspection_row,
    detail_template="foodsafety/rectify.html",
    detail_context=_inspection_context,
    actions=[
        ("按区市、业态统计", "/foodsafety/inspections/tables/"),
        ("导入", "/foodsafety/inspections/import/"),
    ],
)
INCIDENTS = RecordPages(
    app=APP,
    name="incidents",
    title="食品安全事故",
    app_title=TITLE,
    model=Accident,
    form=AccidentForm,
    save=_save_plain,
    filterset=AccidentFilter,
    related=("department", "task"),
    columns=[
        Column("事故名称", lambda r: r.title, link=True),
        Column("级别", lambda r: r.get_level_display()),
        Column("发生时间", lambda r: f"{timezone.localtime(r.occurred_at):%Y-%m-%d %H:%M}"),
        Column("区市", lambda r: r.get_district_display() or "—"),
        Column("处置单位", lambda r: r.department),
        Column("涉及人数", lambda r: r.casualties),
        Column("责任追究", lambda r: "已追究" if r.accountability else "—"),
    ],
)
PAGES = [CAMPAIGNS, INSPECTIONS, INCIDENTS]

inspection_import = import_page(
    Importer(
        app=APP,
        title="食品安全检查",
        columns={
            "检查场所": "place",
            "业态类别": "category",
            "区市": "district",
            "检查日期": "inspected_on",
            "发现问题": "findings",
            "整改期限": "rectify_by",
        },
        form=InspectionForm,
        save=_save_inspection,
        back="foodsafety_inspections",
        required=("检查场所", "业态类别", "区市", "检查日期"),
    )
)


@login_required
def home(request):
    user = request.user
    require(user, f"{APP}.view")
    today = timezone.localdate()
    inspections = Inspection.objects.visible_to(user)
    counts = {
        "campaigns": Campaign.objects.visible_to(user).filter(ends_on__gte=today).count(),
        "open": inspections.filter(rectification_open()).count(),
        "late": inspections.filter(rectification_late(today)).count(),
        "accidents": Accident.objects.visible_to(user).filter(occurred_at__year=today.year).count(),
    }
    return render(request, "foodsafety/home.html", {"counts": counts})


@login_required
@require_POST
def rectify(request, pk):
    """整改销号: the inspection's 整改 is closed with its date and proof."""
    inspection = get_or_404(request.user, Inspection.objects.all(), Action.CHANGE, pk=pk)
    form = RectifyForm(request.POST, request.FILES, inspection=inspection)
    if inspection.rectify_by is None or inspection.rectified_on is not None:
        messages.error(request, "该检查没有待整改的事项。")
        return redirect(inspection)
    if form.is_valid():
        services.rectify(inspection, user=request.user, **form.cleaned_data)
        messages.success(request, "整改已销号。")
        return redirect(inspection)
    request.rectify_form = form
    return INSPECTIONS.detail_view(request, pk)


def _table(rows, field, choices):
    """Counts per value of `field` (one query), in the order of `choices`."""
    today = timezone.localdate()
    counted = {
        row[field]: row
        for row in rows.order_by()
        .values(field)
        .annotate(
            total=Count("pk"),
            to_rectify=Count("pk", filter=Q(rectify_by__isnull=False)),
            rectified=Count("pk", filter=Q(rectified_on__isnull=False)),
            late=Count("pk", filter=rectification_late(today)),
        )
    }
    return [(label, counted[value]) for value, label in choices if value in counted]


@login_required
def tables(request):
    """检查与整改 by 区市 and by 业态, for the year chosen (default this year)."""
    require(request.user, f"{APP}.view")
    year = request.GET.get("year", "")
    year = (
        int(year)
        if year.isascii() and year.isdigit() and 2000 <= int(year) <= 2100
        else timezone.localdate().year
    )
    rows = Inspection.objects.visible_to(request.user).filter(inspected_on__year=year)
    context = {
        "year": year,
        "by_district": _table(rows, "district", District.choices),
        "by_category": _table(rows, "category", PlaceCategory.choices),
    }
    return render(request, "foodsafety/tables.html", context)
