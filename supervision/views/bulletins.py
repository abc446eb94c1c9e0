"""督查通报: the list, a month's bulletin (generate, edit, issue) and its downloads. The work is
in `bulletins.py` (writes) and `bulletin_files.py` (the .docx and PDF)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.access import can, require
from core.months import cn_month, month_or_404

from .. import bulletin_files, bulletins
from ..access import Action
from ..choices import BulletinStatus
from ..forms import BulletinForm
from ..models import Bulletin, MonthClose, Plan


@login_required
@require_GET
def bulletin_list(request):
    """/bulletins/: the issued bulletins; for supervisors also drafts and closed months
    without a bulletin yet."""
    require(request.user, Action.BULLETINS)
    writer = can(request.user, Action.BULLETIN)
    rows = Bulletin.objects.select_related("issued_by").order_by("-month")
    if not writer:
        rows = rows.filter(status=BulletinStatus.ISSUED)
    rows = list(rows)
    pending = []
    if writer:
        have = {(b.plan_id, b.month) for b in rows}
        pending = [
            c.month
            for c in MonthClose.objects.filter(is_closed=True).order_by("-month")
            if (c.plan_id, c.month) not in have
        ]
    return render(
        request,
        "supervision/bulletin_list.html",
        {"bulletins": rows, "pending": pending, "writer": writer},
    )


def _month_plan(month):
    month = month_or_404(month)
    return month, get_object_or_404(Plan, year=month.year)


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_detail(request, month):
    """/bulletins/YYYY-MM/: the bulletin; supervisors generate, edit and issue it here."""
    require(request.user, Action.BULLETIN if request.method == "POST" else Action.BULLETINS)
    month, plan = _month_plan(month)
    writer = can(request.user, Action.BULLETIN)
    bulletin = Bulletin.objects.filter(plan=plan, month=month).first()
    if not writer and (bulletin is None or not bulletin.is_issued):
        raise Http404("该月督查通报尚未印发")
    form = BulletinForm(instance=bulletin) if bulletin and not bulletin.is_issued else None
    if request.method == "POST":
        form, status = _act(request, plan, month, bulletin)
        if status is None:
            return redirect("bulletin_detail", month=f"{month:%Y-%m}")
    else:
        status = 200
    closed = MonthClose.objects.filter(plan=plan, month=month, is_closed=True).exists()
    return render(
        request,
        "supervision/bulletin_detail.html",
        {
            "bulletin": bulletin,
            "blocks": bulletin_files.blocks(bulletin) if bulletin else [],
            "versions": (
                bulletin.history.select_related("history_user").order_by("-history_date")[:30]
                if bulletin
                else []
            ),
            "form": form,
            "writer": writer,
            "closed": closed,
            "month": month,
            "month_label": cn_month(month),
        },
        status=status,
    )


def _act(request, plan, month, bulletin):
    """Run the POSTed action: (form to show again, status), status None when done."""
    action = request.POST.get("action")
    try:
        if action == "generate":
            bulletins.generate(plan, month, request.user)
            messages.success(request, "已根据关账数据生成督查通报草稿，可修改后印发。")
        elif bulletin is None:
            raise Http404("该月尚无督查通报")
        elif action == "save":
            form = BulletinForm(request.POST, instance=bulletin)
            if not form.is_valid():
                return form, 400
            bulletins.edit(bulletin, form.cleaned_data)
            messages.success(request, "已保存修改。")
        elif action == "issue":
            bulletin = bulletins.issue(bulletin, request.user)
            messages.success(request, f"已印发 {bulletin}，并通知各处室负责人。")
        else:
            raise Http404("未知的操作")
    except bulletins.BulletinError as error:
        messages.error(request, str(error))
    return None, None


def _issued(request, month):
    require(request.user, Action.BULLETINS)
    month, plan = _month_plan(month)
    return get_object_or_404(Bulletin, plan=plan, month=month, status=BulletinStatus.ISSUED)


def _download(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@login_required
@require_GET
def bulletin_docx(request, month):
    bulletin = _issued(request, month)
    name = f"duchatongbao-{bulletin.month:%Y-%m}.docx"
    return _download(bulletin_files.as_docx(bulletin), bulletin_files.DOCX_CONTENT_TYPE, name)


@login_required
@require_GET
def bulletin_pdf(request, month):
    bulletin = _issued(request, month)
    name = f"duchatongbao-{bulletin.month:%Y-%m}.pdf"
    return _download(bulletin_files.as_pdf(bulletin), "application/pdf", name)
