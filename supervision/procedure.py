"""The 督办 procedure around an item (issue 12), one function per write: 交办 → 签收 or 拒签
(then 改派 or 坚持交办), 延期申请 → the supervisor's (and under 市政府挂牌 a leader's) decision,
暂停 / 恢复 / 终止, and 挂账结转 into the next year. Limits in 工作日 come from settings and
count with core/workdays.py. Each step notifies whom it concerns and is in the history.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.choices import ReminderKind
from core.notify import notify
from core.roles import Role

from . import derived
from .assigning import assign
from .choices import (
    AssignmentStatus,
    ExtensionStatus,
    ListingLevel,
    Rhythm,
    Source,
    StateRequestStatus,
    TaskStatus,
)
from .models import Assignment, Extension, StateRequest, Task, User
from .reporting import department_staff
from .services import (
    Conflict,
    _lock,
    refuse_pending_states,
    settle_state_request,
    supervisors,
)

DONE = [TaskStatus.COMPLETED, TaskStatus.CLOSED]

# --- 签收 / 拒签, 改派 / 坚持交办 -----------------------------------------------------------------


def _pending(assignment):
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status != AssignmentStatus.PENDING:
        raise Conflict("该交办已签收或已处理，请刷新后核对。")
    return assignment


@transaction.atomic
def sign(assignment, *, user):
    """签收 (late if after `sign_by`; the record shows it)."""
    assignment = _pending(assignment)
    assignment.status = AssignmentStatus.SIGNED
    assignment.answered_by, assignment.answered_at = user, timezone.now()
    assignment.save()
    return assignment


@transaction.atomic
def refuse(assignment, *, user, reason, suggested=None):
    """拒签 with `reason` (and the department it should go to); the supervisors decide.
    Conflict past the 拒签 limit or when the supervisor insisted."""
    assignment = _pending(assignment)
    if assignment.insisted:
        raise Conflict("督查处已坚持交办，该事项不能再拒签。")
    if timezone.localdate() > assignment.refuse_by:
        raise Conflict(
            f"已超过拒签时限（{assignment.refuse_by:%Y-%m-%d}），请签收后办理，或与督查处沟通。"
        )
    assignment.status, assignment.refuse_reason = AssignmentStatus.REFUSED, reason
    assignment.suggested_department = suggested
    assignment.answered_by, assignment.answered_at = user, timezone.now()
    assignment.save()
    task = assignment.task
    hint = f"，建议由{suggested}承办" if suggested else ""
    notify(
        supervisors(),
        kind=ReminderKind.WORKFLOW,
        subject=f"拒签：{task.code} {task.title}",
        body=f"{assignment.department}拒签督办事项“{task.title}”：{reason}{hint}。请改派或坚持交办。",
        key=f"assignment:{assignment.pk}:refused",
        about=assignment,
    )
    return assignment


@transaction.atomic
def reassign(assignment, *, user, department):
    """改派 a refused item to `department`: it becomes the lead (or the partner in place of
    the refusing one) and gets a new 交办 to sign."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status != AssignmentStatus.REFUSED:
        raise Conflict("只有已拒签的交办可以改派。")
    if department.pk == assignment.department_id:
        raise Conflict("改派的单位与拒签单位相同；如需原单位承办，请选择“坚持交办”。")
    task = _lock(assignment.task)
    if assignment.is_lead:
        task.lead_department = department
        task.save()
    else:
        task.partner_departments.remove(assignment.department)
        task.partner_departments.add(department)
    assignment.status = AssignmentStatus.REASSIGNED
    assignment.decided_by, assignment.decided_at = user, timezone.now()
    assignment.save()
    derived.changed([task.pk])
    return assign(task, department, user=user, is_lead=assignment.is_lead)


@transaction.atomic
def insist(assignment, *, user):
    """坚持交办: the refusing department keeps the item and must sign (no second 拒签)."""
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.status != AssignmentStatus.REFUSED:
        raise Conflict("只有已拒签的交办可以坚持交办。")
    assignment.status = AssignmentStatus.INSISTED
    assignment.decided_by, assignment.decided_at = user, timezone.now()
    assignment.save()
    return assign(
        assignment.task, assignment.department, user=user, is_lead=assignment.is_lead, insisted=True
    )


def leaders():
    return list(User.objects.filter(is_active=True, groups__name=Role.LEADER.label).distinct())


# --- 延期申请 --------------------------------------------------------------------------------


def city_listed(task):
    return task.listings.filter(lifted_at=None, level=ListingLevel.CITY).exists()


@transaction.atomic
def apply_extension(task, *, user, new_date, reason):
    """The lead department applies, before the deadline, to move it to `new_date`."""
    task = _lock(task)
    today = timezone.localdate()
    if task.status in DONE or task.status in (TaskStatus.TERMINATED, TaskStatus.CARRIED):
        raise Conflict("该事项已完成、办结、终止或结转，无需延期。")
    if task.due_date is None:
        raise Conflict("该事项没有完成时限，无需延期。")
    if today > task.due_date:
        raise Conflict(f"完成时限（{task.due_date:%Y-%m-%d}）已过，不能再申请延期。")
    if new_date <= task.due_date:
        raise Conflict("申请的新时限须晚于当前完成时限。")
    if task.extensions.filter(
        status__in=[ExtensionStatus.PENDING, ExtensionStatus.LEADER]
    ).exists():
        raise Conflict("该事项已有待审批的延期申请。")
    try:
        with transaction.atomic():
            extension = Extension.objects.create(
                task=task,
                original_due_date=task.due_date,
                requested_due_date=new_date,
                reason=reason,
                needs_leader=city_listed(task),
                applied_by=user,
            )
    except IntegrityError:
        raise Conflict("该事项已有待审批的延期申请。") from None
    notify(
        supervisors(),
        kind=ReminderKind.WORKFLOW,
        subject=f"延期申请：{task.code} {task.title}",
        body=f"{user}（{task.lead_department}）申请将完成时限由 {task.due_date:%Y-%m-%d} "
        f"延至 {new_date:%Y-%m-%d}：{reason[:200]}",
        key=f"extension:{extension.pk}:applied",
        about=extension,
    )
    return extension


def _open(extension, status):
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.status != status:
        raise Conflict("该延期申请已处理，请刷新后核对。")
    return extension


@transaction.atomic
def review_extension(extension, *, user, approve, reason=""):
    """The supervisor's decision: refused, approved, or (under 市政府挂牌) passed to a leader."""
    extension = _open(extension, ExtensionStatus.PENDING)
    extension.reviewed_by, extension.reviewed_at = user, timezone.now()
    if not approve:
        return _refuse_extension(extension, user, reason)
    if extension.needs_leader:
        extension.status = ExtensionStatus.LEADER
        extension.save()
        task = extension.task
        people = [task.responsible_leader] if task.responsible_leader_id else leaders()
        notify(
            people,
            kind=ReminderKind.WORKFLOW,
            subject=f"延期审批（市政府挂牌）：{task.code} {task.title}",
            body=f"督查处同意将完成时限延至 {extension.requested_due_date:%Y-%m-%d}，请审批。",
            key=f"extension:{extension.pk}:leader",
            about=extension,
        )
        return extension
    return _grant(extension)


@transaction.atomic
def leader_decide_extension(extension, *, user, approve, reason=""):
    """A leader's decision on an extension of an item under 市政府挂牌."""
    extension = _open(extension, ExtensionStatus.LEADER)
    extension.leader, extension.leader_at = user, timezone.now()
    if not approve:
        return _refuse_extension(extension, user, reason)
    return _grant(extension)


def _refuse_extension(extension, user, reason):
    extension.status, extension.refuse_reason = ExtensionStatus.REFUSED, reason
    extension.save()
    _tell_lead(extension, f"延期申请未获批准：{reason}")
    return extension


def _grant(extension):
    """Move the deadline; the first deadline stays as `original_due_date`, and on-time figures
    count against the new one only if approved before the original passed."""
    task = _lock(extension.task)
    original = task.original_due_date or extension.original_due_date
    extension.status = ExtensionStatus.APPROVED
    extension.in_time = timezone.localdate() <= original
    extension.save()
    task.original_due_date = original
    task.due_date = extension.requested_due_date
    if extension.in_time:
        task.counted_due_date = extension.requested_due_date
    else:
        task.counted_due_date = task.counted_due_date or original
    task.save()
    derived.changed([task.pk])
    _tell_lead(extension, f"延期申请已批准，完成时限延至 {task.due_date:%Y-%m-%d}。")
    return extension


def _tell_lead(extension, text):
    task = extension.task
    notify(
        department_staff(task.lead_department),
        kind=ReminderKind.WORKFLOW,
        subject=f"延期申请结果：{task.code} {task.title}",
        body=text,
        key=f"extension:{extension.pk}:{extension.status}",
        about=extension,
    )


def counted_due(task):
    """The deadline on-time figures and scoring judge `task` by (issue 12: the original one
    unless an extension was approved before it passed)."""
    return task.counted_due_date or task.due_date


# --- 暂停, 终止, 挂账结转 -------------------------------------------------------------------------

STATE_NAMES = {
    TaskStatus.SUSPENDED: "暂停",
    TaskStatus.TERMINATED: "终止",
}


def _check_state(task, status):
    """Conflict unless `task` (locked) may go to `status` now."""
    if task.status in (TaskStatus.CLOSED, TaskStatus.TERMINATED, TaskStatus.CARRIED):
        raise Conflict("该事项已办结、终止或结转，不能再改变状态。")
    if status == TaskStatus.IN_PROGRESS and task.status != TaskStatus.SUSPENDED:
        raise Conflict("只有暂停的事项可以恢复办理。")
    if status in STATE_NAMES and task.status == status:
        raise Conflict(f"该事项已{STATE_NAMES[status]}。")


@transaction.atomic
def set_state(task, *, user, status, reason, applied=None):
    """暂停 or 终止 `task` (the supervisor's decision, with its reason), or resume a paused one
    (status IN_PROGRESS). Stopped items have no light and get no reminders. `applied` is the
    department's application this decision grants; a pending application that the decision
    answers otherwise is settled too (granted if it asked for this, refused once terminated)."""
    task = _lock(task)
    _check_state(task, status)
    task.status, task.state_reason = status, reason
    task.save()
    derived.changed([task.pk])
    verb = STATE_NAMES.get(status, "恢复办理")
    granted = f"批准{applied.applied_by}的申请，" if applied else ""
    notify(
        department_staff(task.lead_department),
        kind=ReminderKind.WORKFLOW,
        subject=f"督办事项{verb}：{task.code} {task.title}",
        body=f"{user}（督查处）{granted}决定{verb}：{reason}",
        key=f"state:{task.pk}:{status}:{timezone.now():%Y%m%d%H%M%S}",
        about=task,
    )
    granting = task.state_requests.filter(kind=status, status=StateRequestStatus.PENDING)
    for pending in granting.select_for_update():
        settle_state_request(pending, user, StateRequestStatus.APPROVED)
    if status == TaskStatus.TERMINATED:
        refuse_pending_states(task, user, "督查处已决定终止该事项。")
    return task


# --- 暂停 / 终止 applied for by the lead department ------------------------------------------


@transaction.atomic
def apply_state(task, *, user, kind, reason):
    """The lead department (its head or staff) applies for 暂停 or 终止 (`kind`, a
    StateRequestKind) with its reason; the supervisors are told and decide (decide_state)."""
    task = _lock(task)
    _check_state(task, kind)
    if task.state_requests.filter(status=StateRequestStatus.PENDING).exists():
        raise Conflict("该事项已有待审批的暂停或终止申请。")
    try:
        with transaction.atomic():
            application = StateRequest.objects.create(
                task=task, kind=kind, reason=reason, applied_by=user
            )
    except IntegrityError:
        raise Conflict("该事项已有待审批的暂停或终止申请。") from None
    verb = STATE_NAMES[kind]
    notify(
        supervisors(),
        kind=ReminderKind.WORKFLOW,
        subject=f"{verb}申请：{task.code} {task.title}",
        body=f"{user}（{task.lead_department}）申请{verb}督办事项“{task.title}”：{reason[:200]}",
        key=f"state-application:{application.pk}:applied",
        about=application,
    )
    return application


@transaction.atomic
def decide_state(application, *, user, approve, reason=""):
    """The supervisor's decision on a 暂停 / 终止 application: approved, the item stops (with
    the application's reason); refused, with `reason`, the department is told why."""
    application = StateRequest.objects.select_for_update().get(pk=application.pk)
    if application.status != StateRequestStatus.PENDING:
        raise Conflict("该申请已处理，请刷新后核对。")
    if approve:
        set_state(
            application.task,
            user=user,
            status=application.kind,
            reason=application.reason,
            applied=application,
        )
        application.refresh_from_db()
        return application
    settle_state_request(application, user, StateRequestStatus.REFUSED, reason)
    task = application.task
    verb = STATE_NAMES[application.kind]
    notify(
        department_staff(task.lead_department),
        kind=ReminderKind.WORKFLOW,
        subject=f"{verb}申请未获批准：{task.code} {task.title}",
        body=f"{user}（督查处）不同意{verb}：{reason}。请继续办理。",
        key=f"state-application:{application.pk}:refused",
        about=application,
    )
    return application


def _next_number(year):
    last = (
        Task.objects.select_for_update()
        .filter(year=year, parent=None)
        .exclude(source=Source.PLAN)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return (last or 0) + 1


@transaction.atomic
def carry_over(task, *, user, reason):
    """挂账结转: an unfinished item goes on in next year as a linked new item (its history stays
    with the old one, which is marked 已挂账结转); returns the new item."""
    task = _lock(task)
    if task.status in DONE or task.status in (TaskStatus.TERMINATED, TaskStatus.CARRIED):
        raise Conflict("只有未完成的事项可以挂账结转。")
    if task.carried_into.exists():
        raise Conflict("该事项已结转。")
    year = task.year + 1
    new = Task(
        source=task.source if task.source != Source.PLAN else Source.OTHER,
        year=year,
        number=_next_number(year),
        title=task.title,
        text=f"{task.text}\n\n（由{task.year}年 {task.code} 挂账结转：{reason}）",
        lead_department=task.lead_department,
        responsible_leader=task.responsible_leader,
        linked_project=task.project or task.linked_project,
        doc_number=task.doc_number,
        doc_date=task.doc_date,
        start_date=date(year, 1, 1),
        due_date=task.due_date
        if task.due_date and task.due_date.year >= year
        else date(year, 12, 31),
        rhythm=task.rhythm or Rhythm.MONTHLY,
        status=TaskStatus.IN_PROGRESS,
        percent=task.percent,
        urgency=task.urgency,
        carried_from=task,
        origin_instruction=task.origin_instruction,
    )
    new.save()
    new.partner_departments.set(task.partner_departments.all())
    task.status, task.state_reason = TaskStatus.CARRIED, reason
    task.save()
    refuse_pending_states(task, user, "该事项已挂账结转。")
    derived.changed([task.pk, new.pk])
    return new


def year_end_candidates(year):
    """The items of `year` still open at its end: what the year-end carry-over offers."""
    stopped = [*DONE, TaskStatus.TERMINATED, TaskStatus.CARRIED]
    return Task.objects.filter(year=year, parent=None).exclude(status__in=stopped)
