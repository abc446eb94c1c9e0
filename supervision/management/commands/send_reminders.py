"""`manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]`: the scheduler's scan, once."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from core.choices import ReminderKind
from core.reminders import scan


def parse_day(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期 {value!r} 格式不正确，应为 YYYY-MM-DD。") from None


class Command(BaseCommand):
    help = (
        "按提醒规则扫描一次（与每日定时任务相同），逐条列出发送（或将发送）的提醒。"
        "同一天再次运行不会重复发送。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=parse_day, help="扫描日期 YYYY-MM-DD，默认今天")
        parser.add_argument("--dry-run", action="store_true", help="只列出，不保存也不发送")

    def handle(self, *args, date=None, dry_run=False, **options):
        result = scan(date, dry_run=dry_run, trigger="command")
        day = f"{result.day:%Y-%m-%d}"
        kinds = dict(ReminderKind.choices)
        names = {}  # recipient pk -> "username（full name）"
        lines = []
        for item in sorted(result.items, key=lambda i: (i.recipient.pk, i.key)):
            user = item.recipient
            who = names.get(user.pk)
            if who is None:
                who = names[user.pk] = f"{user.username}（{user}）"
            url = item.url
            link = f" {url}" if url else ""
            lines.append(f"{day} [{kinds[item.kind]}] → {who}：{item.reason}{link}")
        if lines:  # one write: tens of thousands of lines at a province's scale
            self.stdout.write("\n".join(lines))
        if not dry_run and result.reminders:
            by_channel = {}
            for reminder in result.reminders:
                by_channel[reminder.get_channel_display()] = (
                    by_channel.get(reminder.get_channel_display(), 0) + 1
                )
            parts = "，".join(f"{name} {n} 条" for name, n in by_channel.items())
            self.stdout.write(f"每日汇总：{parts}")
        verb = "would send" if dry_run else "sent"
        self.stdout.write(
            f"{verb}: {len(result.items)} reminders to {result.recipients} recipients"
        )
