from datetime import date

from django.core.management.base import BaseCommand, CommandError

from supervision.derived import refresh_all


class Command(BaseCommand):
    help = (
        "重新计算全部任务的灯号、序时进度、最近月报和挂牌状态，并补建看板的月度汇总"
        "（与每日零点后的定时任务相同），标记该日已计算。可重复执行。"
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
        self.stdout.write(f"任务状态已计算：{done['tasks']} 项；月度汇总已更新：{months}")
