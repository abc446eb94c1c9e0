"""Notices to people: an in-app notification and an email per recipient, about any record.

Each notice is stored as Reminder rows whose `key` is unique, so the same notice can never be
stored (and so sent) twice. In-app rows are delivered when stored; email rows are sent by the
Celery task `deliver_reminder` after the transaction commits, so a web request never waits on
the mail server. The record the notice is about (`about`) is stored generically, with its
page (`get_absolute_url`) and its name, so a notice opens the thing it is about.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from .channels import channels
from .delivery import deliver_after_commit
from .models import Reminder


def pointer(obj):
    """The generic fields that make a notice or reminder item point at `obj` (or nothing)."""
    if obj is None:
        return {}
    return {
        "content_type": ContentType.objects.get_for_model(obj),
        "object_id": obj.pk,
        "url": obj.get_absolute_url()[:200],
        "label": str(obj)[:200],
    }


def notify(recipients, *, kind, subject, body, key, about=None):
    """Store a notice on every configured channel that wants each recipient; returns the rows
    created. A key already stored is skipped: a notice is never stored twice."""
    now = timezone.now()
    target = pointer(about)
    created = []
    for user in {u.pk: u for u in recipients}.values():
        for channel in channels():
            if not channel.wants(user):
                continue
            row = Reminder(
                key=f"{key}:{user.pk}:{channel.name}"[:200],
                kind=kind,
                recipient=user,
                channel=channel.name,
                subject=subject[:200],
                body=body,
                sent_at=None if channel.deferred else now,
                **target,
            )
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                continue  # already stored: never twice
            created.append(row)
            if channel.deferred:
                deliver_after_commit(row.pk)
    return created
