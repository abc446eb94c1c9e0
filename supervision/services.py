"""The writes done from a task's page, one function each (the view, a bulk page or a job call
the same one): 挂牌督办 and 摘牌, 催办, 批示 and its answer, the partner departments' notes;
立项 of a 督办事项 from any source; 申请办结 → 确认销号 or 退回; the 节点 the lead department
proposes and a supervisor approves (and their changes).
Each saves through the model, so the history records it with the user of the request.

Those that meet concurrency take the task's row lock first (SELECT … FOR UPDATE on PostgreSQL;
SQLite's IMMEDIATE transactions serialise writers anyway), so two requests for one task take
turns, and the second sees what the first wrote:

- a listing is saved only if it is still the one the editor saw (the form's `version`), so
  the last writer never silently wins, and two 挂牌 at once give one listing and a message;
- a partner note that another request created meanwhile is a message, not an IntegrityError;
- 催办 and 批示 are idempotent within DEDUP_SECONDS: the same text from the same person on the
  same task is the double-submit of one action, and returns the first record.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import items
from core.choices import ReminderKind
from core.files import attach
from core.notify import notify
from core.roles import Role

from . import derived
from .assigning import assign_all
from .choices import ClosureStatus, MilestoneStatus, Source, StateRequestStatus, TaskStatus
from .forms import listing_version
from .models import Closure, Instruction, Listing, Milestone, PartnerNote, Task, Urging, User
from .reporting import department_staff

DEDUP_SECONDS = 120


class Conflict(Exception):
    """Someone else changed the record first; the message is for the user."""


class CannotUrge(Exception):
    """Why a task is not chased (催办); `message` says it in Chinese."""

    message = "无法催办。"


class NobodyToNotify(CannotUrge):
    message = "该任务尚未确定牵头单位或牵头单位没有承办人员，无法催办。"


# 已办结, 暂停, 终止, 结转: nothing is owed, so nothing is chased (the reminders stop too)
NOT_CHASED = {
    TaskStatus.CLOSED: "该任务已办结，无需催办。",
    TaskStatus.SUSPENDED: "该任务已暂停，无需催办。",
    TaskStatus.TERMINATED: "该任务已终止，无需催办。",
    TaskStatus.CARRIED: "该任务已挂账结转，无需催办。",
}


class NotChased(CannotUrge):
    def __init__(self, task):
        self.message = NOT_CHASED[task.status]
        super().__init__(self.message)


def _lock(task):
    return Task.objects.select_for_update().get(pk=task.pk)


def _recent(queryset):
    return queryset.filter(created_at__gte=timezone.now() - timedelta(seconds=DEDUP_SECONDS))


@transaction.atomic
def save_listing(task, *, user, data, version):
    """挂牌 or change the active listing with `data` (the form's cleaned fields). Raises
    Conflict if the active listing is no longer the one the form was shown (`version`)."""
    _lock(task)
    active = Listing.objects.filter(task=task, lifted_at=None).first()
    if listing_version(active) != (version or ""):
        if active is None:
            raise Conflict("该挂牌已被他人摘牌，请核对后重新挂牌。")
        raise Conflict("挂牌信息已被他人修改（或刚由他人挂牌），请核对最新内容后再保存。")
    listing = active or Listing(task=task, listed_by=user, listed_at=timezone.now())
    for name in ("level", "reason", "deadline", "is_public"):
        setattr(listing, name, data[name])
    try:
        with transaction.atomic():
            listing.save()
    except IntegrityError:
        raise Conflict("该任务刚由他人挂牌督办，请核对后再保存。") from None
    derived.changed([task.pk])
    return listing


@transaction.atomic
def lift_listing(listing, user, reason):
    listing.lifted_at, listing.lifted_by, listing.lift_reason = timezone.now(), user, reason
    listing.save()
    derived.changed([listing.task_id])
    return listing


@transaction.atomic
def urge(task, *, user, message=""):
    """催办 now: an Urging and a notice (in-app and email) to the lead department's staff and
    head; (urging, created). A double-submit returns the first urging and notifies nobody
    again. Raises NotChased for a task 已办结, 暂停, 终止 or 结转, NobodyToNotify when it
    has nobody to chase."""
    if task.status in NOT_CHASED:
        raise NotChased(task)
    recipients = department_staff(task.lead_department)
    if not recipients:
        raise NobodyToNotify
    message = message.strip() or (
        f"请抓紧推进“{task.title}”，完成时限 {task.due_date or '未定'}，"
        f"当前进度 {task.percent}%，并及时报送进展。"
    )
    _lock(task)
    same = _recent(Urging.objects.filter(task=task, sent_by=user, message=message)).first()
    if same:
        return same, False
    urging = Urging.objects.create(
        task=task, sent_by=user, message=message, recipient_count=len(recipients)
    )
    derived.changed([task.pk])
    notify(
        recipients,
        kind=ReminderKind.MANUAL,
        subject=f"催办：{task.code} {task.title}",
        body=f"{user}（督查处）催办：{message}",
        key=f"manual:{urging.pk}",
        about=task,
    )
    return urging, True


def urge_many(tasks, *, user, message=""):
    """催办 each of `tasks` with the one `message` (blank: each task's own), through `urge`;
    (the urgings sent, [(task, why not)] for those that could not be chased)."""
    sent, skipped = [], []
    for task in tasks:
        try:
            urging, created = urge(task, user=user, message=message)
        except CannotUrge as error:
            skipped.append((task, error.message))
            continue
        if created:
            sent.append(urging)
        else:
            skipped.append((task, "相同内容的催办刚刚已发出，未重复发送。"))
    return sent, skipped


@transaction.atomic
def instruct(task, *, user, text):
    """A leader's 批示 and its notice to the lead department; (instruction, created)."""
    _lock(task)
    same = _recent(Instruction.objects.filter(task=task, leader=user, text=text)).first()
    if same:
        return same, False
    instruction = Instruction.objects.create(task=task, leader=user, text=text)
    notify(
        department_staff(task.lead_department),
        kind=ReminderKind.INSTRUCTION,
        subject=f"领导批示：{task.code} {task.title}",
        body=f"{user}批示：{instruction.text}",
        key=f"instruction:{instruction.pk}",
        about=task,
    )
    return instruction, True


def answer_instruction(instruction, user, response):
    instruction.response = response
    instruction.responded_by, instruction.responded_at = user, timezone.now()
    instruction.save()
    return instruction


@transaction.atomic
def save_partner_note(task, *, user, month, text):
    """The partner department's note for the month, created or updated."""
    _lock(task)
    note = PartnerNote.objects.filter(task=task, department=user.department, month=month).first()
    note = note or PartnerNote(task=task, department=user.department, month=month)
    note.text, note.author = text, user
    try:
        with transaction.atomic():
            note.save()
    except IntegrityError:
        raise Conflict("本单位本月的配合工作情况刚由他人保存，请刷新后核对。") from None
    return note


# --- 立项: a 督办事项 from any source --------------------------------------------------------


def supervisors():
    """The active 督查人员, who confirm 办结 and approve 节点."""
    return list(User.objects.filter(is_active=True, groups__name=Role.SUPERVISOR.label).distinct())


@transaction.atomic
def create_item(*, user, data, uploads=(), instruction=None, tell_lead=True):
    """立项: a 督办事项 from `data` (the item form's cleaned fields), numbered after the
    year's other items; from a 批示 (交办) when `instruction` is given, keeping the link.
    The lead department is told to propose its 节点. Another app's item (core/items.py) may
    give its own start date (a proposal's 交办日期); its year follows that date."""
    data = dict(data)
    start = data.pop("start_date", None) or timezone.localdate()
    year = start.year
    partners = data.get("partner_departments") or []
    fields = {name: value for name, value in data.items() if name != "partner_departments"}
    for attempt in range(3):
        # the next number of the year; two 立项 at once: the second one takes the next
        last = (
            Task.objects.filter(year=year, parent=None)
            .exclude(source=Source.PLAN)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        task = Task(
            **fields,
            year=year,
            number=(last or 0) + 1 + attempt,
            start_date=start,
            origin_instruction=instruction,
        )
        try:
            with transaction.atomic():
                task.save()
            break
        except IntegrityError:
            if attempt == 2:
                raise Conflict("刚有其他事项同时立项，请重新提交。") from None
    task.partner_departments.set(partners)
    attach(task, uploads, user)
    derived.changed([task.pk])
    assign_all(task, user=user, tell=tell_lead)  # 交办: each department signs for its part
    if tell_lead:  # (a demo's or an import's items are not news)
        notify(
            department_staff(task.lead_department),
            kind=ReminderKind.WORKFLOW,
            subject=f"督办事项交办：{task.code} {task.title}",
            body=f"{user}（督查处）交办督办事项“{task.title}”，完成时限 {task.due_date}，"
            f"请确定节点计划并按{task.get_rhythm_display() or '要求'}报送进展。",
            key=f"item:{task.pk}",
            about=task,
        )
    return task


@items.provide
def open_item_for_app(
    *, user, source, title, text, lead_department, due_date, partner_departments, doc_number,
    rhythm, start_date, quiet,
):  # fmt: skip
    """立项 on another app's behalf (core/items.py): the same numbering, notice and history as
    the 立项 form."""
    data = {
        "source": source,
        "doc_number": doc_number[:50],
        "title": title[:200],
        "text": text,
        "lead_department": lead_department,
        "partner_departments": partner_departments,
        "due_date": due_date,
        "rhythm": rhythm,
        "start_date": start_date,
    }
    return create_item(user=user, data=data, tell_lead=not quiet)


# --- 办结 and 销号 ----------------------------------------------------------------------------


@transaction.atomic
def apply_close(task, *, user, summary, uploads=()):
    """申请办结: the lead department's application with its summary and 佐证材料; the
    supervisors are told. Conflict if the task is closed or an application waits."""
    _lock(task)
    task.refresh_from_db(fields=["status"])
    if task.status == TaskStatus.CLOSED:
        raise Conflict("该任务已办结（销号），无需再申请。")
    if task.closures.filter(status=ClosureStatus.PENDING).exists():
        raise Conflict("该任务已有待确认的办结申请，请等待督查处确认。")
    closure = Closure.objects.create(task=task, summary=summary, applied_by=user)
    attach(closure, uploads, user)
    notify(
        supervisors(),
        kind=ReminderKind.WORKFLOW,
        subject=f"办结申请：{task.code} {task.title}",
        body=f"{user}（{task.lead_department}）申请办结：{summary[:200]}",
        key=f"closure:{closure.pk}:applied",
        about=task,
    )
    return closure


@transaction.atomic
def decide_close(closure, *, user, confirm, reason=""):
    """确认销号 (the task becomes 已办结) or 退回 with `reason`; the lead department is told.
    Conflict if the application was decided meanwhile."""
    task = _lock(closure.task)
    closure.refresh_from_db()
    if closure.status != ClosureStatus.PENDING:
        raise Conflict("该办结申请已处理，请刷新后核对。")
    closure.decided_by, closure.decided_at = user, timezone.now()
    if confirm:
        closure.status = ClosureStatus.CONFIRMED
        task.status = TaskStatus.CLOSED
        task.save()
        refuse_pending_states(task, user, "该事项已办结（销号）。")
    else:
        closure.status, closure.return_reason = ClosureStatus.RETURNED, reason
    closure.save()
    derived.changed([task.pk])
    if confirm and task.origin_instruction_id:
        _report_back(task, closure)
    verdict = "已确认办结（销号）" if confirm else f"办结申请被退回：{reason}"
    notify(
        department_staff(task.lead_department),
        kind=ReminderKind.WORKFLOW,
        subject=f"办结申请结果：{task.code} {task.title}",
        body=f"{user}（督查处）：{verdict}",
        key=f"closure:{closure.pk}:{closure.status}",
        about=task,
    )
    return closure


def _report_back(task, closure):
    """办结 of an item from a 批示 is reported to the leader who wrote it (issue 12); a
    follow-up 批示 on it opens a linked new item (/tasks/new/?instruction=)."""
    instruction = task.origin_instruction
    notify(
        [instruction.leader],
        kind=ReminderKind.WORKFLOW,
        subject=f"批示件办结报告：{task.code} {task.title}",
        body=f"您{instruction.created_at:%Y-%m-%d}的批示“{instruction.text[:100]}”交办的事项已办结"
        f"（督查处确认销号）。办结情况：{closure.summary[:300]}",
        key=f"closure:{closure.pk}:report_back",
        about=task,
    )


def settle_state_request(application, user, status, reason=""):
    """A 暂停 / 终止 application decided (approved, or refused with `reason`)."""
    application.status, application.refuse_reason = status, reason
    application.decided_by, application.decided_at = user, timezone.now()
    application.save()


def refuse_pending_states(task, user, reason):
    """The item stopped another way (销号, 终止, 结转): a 暂停 / 终止 application still waiting
    on it is refused with `reason`, so it leaves the supervisors' queue."""
    for pending in task.state_requests.select_for_update().filter(
        status=StateRequestStatus.PENDING
    ):
        settle_state_request(pending, user, StateRequestStatus.REFUSED, reason)


@transaction.atomic
def set_closed(task, closed=True):
    """Take back a 销号 (closed=False: the status the percent calls for); closing itself goes
    through apply_close → decide_close."""
    if closed:
        task.status = TaskStatus.CLOSED
    elif task.status == TaskStatus.CLOSED:
        task.status = TaskStatus.COMPLETED if task.percent == 100 else TaskStatus.IN_PROGRESS
    task.save()
    derived.changed([task.pk])
    return task


# --- 节点 planned by the lead department -------------------------------------------------


def propose_milestone(task, *, user, data):
    """The lead department proposes a 节点 (title, planned date, deliverable): it waits for
    a supervisor's approval and counts for nothing until then."""
    milestone = Milestone.objects.create(
        task=task, status=MilestoneStatus.PROPOSED, proposed_by=user, **data
    )
    return milestone


def resubmit_milestone(milestone, *, user, data):
    """A returned 节点, corrected and proposed again."""
    for name, value in data.items():
        setattr(milestone, name, value)
    milestone.status, milestone.proposed_by = MilestoneStatus.PROPOSED, user
    milestone.save()
    return milestone


@transaction.atomic
def request_milestone_change(milestone, *, user, new_due_date, reason):
    """调整节点: ask to move an approved 节点 to `new_due_date` with `reason`; the approved
    date keeps counting until a supervisor approves the change."""
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.status != MilestoneStatus.APPROVED:
        raise Conflict("只有已确认的节点可以申请调整。")
    milestone.new_due_date, milestone.change_reason = new_due_date, reason
    milestone.status, milestone.proposed_by = MilestoneStatus.CHANGE_PENDING, user
    milestone.save()
    derived.changed([milestone.task_id])
    return milestone


@transaction.atomic
def decide_milestones(task, milestones, *, user, approve, reason=""):
    """A supervisor approves or sends back the waiting 节点 (new ones and date changes) of
    `task` among `milestones`; returns how many were decided. An approved change moves the
    date and keeps the replaced one visible (previous_due_date)."""
    _lock(task)
    waiting = [MilestoneStatus.PROPOSED, MilestoneStatus.CHANGE_PENDING]
    rows = Milestone.objects.filter(
        task=task, pk__in=[m.pk for m in milestones], status__in=waiting
    )
    decided = 0
    for milestone in rows:
        change = milestone.status == MilestoneStatus.CHANGE_PENDING
        if approve and change:
            milestone.previous_due_date = milestone.due_date
            milestone.due_date, milestone.new_due_date = milestone.new_due_date, None
        elif change:  # the change is refused: the approved date stays
            milestone.new_due_date = None
        milestone.status = (
            MilestoneStatus.APPROVED if approve or change else MilestoneStatus.RETURNED
        )
        milestone.return_reason = "" if approve else reason
        milestone.approved_by, milestone.approved_at = user, timezone.now()
        milestone.save()
        decided += 1
    derived.changed([task.pk])
    return decided


@transaction.atomic
def complete_milestone(milestone, *, user, completed_on, note, uploads=()):
    """Tick a 节点 done (or correct its completion) with its 佐证材料."""
    milestone.completed_on, milestone.note = completed_on, note
    milestone.save()
    attach(milestone, uploads, user)
    derived.changed([milestone.task_id])
    return milestone
