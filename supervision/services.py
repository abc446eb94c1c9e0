"""The writes done from a task's page, one function each (the view, a bulk page or a job call
the same one): 挂牌督办 and 摘牌, 催办, 办结, 批示 and its answer, the partner departments' notes.
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

from core.choices import ReminderKind
from core.notify import notify

from .choices import TaskStatus
from .forms import listing_version
from .models import Instruction, Listing, PartnerNote, Task, Urging
from .reporting import department_staff

DEDUP_SECONDS = 120


class Conflict(Exception):
    """Someone else changed the record first; the message is for the user."""


class NobodyToNotify(Exception):
    message = "该任务尚未确定牵头单位或牵头单位没有承办人员，无法催办。"


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
    return listing


def lift_listing(listing, user, reason):
    listing.lifted_at, listing.lifted_by, listing.lift_reason = timezone.now(), user, reason
    listing.save()
    return listing


@transaction.atomic
def urge(task, *, user, message=""):
    """催办 now: an Urging and a notice (in-app and email) to the lead department's staff and
    head; (urging, created). A double-submit returns the first urging and notifies nobody
    again. Raises NobodyToNotify when the task has nobody to chase."""
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
        except NobodyToNotify as error:
            skipped.append((task, error.message))
            continue
        if created:
            sent.append(urging)
        else:
            skipped.append((task, "相同内容的催办刚刚已发出，未重复发送。"))
    return sent, skipped


def set_closed(task, closed=True):
    """督查人员 confirm 办结, or take it back (the status the percent calls for)."""
    if closed:
        task.status = TaskStatus.CLOSED
    elif task.status == TaskStatus.CLOSED:
        task.status = TaskStatus.COMPLETED if task.percent == 100 else TaskStatus.IN_PROGRESS
    task.save()
    return task


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
