"""Who may do what in 政民互动增效 (core/access.py asks these rules)."""

from django.db import models

from core.access import has_role, is_admin, policy
from core.roles import Role

from .models import Inquiry, Proposal, WorkOrder


class Action(models.TextChoices):
    HOTLINE = "services.hotline", "查看12345工单"
    HOTLINE_IMPORT = "services.hotline_import", "导入12345工单"
    INQUIRIES = "services.inquiries", "查看网络问政"
    INQUIRY_CREATE = "services.inquiry_create", "登记网络问政"
    INQUIRY_ANSWER = "services.inquiry_answer", "答复网络问政"
    HOTLINE_ESCALATE = "services.hotline_escalate", "12345集中督办立项"
    PROPOSALS = "services.proposals", "查看建议提案"
    PROPOSAL_CREATE = "services.proposal_create", "登记建议提案"
    PROPOSAL_REPLY = "services.proposal_reply", "办理、答复建议提案"
    PROPOSAL_JUDGE = "services.proposal_judge", "登记代表委员评价"


def sees_every_unit(user):
    """Whether `user` sees every unit's work orders (else those of their department's)."""
    return is_admin(user) or has_role(user, Role.SUPERVISOR, Role.LEADER)


@policy(None)
def services_actions(user, action, obj=None):
    """Supervisors and leaders see every unit's work orders and KPIs; staff and heads those
    of the units mapped to their department (the querysets' scope). Supervisors import."""
    if action == Action.HOTLINE:
        return has_role(user, Role.SUPERVISOR, Role.LEADER, Role.HEAD, Role.STAFF)
    if action in (
        Action.HOTLINE_IMPORT,
        Action.HOTLINE_ESCALATE,
        Action.INQUIRY_CREATE,
        Action.PROPOSAL_CREATE,
    ):
        return has_role(user, Role.SUPERVISOR)
    if action in (Action.INQUIRIES, Action.PROPOSALS):
        return has_role(user, Role.SUPERVISOR, Role.LEADER, Role.HEAD, Role.STAFF)
    return None


@policy(WorkOrder)
def work_order_actions(user, action, order):
    if action == Action.HOTLINE:
        return True  # fetched through visible_to: the scope already decided
    return None


@policy(Inquiry)
def inquiry_actions(user, action, inquiry):
    """Everyone who may list an inquiry may read it; its department's staff and heads answer
    it; supervisors register and correct it."""
    if action == Action.INQUIRIES:
        return True  # fetched through visible_to: the scope already decided
    if action == Action.INQUIRY_ANSWER:
        return has_role(user, Role.STAFF, Role.HEAD) and user.department_id == inquiry.department_id
    if action == Action.INQUIRY_CREATE:
        return has_role(user, Role.SUPERVISOR)
    return None


@policy(Proposal)
def proposal_actions(user, action, proposal):
    """Readers are whoever may list it (the scope); the lead unit's staff and heads handle and
    reply; supervisors register it and record the proposer's opinion."""
    if action == Action.PROPOSALS:
        return True
    if action == Action.PROPOSAL_REPLY:
        return (
            has_role(user, Role.STAFF, Role.HEAD)
            and user.department_id == proposal.lead_department_id
        )
    if action in (Action.PROPOSAL_CREATE, Action.PROPOSAL_JUDGE):
        return has_role(user, Role.SUPERVISOR)
    return None
