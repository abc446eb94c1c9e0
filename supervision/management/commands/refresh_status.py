from datetime import date

from django.core.management.base import BaseCommand, CommandError

from supervision.derived import refresh_all


class Command(BaseCommand):
    help = (
        "重新计算看板的月度汇总（与每日零点后的定时任务相同）：补建尚未生成的月份，"
        "并将本月按指定日期（默认今天）重算。可重复执行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--day", help="按该日计算（YYYY-MM-DD），默认今天")

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["day"]) if options["day"] else None
        except ValueError:
            raise CommandError("日期格式应为 YYYY-MM-DD。") from None
        done = refresh_all(day)
        months = "、".join(f"{m:%Y-%m}" for m in done["months"]) or "无"
        self.stdout.write(f"月度汇总已更新：{months}")
