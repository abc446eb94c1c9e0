"""The 政民互动 records a plan task's page, ledger and light count (core/task_records.py): a
建议提案 or a 网络问政 answer past its deadline turns the task it serves red."""

from django.db.models import Q

from core.task_records import register

from .choices import ProposalStatus
from .models import HotlineCase, Inquiry, Proposal, WorkOrderImport

WAITING = [ProposalStatus.ASSIGNED, ProposalStatus.HANDLING, ProposalStatus.SECOND]


def proposal_late(today):
    return Q(status__in=WAITING, due_date__lt=today)


def inquiry_late(today):
    return Q(answered_at__isnull=True, due_date__lt=today)


@register(
    "services.proposals",
    label="建议提案",
    late=proposal_late,
    url_name="services:proposals",
    order=30,
)
def proposals():
    return Proposal.objects.all()


@register(
    "services.inquiries",
    label="网络问政",
    late=inquiry_late,
    url_name="services:inquiries",
    order=31,
)
def inquiries():
    return Inquiry.objects.all()


@register("services.hotline", label="12345工单导入", url_name="services:home", order=32)
def hotline_imports():
    return WorkOrderImport.objects.all()


@register(
    "services.hotline_cases",
    label="12345集中督办工单",
    url_name="services:hotline",
    task_path="hotlinecase__item",
    order=33,
)
def hotline_case_orders():
    """The work orders a 集中督办 item was opened from (counted on the item's page)."""
    return HotlineCase.orders.through.objects.all()
