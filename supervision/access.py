"""Who may do what in the supervision app: the rules `core.access.can` applies to tasks and to
the office-wide actions (found at start-up by core/apps.py, like reminder_rules.py).

Everyone signed in with a role reads every task. Staff write the reports of the tasks their
department leads, and their own department's part (配合情况) of tasks it partners on. Heads
also review their department's reports. Supervisors list and lift 挂牌督办, send 催办 and
confirm 办结. Leaders write 批示. Admins do everything (core.access).
"""

from django.core.exceptions import PermissionDenied

from core.access import DENIED, can, get_or_404, has_role, policy, require
from core.files import FILE_ACTION, FILE_DELETE_ACTION
from core.roles import Role

from .choices import ClosureStatus, ReportStatus
from .models import (
    LETTER_ACTIONS,
    RECORD_ACTIONS,
    Assignment,
    Closure,
    Extension,
    LadderRecord,
    Milestone,
    MonthlyReport,
    StateRequest,
    Task,
)


class Action:
    VIEW = "view"
    REPORT = "report"  # fill and submit the lead department's monthly report
    PARTNER = "partner"  # write the partner department's own part
    REVIEW = "review"  # return or approve a report
    MILESTONE = "milestone"  # tick milestones
    LIST = "list"  # 挂牌督办
    REMIND = "remind"  # 催办
    CLOSE = "close"  # confirm 办结 (销号) or send the application back
    APPLY_CLOSE = "apply_close"  # the lead department applies for 办结
    CREATE = "create"  # 立项: a 督办事项 from any source
    APPROVE_MILESTONES = "approve_milestones"  # approve or return proposed 节点
    FILES = FILE_ACTION  # download a record's 佐证材料
    DELETE_FILE = FILE_DELETE_ACTION  # delete one (the lead department, while it may edit)
    INSTRUCT = "instruct"  # 批示
    ANSWER = "answer"  # answer a 批示
    LEDGER = "ledger"  # 督查台账
    DASHBOARD = "dashboard"
    IMPORT = "import"  # plan import
    DEPARTMENT_REPORTS = "department_reports"  # the department's page and sheet of a month
    # issue 12
    SIGN_PAGE = "sign_page"  # see an item's 交办签收 (its departments and the office)
    SIGN = "sign"  # 签收 / 拒签 an Assignment (the department's head)
    REASSIGN = "reassign"  # 改派 or 坚持交办 after a 拒签
    APPLY_EXTENSION = "apply_extension"  # the lead department applies for 延期
    DECIDE_EXTENSION = "decide_extension"  # the supervisor's decision
    LEADER_EXTENSION = "leader_extension"  # a leader's, under 市政府挂牌
    STATE = "state"  # 暂停 / 恢复 / 终止 / 挂账结转, and deciding the applications for them
    APPLY_STATE = "apply_state"  # the lead department applies for 暂停 / 终止
    REQUESTS = "requests"  # the queue of applications waiting for the user (/supervision/requests/)
    LETTERS = "letters"  # the 督办函 and 约谈 pages
    ESCALATE = "escalate"  # issue a 督办函, record a 约谈 / 通报批评 / 问责
    SIGN_LETTER = "sign_letter"  # the department head signs for a 督办函
    BULLETINS = "bulletins"  # read the issued 督查通报
    BULLETIN = "bulletin"  # generate, edit and issue 督查通报
    SCORES = "scores"  # 目标绩效考核 (heads: their own department's)
    REVIEWS = "reviews"  # the review queue (/reviews/)


# What a 403 says for each action: the rule the user did not meet (core/views.py shows it).
REASONS = {
    Action.REPORT: "只有牵头单位的承办人员可以填报本任务的月度进展。",
    Action.PARTNER: "只有配合单位的人员可以填写本任务的配合工作情况。",
    Action.REVIEW: "只有牵头单位的处室负责人可以审核本任务的月报。",
    Action.MILESTONE: "只有牵头单位的人员可以更新本任务的节点。",
    Action.LIST: "只有督查人员可以挂牌督办。",
    Action.REMIND: "只有督查人员可以催办。",
    Action.CLOSE: "只有督查人员可以确认办结或关账。",
    Action.INSTRUCT: "只有领导可以作出批示。",
    Action.ANSWER: "只有牵头单位的人员可以报送批示落实情况。",
    Action.LEDGER: "只有督查人员和领导可以查看督查台账。",
    Action.DASHBOARD: "只有督查人员和领导可以查看督查看板。",
    Action.IMPORT: "只有系统管理员可以导入工作计划。",
    Action.REQUESTS: "只有督查人员和领导可以查看待审批申请。",
    Action.REVIEWS: "只有处室负责人可以审核本处室的月报。",
}


def leads(user, task):
    return bool(user.department_id) and user.department_id == task.lead_department_id


def partners(user, task):
    return bool(user.department_id) and any(
        d.pk == user.department_id for d in task.partner_departments.all()
    )


@policy(None)
def office_actions(user, action, obj=None):
    """The actions that do not depend on which task: by role alone."""
    if action == Action.VIEW:
        return True
    if action in (Action.LEDGER, Action.DASHBOARD):
        return has_role(user, Role.SUPERVISOR, Role.LEADER)
    if action in (
        Action.LIST,
        Action.REMIND,
        Action.CLOSE,
        Action.CREATE,
        Action.APPROVE_MILESTONES,
    ):
        return has_role(user, Role.SUPERVISOR)
    if action == Action.INSTRUCT:
        return has_role(user, Role.LEADER)
    if action in (
        Action.REASSIGN,
        Action.DECIDE_EXTENSION,
        Action.STATE,
        Action.ESCALATE,
    ):
        return has_role(user, Role.SUPERVISOR)
    if action == Action.REQUESTS:  # each sees what waits for them (views.procedure)
        return has_role(user, Role.SUPERVISOR, Role.LEADER)
    if action == Action.LEADER_EXTENSION:
        return has_role(user, Role.LEADER)
    if action == Action.LETTERS:
        return has_role(user, Role.SUPERVISOR, Role.LEADER, Role.HEAD)
    if action == Action.IMPORT:
        return False
    if action == Action.DEPARTMENT_REPORTS:
        return has_role(user, Role.STAFF, Role.HEAD)
    if action in (Action.BULLETINS, Action.SCORES):
        return has_role(user, Role.SUPERVISOR, Role.LEADER, Role.HEAD)
    if action == Action.BULLETIN:
        return has_role(user, Role.SUPERVISOR)
    if action == Action.REVIEWS:
        return has_role(user, Role.HEAD) and bool(user.department_id)
    return None


def require_action(user, action):
    """`core.access.require` for an office-wide action, saying why (REASONS) on a 403."""
    require(user, action, message=REASONS.get(action, DENIED))


def require_department_reporter(user, message):
    """Staff and heads (and admins) of a department fill in their department's reports of a
    month on one page or one sheet; 403 with `message` for anyone else."""
    if not user.department_id:
        raise PermissionDenied(message)
    require(user, Action.DEPARTMENT_REPORTS, message=message)


@policy(Task)
def task_actions(user, action, task):
    """The office-wide actions, and those that belong to the task's lead or partner units."""
    answer = office_actions(user, action)
    if answer is not None:
        return answer
    if action in (Action.REPORT, Action.MILESTONE, Action.ANSWER, Action.APPLY_CLOSE):
        return has_role(user, Role.STAFF, Role.HEAD) and leads(user, task)
    if action == Action.FILES:
        # 佐证材料: the office (supervisors, leaders) and the task's own departments
        return has_role(user, Role.SUPERVISOR, Role.LEADER) or (
            has_role(user, Role.STAFF, Role.HEAD) and (leads(user, task) or partners(user, task))
        )
    if action == Action.PARTNER:
        return has_role(user, Role.STAFF, Role.HEAD) and partners(user, task)
    if action in (Action.APPLY_EXTENSION, Action.APPLY_STATE):
        return has_role(user, Role.STAFF, Role.HEAD) and leads(user, task)
    if action == Action.SIGN_PAGE:
        return has_role(user, Role.SUPERVISOR, Role.LEADER) or (
            has_role(user, Role.STAFF, Role.HEAD)
            and bool(user.department_id)
            and task.assignments.filter(department_id=user.department_id).exists()
        )
    if action == Action.REVIEW:
        return has_role(user, Role.HEAD) and leads(user, task)
    return None


EDITABLE_RECORD_STATUSES = {ReportStatus.DRAFT, ReportStatus.RETURNED, ClosureStatus.PENDING}


@policy(MonthlyReport)
@policy(Milestone)
@policy(Closure)
def task_record_actions(user, action, record):
    """A task's report, 节点 and 办结 application (and their files): as the task; their
    files are deleted by the lead department while the record is still its own to change
    (a draft or returned report, a 节点, a pending application)."""
    if action == Action.DELETE_FILE:
        editable = getattr(record, "status", "") in EDITABLE_RECORD_STATUSES or isinstance(
            record, Milestone
        )
        return editable and task_actions(user, Action.REPORT, record.task)
    return task_actions(user, action, record.task)


@policy(Assignment)
def assignment_actions(user, action, assignment):
    """签收 / 拒签: the head of the department it was assigned to."""
    if action == Action.SIGN:
        return has_role(user, Role.HEAD) and user.department_id == assignment.department_id
    return task_actions(user, action, assignment.task)


@policy(Extension)
@policy(StateRequest)
def extension_actions(user, action, extension):
    return task_actions(user, action, extension.task)


@policy(LadderRecord)
def ladder_actions(user, action, record):
    """Supervisors and leaders read every record; a head its department's letters and 约谈
    (not 通报批评 / 问责), and signs for its letters."""
    own = has_role(user, Role.HEAD) and user.department_id == record.department_id
    if action == Action.VIEW:
        return has_role(user, Role.SUPERVISOR, Role.LEADER) or (
            own and record.action not in RECORD_ACTIONS
        )
    if action == Action.SIGN_LETTER:
        return own and record.action in LETTER_ACTIONS
    if action == Action.ESCALATE:
        return has_role(user, Role.SUPERVISOR)
    return None


def get_task(user, pk, action=Action.VIEW, queryset=None, message=None):
    """The task `pk` if `user` may do `action` on it: 404 if missing, 403 (saying why,
    REASONS) if forbidden."""
    message = message or REASONS.get(action, DENIED)
    queryset = queryset if queryset is not None else Task.objects.all()
    queryset = queryset.select_related("project__plan", "lead_department").prefetch_related(
        "partner_departments"
    )
    return get_or_404(user, queryset, action, message, pk=pk)


TASK_PAGE_ACTIONS = [
    Action.REPORT,
    Action.PARTNER,
    Action.REVIEW,
    Action.LIST,
    Action.REMIND,
    Action.CLOSE,
    Action.INSTRUCT,
    Action.ANSWER,
    Action.MILESTONE,
    Action.APPLY_CLOSE,
    Action.APPROVE_MILESTONES,
    Action.FILES,
    Action.CREATE,
    Action.APPLY_EXTENSION,
    Action.DECIDE_EXTENSION,
    Action.LEADER_EXTENSION,
    Action.REASSIGN,
    Action.STATE,
    Action.APPLY_STATE,
    Action.ESCALATE,
    Action.SIGN_PAGE,
]


def task_rights(user, task):
    """{"can_report": True, …}: what the task page offers `user`."""
    return {f"can_{action}": can(user, action, task) for action in TASK_PAGE_ACTIONS}
