"""政民互动增效 pages: the app's home, the 12345 work orders (list, import, detail) and their
monthly KPIs per unit. Every record comes through core.access; lists are scoped."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Max, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.access import can, get_or_404, require
from core.models import Department
from core.months import cn_month, parse_month

from . import hotline, inquiries, sheets
from . import proposals as proposals_service
from .access import Action, sees_every_unit
from .choices import Kpi, OrderState, ProposalKind, ProposalStatus
from .forms import (
    AnswerForm,
    CaseForm,
    ImportForm,
    InquiryForm,
    KpiForm,
    OpinionForm,
    OrderFilter,
    ProposalForm,
    RegisterImportForm,
    ReplyForm,
)
from .models import (
    HotlineUnit,
    Inquiry,
    Proposal,
    WorkOrder,
    WorkOrderImport,
    WorkOrderMonth,
)

PAGE_SIZE = 50


@login_required
def home(request):
    require(request.user, Action.HOTLINE)
    latest = WorkOrderMonth.objects.aggregate(month=Max("month"))["month"]
    return render(
        request,
        "services/home.html",
        {
            "latest": latest,
            "may_import": _may_import(request.user),
            "imports": WorkOrderImport.objects.select_related("imported_by")[:5],
        },
    )


def _may_import(user):
    return can(user, Action.HOTLINE_IMPORT)


def _state_filter(state, now):
    return {
        OrderState.UNREPLIED: Q(replied_at__isnull=True),
        OrderState.OVERDUE: Q(replied_at__isnull=True, reply_due__lt=now),
        OrderState.LATE: Q(replied_at__gt=F("reply_due")),
        OrderState.UNIMPLEMENTED: Q(implemented_at__isnull=True),
        OrderState.UNSATISFIED: Q(satisfaction=1),
        OrderState.OPEN: Q(closed_at__isnull=True),
    }[state]


@login_required
def order_list(request):
    """The work orders the user may see, filtered, 50 a page: the count, the page's ids and
    its rows with their units (a constant number of queries)."""
    user = request.user
    require(user, Action.HOTLINE)
    units = HotlineUnit.objects.visible_to(user)
    form = OrderFilter(request.GET or None, units=units)
    orders = WorkOrder.objects.visible_to(user).select_related("unit")
    now = timezone.now()
    month = number = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        month, number = data["month"], data["number"].strip()
        if data["unit"]:
            orders = orders.filter(unit=data["unit"])
        if data["category"]:
            orders = orders.filter(category=data["category"])
        if data["state"]:
            orders = orders.filter(_state_filter(data["state"], now))
        if number:
            orders = orders.filter(number=number)
    task = request.GET.get("task", "")
    if task.isdigit():  # the work orders of a 集中督办 item (its page links here)
        orders = orders.filter(cases__item_id=int(task))
        number = number or "all"
    if month is None and not number:
        # A year holds a million orders: open on the latest month (counting one month's
        # rows, not the year's), unless a work order is looked up by its number.
        month = WorkOrderMonth.objects.aggregate(m=Max("month"))["m"]
    if month is not None:
        orders = orders.filter(month=month)
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    for order in page.object_list:
        order.late = order.late_at(now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "services/order_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "may_import": _may_import(user),
            "month": month,
            "may_escalate": can(user, Action.HOTLINE_ESCALATE),
        },
    )


@login_required
def order_detail(request, pk):
    order = get_or_404(
        request.user, WorkOrder.objects.select_related("unit__department"), Action.HOTLINE, pk=pk
    )
    order.late = order.late_at(timezone.now())
    return render(request, "services/order_detail.html", {"order": order})


@login_required
@require_http_methods(["GET", "POST"])
def order_import(request):
    """Upload a hotline export: every row is checked first; a file with bad rows writes
    nothing and the page names them."""
    require(request.user, Action.HOTLINE_IMPORT, message="只有督查人员可以导入12345工单。")
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                context["result"] = hotline.import_orders(
                    upload, upload.name, request.user, form.cleaned_data["task"]
                )
            except hotline.ImportRefused as error:
                form.add_error("file", str(error))
            except hotline.RowsInvalid as invalid:
                context["invalid"] = invalid.checked
                form.add_error(
                    "file",
                    f"文件中有 {invalid.checked.bad_rows} 行有误，全部工单均未导入。"
                    "请改正下列各行后重新上传。",
                )
        if "result" not in context:
            status = 400
    return render(request, "services/order_import.html", context, status=status)


def _percent(rate):
    return None if rate is None else float(rate) * 100


def _trend_chart(points, width=640, height=220, pad=32):
    """The SVG polylines of the three rates over the months of `points` (month, Figures),
    drawn server-side: no chart library to vendor."""
    series = (
        ("回复率", "reply_rate", "#0d6efd"),
        ("落实率", "implement_rate", "#198754"),
        ("满意度", "satisfaction", "#b35900"),
    )
    count = len(points)
    if not count:
        return None
    step = (width - 2 * pad) / max(count - 1, 1)

    def xy(index, percent):
        return pad + index * step, height - pad - (height - 2 * pad) * percent / 100

    lines = []
    for label, name, colour in series:
        dots = []
        for index, (_month, figures) in enumerate(points):
            percent = _percent(getattr(figures, name))
            if percent is not None:
                dots.append(xy(index, percent))
        lines.append(
            {
                "label": label,
                "colour": colour,
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in dots),
                "dots": [{"x": round(x, 1), "y": round(y, 1)} for x, y in dots],
            }
        )
    ticks = [
        {"x": xy(index, 0)[0], "label": f"{month.month}月"}
        for index, (month, _figures) in enumerate(points)
    ]
    grid = [{"y": xy(0, p)[1], "label": f"{p}%"} for p in (0, 50, 100)]
    return {
        "width": width,
        "height": height,
        "lines": lines,
        "ticks": ticks,
        "grid": grid,
        "left": pad,
        "right": width - pad,
        "bottom": height - pad + 16,
    }


RANK_KEYS = {
    Kpi.RECEIVED: lambda f: f.received,
    Kpi.REPLY_RATE: lambda f: f.reply_rate,
    Kpi.IMPLEMENT_RATE: lambda f: f.implement_rate,
    Kpi.SATISFACTION: lambda f: f.satisfaction,
}


@login_required
def kpi(request):
    """The month's four KPIs per unit with their ranking, by category, and the year's trend:
    all read from the monthly roll-ups (four queries whatever the number of work orders)."""
    user = request.user
    require(user, Action.HOTLINE)
    form = KpiForm(request.GET or None)
    month = rank = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            month = form.cleaned_data["month"]
            rank = form.cleaned_data["rank"] or None
        else:
            status = 400
    units = HotlineUnit.objects.visible_to(user)
    scoped = None if sees_every_unit(user) else units
    if month is None:
        latest = WorkOrderMonth.objects.filter(unit__in=units).aggregate(m=Max("month"))["m"]
        month = latest or timezone.localdate().replace(day=1)
    rank = Kpi(rank or Kpi.SATISFACTION)
    rows = hotline.unit_figures(month, scoped)
    key = RANK_KEYS[rank]
    ranked = sorted(rows, key=lambda row: (key(row[3]) is None, -(key(row[3]) or 0), row[1]))
    total = hotline.Figures.total(rows)
    points = hotline.trend(date(month.year, 1, 1), date(month.year, 12, 1), scoped)
    return render(
        request,
        "services/kpi.html",
        {
            "form": form,
            "month": month,
            "month_label": cn_month(month),
            "rank": rank,
            "kpis": Kpi.choices,
            "ranked": [(place, row) for place, row in enumerate(ranked, start=1)],
            "total": total,
            "categories": hotline.category_figures(month, scoped)[:20],
            "trend": points,
            "chart": _trend_chart(points),
            "may_escalate": can(user, Action.HOTLINE_ESCALATE),
        },
        status=status,
    )


# --- 网络在线问政 ----------------------------------------------------------------------------

INQUIRY_STATES = {
    "open": ("未答复", Q(answered_at__isnull=True)),
    "answered": ("已答复", Q(answered_at__isnull=False)),
}


@login_required
def inquiry_list(request):
    """The inquiries the user may see, late ones marked: three queries whatever their
    number (the count, the page with departments, and nothing per row)."""
    user = request.user
    require(user, Action.INQUIRIES)
    today = timezone.localdate()
    inquiries = Inquiry.objects.visible_to(user).select_related("department")
    state = request.GET.get("state", "")
    if state == "late":
        inquiries = inquiries.filter(
            Q(answered_at__isnull=True, due_date__lt=today) | Q(answered_at__date__gt=F("due_date"))
        )
    elif state in INQUIRY_STATES:
        inquiries = inquiries.filter(INQUIRY_STATES[state][1])
    for name in ("department", "task"):
        value = request.GET.get(name, "")
        if value.isdigit():
            inquiries = inquiries.filter(**{f"{name}_id": int(value)})
    page = Paginator(inquiries, PAGE_SIZE).get_page(request.GET.get("page"))
    for inquiry in page.object_list:
        inquiry.late = inquiry.late_on(today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "services/inquiry_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "state": state,
            "states": [("open", "未答复"), ("late", "超期"), ("answered", "已答复")],
            "may_create": can(user, Action.INQUIRY_CREATE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inquiry_create(request):
    require(request.user, Action.INQUIRY_CREATE, message="只有督查人员可以登记网络问政。")
    form = InquiryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        inquiry = inquiries.save_inquiry(form)
        messages.success(request, f"已登记网络问政 {inquiry.number}，答复时限 {inquiry.due_date}。")
        return redirect(inquiry.get_absolute_url())
    status = 400 if form.is_bound else 200
    return render(request, "services/inquiry_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def inquiry_detail(request, pk):
    user = request.user
    inquiry = get_or_404(
        user,
        Inquiry.objects.select_related("department", "answered_by", "task"),
        Action.INQUIRIES,
        pk=pk,
    )
    may_answer = inquiry.answered_at is None and can(user, Action.INQUIRY_ANSWER, inquiry)
    form = AnswerForm(request.POST or None) if may_answer else None
    status = 200
    if request.method == "POST":
        require(user, Action.INQUIRY_ANSWER, inquiry, message="只有答复单位的承办人员可以答复。")
        if form is None:
            messages.error(request, "这项问政已经答复，未重复保存。")
            return redirect(inquiry.get_absolute_url())
        if form.is_valid():
            try:
                inquiries.answer_inquiry(inquiry, user, form.cleaned_data["answer"])
            except inquiries.AlreadyAnswered as error:
                messages.error(request, str(error))
            else:
                messages.success(request, "答复已保存。")
            return redirect(inquiry.get_absolute_url())
        status = 400
    inquiry.late = inquiry.late_on(timezone.localdate())
    return render(
        request,
        "services/inquiry_detail.html",
        {"inquiry": inquiry, "form": form},
        status=status,
    )


# --- 建议提案 --------------------------------------------------------------------------------


@login_required
def proposal_list(request):
    """The proposals the user may see, late ones marked, and the figures per lead unit over
    the same filter: four queries whatever their number."""
    user = request.user
    require(user, Action.PROPOSALS)
    today = timezone.localdate()
    proposals = Proposal.objects.visible_to(user)
    kind = request.GET.get("kind", "")
    if kind in ProposalKind.values:
        proposals = proposals.filter(kind=kind)
    status = request.GET.get("status", "")
    if status in ProposalStatus.values:
        proposals = proposals.filter(status=status)
    task = request.GET.get("task", "")
    if task.isdigit():
        proposals = proposals.filter(task_id=int(task))
    by_unit = proposals_service.figures_by_unit(proposals, today)
    units = {d.pk: d for d in Department.objects.filter(pk__in=list(by_unit))}
    figures = sorted(
        ((units[pk], f) for pk, f in by_unit.items()), key=lambda row: row[0].sort_order
    )
    page = Paginator(proposals.select_related("lead_department"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for proposal in page.object_list:
        proposal.late = proposal.late_on(today)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "services/proposal_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "kind": kind,
            "status": status,
            "kinds": ProposalKind.choices,
            "statuses": ProposalStatus.choices,
            "figures": figures,
            "overall": proposals_service.overall(by_unit),
            "may_create": can(user, Action.PROPOSAL_CREATE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def proposal_create(request):
    require(request.user, Action.PROPOSAL_CREATE, message="只有督查人员可以登记建议提案。")
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        proposal = proposals_service.save_proposal(form, request.user)
        messages.success(request, f"已登记{proposal.get_kind_display()} {proposal.number}。")
        return redirect(proposal.get_absolute_url())
    status = 400 if form.is_bound else 200
    return render(request, "services/proposal_form.html", {"form": form}, status=status)


def _proposal(user, pk):
    return get_or_404(
        user,
        Proposal.objects.select_related("lead_department", "task", "item").prefetch_related(
            "partner_departments"
        ),
        Action.PROPOSALS,
        pk=pk,
    )


def _proposal_page(request, proposal, reply_form=None, opinion_form=None, status=200):
    user = request.user
    may_reply = proposal.status in (
        ProposalStatus.ASSIGNED,
        ProposalStatus.HANDLING,
        ProposalStatus.SECOND,
    ) and can(user, Action.PROPOSAL_REPLY, proposal)
    may_judge = proposal.status == ProposalStatus.REPLIED and can(
        user, Action.PROPOSAL_JUDGE, proposal
    )
    proposal.late = proposal.late_on(timezone.localdate())
    return render(
        request,
        "services/proposal_detail.html",
        {
            "proposal": proposal,
            "may_start": proposal.status == ProposalStatus.ASSIGNED and may_reply,
            "reply_form": reply_form or (ReplyForm() if may_reply else None),
            "opinion_form": opinion_form or (OpinionForm() if may_judge else None),
            "rounds": proposal.history.order_by("history_date").select_related("history_user"),
        },
        status=status,
    )


@login_required
def proposal_detail(request, pk):
    return _proposal_page(request, _proposal(request.user, pk))


@login_required
@require_http_methods(["POST"])
def proposal_step(request, pk, step):
    """One step on a proposal: start, reply, opinion (POST only)."""
    user = request.user
    proposal = _proposal(user, pk)
    try:
        if step == "start":
            require(user, Action.PROPOSAL_REPLY, proposal, message="只有主办单位可以办理。")
            proposals_service.start(proposal, user)
            messages.success(request, "已开始办理。")
        elif step == "reply":
            require(user, Action.PROPOSAL_REPLY, proposal, message="只有主办单位可以答复。")
            form = ReplyForm(request.POST)
            if not form.is_valid():
                return _proposal_page(request, proposal, reply_form=form, status=400)
            proposals_service.reply(proposal, user, form.cleaned_data["reply"])
            messages.success(request, "答复已保存，等待督查处登记代表委员评价。")
        elif step == "opinion":
            require(user, Action.PROPOSAL_JUDGE, proposal, message="只有督查人员可以登记评价。")
            form = OpinionForm(request.POST)
            if not form.is_valid():
                return _proposal_page(request, proposal, opinion_form=form, status=400)
            data = form.cleaned_data
            done = proposals_service.record_opinion(
                proposal, user, data["opinion"], data["implemented"], data["new_due"]
            )
            if done.status == ProposalStatus.SECOND:
                messages.warning(request, f"代表委员不满意，已进入二次办理，时限 {done.due_date}。")
            else:
                messages.success(request, "已登记评价，建议提案办结。")
        else:
            raise Http404
    except proposals_service.StepRefused as error:
        messages.error(request, str(error))
    return redirect(proposal.get_absolute_url())


REGISTERS = {
    "proposals": (
        "建议提案",
        Action.PROPOSAL_CREATE,
        "编号、类别、标题、提出人、内容分类、主办单位、协办单位（多个以顿号分隔）、交办日期、办理时限、重点（是/否）",
    ),
    "inquiries": (
        "网络问政",
        Action.INQUIRY_CREATE,
        "编号、问题、平台、提问时间、答复单位、答复时限（可空）、答复时间（可空）、答复内容（可空）",
    ),
}


@login_required
@require_http_methods(["GET", "POST"])
def register_import(request, register):
    """Upload a 建议提案 or 网络问政 register: every row checked first, all or nothing."""
    label, action, columns = REGISTERS[register]
    require(request.user, action, message=f"只有督查人员可以导入{label}。")
    form = RegisterImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "label": label, "columns": columns, "register": register}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            departments = proposals_service.department_index()
            try:
                if register == "proposals":
                    count = proposals_service.import_proposals(upload, upload.name, request.user)
                else:
                    count = inquiries.import_inquiries(upload, upload.name, departments)
            except sheets.ImportRefused as error:
                form.add_error("file", str(error))
            except sheets.RowsInvalid as invalid:
                context["invalid"] = invalid.checked
                form.add_error(
                    "file",
                    f"文件中有 {invalid.checked.bad_rows} 行有误，全部{label}均未导入。"
                    "请改正下列各行后重新上传。",
                )
            else:
                messages.success(request, f"已导入 {count} 件{label}。")
                return redirect(f"services:{register}")
        status = 400
    return render(request, "services/register_import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def hotline_escalate(request):
    """集中督办重点难点热点问题: from one unit's (?unit=) or one category's (?category=) late or
    unsatisfied work orders of a month (?month=), a 督办事项 in one step."""
    user = request.user
    require(user, Action.HOTLINE_ESCALATE, message="只有督查人员可以立项集中督办。")
    params = request.POST if request.method == "POST" else request.GET
    month = parse_month(params.get("month", ""))
    unit_id = params.get("unit", "")
    unit = (
        HotlineUnit.objects.filter(pk=unit_id).select_related("department").first()
        if (unit_id.isdigit())
        else None
    )
    category = params.get("category", "").strip()[:50]
    if month is None or (unit is None) == (not category):
        raise Http404("请从月度指标页选择一个单位或一个诉求分类。")
    subject = unit.name if unit is not None else f"“{category}”类诉求"
    total, late, unsatisfied = hotline.case_summary(month, unit, category)
    initial = {
        "title": f"12345集中督办：{subject}{month:%Y年%-m月}超期和不满意工单整改",
        "lead_department": unit.department_id if unit is not None else None,
        "due_date": timezone.localdate() + timedelta(days=settings.HOTLINE_CASE_DAYS),
    }
    form = CaseForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                case = hotline.open_case(
                    user=user, month=month, unit=unit, category=category, **form.cleaned_data
                )
            except hotline.NothingToEscalate as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request, f"已立项督办事项 {case.item.code}，关联工单 {case.orders.count()} 件。"
                )
                return redirect(case.item.get_absolute_url())
        status = 400
    return render(
        request,
        "services/hotline_escalate.html",
        {
            "form": form,
            "month": month,
            "unit": unit,
            "category": category,
            "subject": subject,
            "total": total,
            "late": late,
            "unsatisfied": unsatisfied,
        },
        status=status,
    )
