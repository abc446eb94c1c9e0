"""Rendering and sending one email from its three templates. Imports no model: deciding whom
to tell is the caller's business (healthchecks' hc/lib/emails.py works the same way)."""

import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def message_id_for(key):
    """A stable Message-ID for the mail of one stored message key: a resend after a worker
    crash carries the same id, so the receiving server or client can drop the duplicate."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<reminder.{digest}@{domain}>"


def send_templated_email(name, context, to, message_id=None):
    """An email from the three templates emails/<name>_subject.txt, <name>.txt, <name>.html.
    `message_id` (e.g. from `message_id_for`) makes a resend recognisable as the same mail."""
    message = EmailMultiAlternatives(
        subject=render_to_string(f"emails/{name}_subject.txt", context).strip(),
        body=render_to_string(f"emails/{name}.txt", context),
        to=to,
        headers={"Message-ID": message_id} if message_id else None,
    )
    message.attach_alternative(render_to_string(f"emails/{name}.html", context), "text/html")
    message.send()
