"""Rendering and sending one email from its three templates. Imports no model: deciding whom
to tell is the caller's business (healthchecks' hc/lib/emails.py works the same way)."""

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated_email(name, context, to):
    """An email from the three templates emails/<name>_subject.txt, <name>.txt, <name>.html."""
    message = EmailMultiAlternatives(
        subject=render_to_string(f"emails/{name}_subject.txt", context).strip(),
        body=render_to_string(f"emails/{name}.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"emails/{name}.html", context), "text/html")
    message.send()
