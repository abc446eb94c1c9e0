"""Who may do what: the one place every view asks.

Everyone signed in with a role reads every task. Staff write the reports of the tasks their
department leads, and their own department's part (配合情况) of tasks it partners on. Heads
also review their department's reports. Supervisors list and lift 挂牌督办, send 催办 and
confirm 办结. Leaders write 批示. Admins do everything.

Views fetch objects only through `get_task` / `require`, which raise 404 for what does not
exist and 403 (PermissionDenied) for what the user may not do.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .choices import Role
from .models import Task


class Action:
    VIEW = "view"
    REPORT = "report"  # fill and submit the lead department's monthly report
    PARTNER = "partner"  # write the partner department's own part
    REVIEW = "review"  # return or approve a report
    MILESTONE = "milestone"  # tick milestones
    LIST = "list"  # 挂牌督办
    REMIND = "remind"  # 催办
    CLOSE = "close"  # confirm 办结
    INSTRUCT = "instruct"  # 批示
    ANSWER = "answer"  # answer a 批示
    LEDGER = "ledger"  # 督查台账
    DASHBOARD = "dashboard"
    IMPORT = "import"  # plan import


def is_admin(user):
    return user.is_superuser or user.has_role(Role.ADMIN)


def leads(user, task):
    return bool(user.department_id) and user.department_id == task.lead_department_id


def partners(user, task):
    return bool(user.department_id) and any(
        d.pk == user.department_id for d in task.partner_departments.all()
    )


def can(user, action, task=None):
    """Whether `user` may do `action` (on `task`, for task-level actions)."""
    if not user.is_authenticated:
        return False
    if is_admin(user):
        return True
    if not user.roles:
        return False
    if action == Action.VIEW:
        return True
    if action in (Action.LEDGER, Action.DASHBOARD):
        return user.has_role(Role.SUPERVISOR, Role.LEADER)
    if action in (Action.LIST, Action.REMIND, Action.CLOSE):
        return user.has_role(Role.SUPERVISOR)
    if action == Action.INSTRUCT:
        return user.has_role(Role.LEADER)
    if action == Action.IMPORT:
        return False
    if task is None:
        return False
    if action in (Action.REPORT, Action.MILESTONE, Action.ANSWER):
        return user.has_role(Role.STAFF, Role.HEAD) and leads(user, task)
    if action == Action.PARTNER:
        return user.has_role(Role.STAFF, Role.HEAD) and partners(user, task)
    if action == Action.REVIEW:
        return user.has_role(Role.HEAD) and leads(user, task)
    return False


def require(user, action, task=None):
    if not can(user, action, task):
        raise PermissionDenied("无权执行此操作。")


def get_task(user, pk, action=Action.VIEW, queryset=None):
    """The task `pk` if `user` may do `action` on it: 404 if missing, 403 if forbidden."""
    queryset = queryset if queryset is not None else Task.objects.all()
    task = get_object_or_404(
        queryset.select_related("project__plan", "lead_department").prefetch_related(
            "partner_departments"
        ),
        pk=pk,
    )
    require(user, action, task)
    return task
