"""建议提案: the one write of each step (register, start, reply, the proposer's opinion and
二次办理), and the figures (按时答复率, 落实率, 满意度) per lead unit, counted in the database."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from core import items
from core.models import Department

from . import sheets
from .choices import Opinion, ProposalStatus
from .models import Proposal


class StepRefused(Exception):
    """The step does not fit the proposal's state (someone else moved it); for the user."""


def _locked(proposal):
    return Proposal.objects.select_for_update().get(pk=proposal.pk)


ITEM_SOURCES = {"deputy": "npc", "member": "cppcc"}  # core/items.py: 人大建议, 政协提案


def open_item(proposal, user, quiet=False):
    """The proposal's 督办事项 (source 人大建议 or 政协提案), so that monthly reports, lights and
    挂牌督办 come with it; its deadline is the proposal's."""
    partners = list(proposal.partner_departments.all())
    proposal.item = items.open_item(
        user=user,
        source=ITEM_SOURCES[proposal.kind],
        title=proposal.title,
        text=(
            f"{proposal.get_kind_display()}（{proposal.number}，提出人：{proposal.proposer}）："
            f"{proposal.title}。主办单位{proposal.lead_department}"
            + (f"，协办单位{'、'.join(map(str, partners))}" if partners else "")
            + f"，{proposal.due_date:%Y年%-m月%-d日}前答复代表委员。"
        ),
        lead_department=proposal.lead_department,
        partner_departments=partners,
        due_date=proposal.due_date,
        doc_number=proposal.number,
        start_date=min(proposal.received_on, proposal.due_date),
        quiet=quiet,
    )
    proposal.save(update_fields=["item"])
    return proposal.item


def save_proposal(form, user):
    """Create or change a proposal from a valid ProposalForm (the history records it); a new
    one is 立项 as a 督办事项 in the same transaction."""
    with transaction.atomic():
        new = form.instance.pk is None
        proposal = form.save()
        if new:
            open_item(proposal, user)
    return proposal


def start(proposal, user):
    """The lead unit takes the proposal up: 交办 → 办理中."""
    with transaction.atomic():
        locked = _locked(proposal)
        if locked.status != ProposalStatus.ASSIGNED:
            raise StepRefused(f"这件建议提案已是“{locked.get_status_display()}”状态。")
        locked.status = ProposalStatus.HANDLING
        locked._change_reason = "开始办理"
        locked.save()
    return locked


def reply(proposal, user, text):
    """The lead unit's reply to the proposer, in the first round or in 二次办理."""
    with transaction.atomic():
        locked = _locked(proposal)
        allowed = (ProposalStatus.ASSIGNED, ProposalStatus.HANDLING, ProposalStatus.SECOND)
        if locked.status not in allowed:
            raise StepRefused(f"这件建议提案已是“{locked.get_status_display()}”状态，不能再答复。")
        locked.reply = text
        locked.replied_on = timezone.localdate()
        locked.status = ProposalStatus.REPLIED
        locked.opinion = None
        locked._change_reason = f"第{locked.rounds}轮答复"
        locked.save()
    return locked


def record_opinion(proposal, user, opinion, implemented=False, new_due=None):
    """The proposer's opinion of the reply, as the supervisor records it: 满意 or 基本满意
    closes the proposal; 不满意 opens 二次办理 with a new deadline (required)."""
    with transaction.atomic():
        locked = _locked(proposal)
        if locked.status != ProposalStatus.REPLIED:
            raise StepRefused("只有已答复的建议提案可以登记代表委员评价。")
        locked.opinion = opinion
        if opinion == Opinion.UNSATISFIED:
            if new_due is None:
                raise StepRefused("不满意的建议提案需要二次办理，请填写新的办理时限。")
            locked.status = ProposalStatus.SECOND
            locked.rounds += 1
            locked.due_date = new_due
            if locked.item is not None:  # the item follows the new deadline
                locked.item.due_date = new_due
                locked.item._change_reason = "建议提案二次办理，时限顺延"
                locked.item.save()
            locked.implemented = False
            locked._change_reason = f"代表委员不满意，进入二次办理（第{locked.rounds}轮）"
        else:
            locked.status = ProposalStatus.CLOSED
            locked.implemented = implemented
            locked.closed_on = timezone.localdate()
            locked._change_reason = f"代表委员{Opinion(opinion).label}，办结"
        locked.save()
    return locked


def _rate(part, whole):
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else None


@dataclass(frozen=True)
class Figures:
    """One unit's (or everyone's) proposals: 按时答复率 (replied by the deadline, of those
    replied or past their deadline), 落实率 (closed with the commitments implemented, of those
    closed) and 满意度 (满意 and 基本满意, of those the proposer judged)."""

    total: int
    replied_on_time: int
    due: int
    closed: int
    implemented: int
    judged: int
    satisfied: int

    @property
    def on_time_rate(self):
        return _rate(self.replied_on_time, self.due)

    @property
    def implement_rate(self):
        return _rate(self.implemented, self.closed)

    @property
    def satisfaction(self):
        return _rate(self.satisfied, self.judged)


def figures_by_unit(queryset, day):
    """{lead department id: Figures} of the proposals of `queryset`, as of `day`: one query."""
    answered = Q(status__in=[ProposalStatus.REPLIED, ProposalStatus.CLOSED])
    rows = (
        queryset.order_by()
        .values("lead_department_id")
        .annotate(
            total=Count("pk"),
            replied_on_time=Count("pk", filter=answered & Q(replied_on__lte=F("due_date"))),
            due=Count("pk", filter=answered | Q(due_date__lt=day)),
            closed=Count("pk", filter=Q(status=ProposalStatus.CLOSED)),
            implemented=Count("pk", filter=Q(status=ProposalStatus.CLOSED, implemented=True)),
            judged=Count("pk", filter=Q(opinion__isnull=False)),
            satisfied=Count("pk", filter=Q(opinion__in=[Opinion.SATISFIED, Opinion.FAIR])),
        )
    )
    names = ("total", "replied_on_time", "due", "closed", "implemented", "judged", "satisfied")
    return {row["lead_department_id"]: Figures(*(row[n] for n in names)) for row in rows}


def overall(by_unit):
    names = ("total", "replied_on_time", "due", "closed", "implemented", "judged", "satisfied")
    return Figures(*(sum(getattr(f, n) for f in by_unit.values()) for n in names))


# --- import from the register offices keep in a spreadsheet --------------------------------

COLUMNS = {
    "number": ("编号", "建议提案编号", "案号"),
    "kind": ("类别", "类型"),
    "title": ("标题", "案由", "题目"),
    "proposer": ("提出人", "代表委员", "领衔人"),
    "topic": ("内容分类", "分类"),
    "lead": ("主办单位", "承办单位"),
    "partners": ("协办单位", "会办单位"),
    "received_on": ("交办日期",),
    "due_date": ("办理时限", "答复时限"),
    "key": ("重点", "是否重点"),
}
REQUIRED = ("number", "kind", "title", "proposer", "lead", "received_on", "due_date")
KINDS = {"人大代表建议": "deputy", "人大建议": "deputy", "建议": "deputy",
         "政协委员提案": "member", "政协提案": "member", "提案": "member"}  # fmt: skip
SEPARATORS = re.compile(r"[、,，;；\s]+")


def department_index():
    """{name or short name: Department} of the active departments, for matching a sheet's
    unit names exactly."""
    index = {}
    for department in Department.objects.filter(is_active=True):
        index[department.name] = department
        if department.short_name:
            index.setdefault(department.short_name, department)
    return index


def import_proposals(fileobj, name, user=None):
    """Register every proposal of a sheet, or none: returns how many."""
    departments = department_index()
    known = set(Proposal.objects.values_list("number", flat=True))
    seen = set()

    def check_row(number, cells, checked):
        code = cells["number"]
        if not code or len(code) > 40:
            checked.add_error(number, "编号为空或超过 40 个字")
        elif code in known or code in seen:
            checked.add_error(number, f"编号「{code}」已经登记过或在文件中重复")
        kind = KINDS.get(cells["kind"])
        if kind is None:
            checked.add_error(
                number, f"类别「{cells['kind'][:20]}」应为 人大代表建议 或 政协委员提案"
            )
        for key, label, limit in (("title", "标题", 200), ("proposer", "提出人", 100)):
            if not cells[key] or len(cells[key]) > limit:
                checked.add_error(number, f"{label}为空或超过 {limit} 个字")
        lead = departments.get(cells["lead"])
        if lead is None:
            checked.add_error(number, f"主办单位「{cells['lead'][:30]}」不在单位名录中")
        partners = []
        for partner in filter(None, SEPARATORS.split(cells.get("partners", ""))):
            if partner not in departments:
                checked.add_error(number, f"协办单位「{partner[:30]}」不在单位名录中")
            else:
                partners.append(departments[partner])
        dates = {}
        for key, label in (("received_on", "交办日期"), ("due_date", "办理时限")):
            try:
                dates[key] = sheets.parse_date(cells[key])
            except ValueError:
                checked.add_error(number, f"{label}「{cells[key][:20]}」不是有效的日期")
        if len(dates) == 2 and dates["due_date"] < dates["received_on"]:
            checked.add_error(number, "办理时限早于交办日期")
        seen.add(code)
        return Proposal(
            number=code,
            kind=kind,
            title=cells["title"],
            proposer=cells["proposer"],
            topic=cells.get("topic", "")[:50],
            lead_department=lead,
            key=cells.get("key", "") in ("是", "重点", "Y", "y", "1"),
            **dates,
        ), partners

    def create(rows):
        for proposal, partners in rows:
            proposal._change_reason = f"从《{name[:60]}》导入"
            proposal.save()
            proposal.partner_departments.set(partners)
            open_item(proposal, user)

    return sheets.import_register(
        fileobj, name, columns=COLUMNS, required=REQUIRED, what="建议提案登记表",
        check_row=check_row, create=create,
    )  # fmt: skip
