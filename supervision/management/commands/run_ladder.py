from datetime import date

from django.core.management.base import BaseCommand, CommandError

from supervision.ladder import run_ladder


class Command(BaseCommand):
    help = (
        "按督办升级规则执行一次（与每日定时任务相同）：发出督办函、催办通知书，"
        "拟约谈、通报批评。可重复执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日执行（YYYY-MM-DD），默认今天")

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError:
            raise CommandError("日期格式应为 YYYY-MM-DD。") from None
        created = run_ladder(day)
        for record in created:
            label = f"{record.get_action_display()} {record.task.code} {record.department}"
            self.stdout.write(f"{label}：{record.reason}")
        self.stdout.write(f"created: {len(created)} records")
