"""Email backends for the reminder tests: one that fails, one that fails then works, and a
slow file backend the real-worker test kills a worker in the middle of."""

import json
import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("邮件服务器断开连接")


class FlakyBackend(LocmemBackend):
    """Fails the first `failures` sends (class attribute), then delivers to mail.outbox."""

    failures = 1

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("临时故障")
        return super().send_messages(messages)


class SlowJsonBackend(BaseEmailBackend):
    """Sleeps MAIL_DELAY seconds, then appends one JSON line per message to MAIL_LOG."""

    def send_messages(self, messages):
        time.sleep(float(os.environ.get("MAIL_DELAY", "0.5")))
        with Path(os.environ["MAIL_LOG"]).open("a", encoding="utf-8") as log:
            for message in messages:
                line = {
                    "to": message.to,
                    "subject": message.subject,
                    "pid": os.getpid(),
                    "message_id": message.extra_headers.get("Message-ID"),
                }
                log.write(json.dumps(line, ensure_ascii=False) + "\n")
        return len(messages)
