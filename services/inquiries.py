"""网络在线问政: the one write of each step, whichever page or job calls it."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import sheets
from .models import Inquiry


class AlreadyAnswered(Exception):
    """Someone answered the inquiry first; the message is for the user."""


def default_due(asked_at):
    """The answer deadline when none is given: INQUIRY_REPLY_DAYS after the question."""
    return timezone.localdate(asked_at) + timedelta(days=settings.INQUIRY_REPLY_DAYS)


def save_inquiry(form):
    """Create or change an inquiry from a valid InquiryForm (history records the change)."""
    inquiry = form.save(commit=False)
    if not inquiry.due_date:
        inquiry.due_date = default_due(inquiry.asked_at)
    inquiry.save()
    return inquiry


def answer_inquiry(inquiry, user, answer):
    """Record the department's answer, once: a second answer (another tab, another clerk) is
    refused rather than overwriting the first."""
    with transaction.atomic():
        locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if locked.answered_at is not None:
            raise AlreadyAnswered(
                f"{locked.answered_by or '其他人员'}已于"
                f"{timezone.localtime(locked.answered_at):%Y-%m-%d %H:%M}答复，未重复保存。"
            )
        locked.answer = answer
        locked.answered_at = timezone.now()
        locked.answered_by = user
        locked._change_reason = "答复网络问政"
        locked.save()
    return locked


# --- import from the register offices keep in a spreadsheet --------------------------------

COLUMNS = {
    "number": ("编号", "问政编号"),
    "title": ("问题", "标题", "留言标题"),
    "channel": ("平台", "渠道"),
    "asked_at": ("提问时间", "留言时间"),
    "department": ("答复单位", "办理单位"),
    "due_date": ("答复时限",),
    "answered_at": ("答复时间",),
    "answer": ("答复内容",),
}
REQUIRED = ("number", "title", "asked_at", "department")


def _moment(text):
    moment = datetime.fromisoformat(text.replace("/", "-"))
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=timezone.get_current_timezone())
    return moment


def import_inquiries(fileobj, name, departments):
    """Register every inquiry of a sheet, or none (an answered one comes with its answer):
    returns how many. `departments` is {name: Department} (services.proposals)."""
    known = set(Inquiry.objects.values_list("number", flat=True))
    seen = set()

    def check_row(number, cells, checked):
        code = cells["number"]
        if not code or len(code) > 40:
            checked.add_error(number, "编号为空或超过 40 个字")
        elif code in known or code in seen:
            checked.add_error(number, f"编号「{code}」已经登记过或在文件中重复")
        if not cells["title"] or len(cells["title"]) > 200:
            checked.add_error(number, "问题为空或超过 200 个字")
        department = departments.get(cells["department"])
        if department is None:
            checked.add_error(number, f"答复单位「{cells['department'][:30]}」不在单位名录中")
        values = {}
        for key, label in (("asked_at", "提问时间"), ("answered_at", "答复时间")):
            text = cells.get(key, "")
            if text:
                try:
                    values[key] = _moment(text)
                except ValueError:
                    checked.add_error(number, f"{label}「{text[:20]}」不是有效的日期时间")
        due = cells.get("due_date", "")
        if due:
            try:
                values["due_date"] = sheets.parse_date(due)
            except ValueError:
                checked.add_error(number, f"答复时限「{due[:20]}」不是有效的日期")
        if "asked_at" in values:
            values.setdefault("due_date", default_due(values["asked_at"]))
            if values.get("answered_at") and values["answered_at"] < values["asked_at"]:
                checked.add_error(number, "答复时间早于提问时间")
        if values.get("answered_at") and not cells.get("answer"):
            checked.add_error(number, "有答复时间但没有答复内容")
        seen.add(code)
        return Inquiry(
            number=code,
            title=cells["title"],
            channel=cells.get("channel", "")[:30] or "网络问政平台",
            department=department,
            answer=cells.get("answer", ""),
            **values,
        )

    def create(rows):
        for inquiry in rows:
            inquiry._change_reason = f"从《{name[:60]}》导入"
            inquiry.save()

    return sheets.import_register(
        fileobj, name, columns=COLUMNS, required=REQUIRED, what="网络问政登记表",
        check_row=check_row, create=create,
    )  # fmt: skip
