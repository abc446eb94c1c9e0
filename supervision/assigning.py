"""交办: an item assigned to a department waits for its head's 签收 (issue 12). Kept apart
from supervision/procedure.py so that 立项 (services.create_item) can 交办 without a cycle."""

from django.conf import settings
from django.utils import timezone

from core.choices import ReminderKind
from core.notify import notify
from core.roles import Role
from core.workdays import Calendar

from .models import Assignment
from .reporting import department_staff


def heads(department):
    """The department's 处室负责人 (its staff when it has no head): who signs for it."""
    return department_staff(department, (Role.HEAD,)) or department_staff(department)


def assign(task, department, *, user, is_lead=True, insisted=False, tell=True):
    """交办 `task` to `department` (its lead, or a partner for its part): a pending
    Assignment with its 签收 and 拒签 limits in working days; the department's head is told
    (unless `tell` is false: demo data, whose old items are not news)."""
    now = timezone.now()
    calendar = Calendar.load()
    today = timezone.localdate(now)
    assignment = Assignment.objects.create(
        task=task,
        department=department,
        is_lead=is_lead,
        assigned_by=user,
        assigned_at=now,
        sign_by=calendar.add(today, settings.ASSIGNMENT_SIGN_WORKDAYS),
        refuse_by=calendar.add(today, settings.ASSIGNMENT_REFUSE_WORKDAYS),
        insisted=insisted,
    )
    part = "牵头" if is_lead else "配合"
    if not tell:
        return assignment
    notify(
        heads(department),
        kind=ReminderKind.WORKFLOW,
        subject=f"请签收督办事项：{task.code} {task.title}",
        body=f"{user}交办督办事项“{task.title}”（{part}），请于 {assignment.sign_by:%Y-%m-%d} "
        f"前签收"
        + ("（坚持交办，不可拒签）。" if insisted else "；如不属本单位职责，可说明理由拒签。"),
        key=f"assignment:{assignment.pk}",
        about=assignment,
    )
    return assignment


def assign_all(task, *, user, tell=True):
    """交办 an item just created: its lead department and each partner."""
    if task.lead_department_id:
        assign(task, task.lead_department, user=user, tell=tell)
    for department in task.partner_departments.all():
        assign(task, department, user=user, is_lead=False, tell=tell)
