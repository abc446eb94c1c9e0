"""The writes done from a task's page, one function each (the view, a bulk page or a job call
the same one): 挂牌督办 and 摘牌, 催办, 办结, 批示 and its answer, the partner departments' notes.
Each saves through the model, so the history records it with the user of the request."""

from django.db import transaction
from django.utils import timezone

from core.choices import ReminderKind
from core.notify import notify

from .choices import TaskStatus
from .models import PartnerNote, Urging
from .reporting import department_staff


class NobodyToNotify(Exception):
    message = "该任务尚未确定牵头单位或牵头单位没有承办人员，无法催办。"


def save_listing(listing, task, user):
    """Save the 挂牌督办 `listing` (from its form) of `task`: a new one is listed now by `user`."""
    if listing.pk is None:
        listing.task, listing.listed_by, listing.listed_at = task, user, timezone.now()
    listing.save()
    return listing


def lift_listing(listing, user, reason):
    listing.lifted_at, listing.lifted_by, listing.lift_reason = timezone.now(), user, reason
    listing.save()
    return listing


@transaction.atomic
def urge(task, user, message=""):
    """催办 now: an Urging and a notice (in-app and email) to the lead department's staff and
    head. Raises NobodyToNotify when the task has nobody to chase."""
    recipients = department_staff(task.lead_department)
    if not recipients:
        raise NobodyToNotify
    message = message.strip() or (
        f"请抓紧推进“{task.title}”，完成时限 {task.due_date or '未定'}，"
        f"当前进度 {task.percent}%，并及时报送进展。"
    )
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
    return urging


def set_closed(task, closed=True):
    """督查人员 confirm 办结, or take it back (the status the percent calls for)."""
    if closed:
        task.status = TaskStatus.CLOSED
    elif task.status == TaskStatus.CLOSED:
        task.status = TaskStatus.COMPLETED if task.percent == 100 else TaskStatus.IN_PROGRESS
    task.save()
    return task


@transaction.atomic
def instruct(instruction, task, user):
    """A leader's 批示 (from its form) on `task`; the lead department is notified."""
    instruction.task, instruction.leader = task, user
    instruction.save()
    notify(
        department_staff(task.lead_department),
        kind=ReminderKind.INSTRUCTION,
        subject=f"领导批示：{task.code} {task.title}",
        body=f"{user}批示：{instruction.text}",
        key=f"instruction:{instruction.pk}",
        about=task,
    )
    return instruction


def answer_instruction(instruction, user, response):
    instruction.response = response
    instruction.responded_by, instruction.responded_at = user, timezone.now()
    instruction.save()
    return instruction


def partner_note_of(task, department, month):
    """The stored note of `department` on `task` for `month`, or None."""
    return PartnerNote.objects.filter(task=task, department=department, month=month).first()


def save_partner_note(note, task, user, month):
    """Save a partner department's own part of the month (from its form)."""
    note.task, note.department, note.month, note.author = task, user.department, month, user
    note.save()
    return note
