from django.core.management.base import BaseCommand, CommandError

from supervision import procedure
from supervision.models import User


class Command(BaseCommand):
    help = (
        "年底挂账结转：把某年度未完成的事项结转到下一年（保留原事项及其历史，两者互相关联）。"
        "可先用 --dry-run 查看。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="结转哪一年的事项")
        parser.add_argument("--user", required=True, help="经办的督查人员用户名")
        parser.add_argument("--reason", default="年底未完成，挂账结转", help="结转原因")
        parser.add_argument("--dry-run", action="store_true", help="只列出，不结转")

    def handle(self, *args, **options):
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"没有用户 {options['user']}。")
        items = list(procedure.year_end_candidates(options["year"]).order_by("path"))
        for task in items:
            if options["dry_run"]:
                self.stdout.write(f"{task.code} {task.title}")
                continue
            new = procedure.carry_over(task, user=user, reason=options["reason"])
            self.stdout.write(f"{task.code} → {new.code} {new.title}")
        verb = "would carry" if options["dry_run"] else "carried"
        self.stdout.write(f"{verb}: {len(items)} items")
