"""网络在线问政: the one write of each step, whichever page or job calls it."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Inquiry


class AlreadyAnswered(Exception):
    """Someone answered the inquiry first; the message is for the user."""


def default_due(asked_at):
    """The answer deadline when none is given: INQUIRY_REPLY_DAYS after the question."""
    return timezone.localdate(asked_at) + timedelta(days=settings.INQUIRY_REPLY_DAYS)


def save_inquiry(form):
    """Create or change an inquiry from a valid InquiryForm (history records the change)."""
    inquiry = form.save(commit=False)
    if not inquiry.due_date:
        inquiry.due_date = default_due(inquiry.asked_at)
    inquiry.save()
    return inquiry


def answer_inquiry(inquiry, user, answer):
    """Record the department's answer, once: a second answer (another tab, another clerk) is
    refused rather than overwriting the first."""
    with transaction.atomic():
        locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if locked.answered_at is not None:
            raise AlreadyAnswered(
                f"{locked.answered_by or '其他人员'}已于"
                f"{timezone.localtime(locked.answered_at):%Y-%m-%d %H:%M}答复，未重复保存。"
            )
        locked.answer = answer
        locked.answered_at = timezone.now()
        locked.answered_by = user
        locked._change_reason = "答复网络问政"
        locked.save()
    return locked
