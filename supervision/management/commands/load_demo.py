from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from supervision.demo import load_demo


class Command(BaseCommand):
    help = (
        "载入演示数据：单位、演示账号、计划（按 --year 的年度，默认当年）及其节点和截至上月的进展。"
        "--year 2012 载入计划原文的年度（进展至 6 月）。可重复运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year",
            type=int,
            default=None,
            help="计划所在年度（默认当年）；当年的进展报告截至上月，其他年度截至 6 月。",
        )

    def handle(self, *args, year=None, **options):
        year = year or timezone.localdate().year
        if not 1990 <= year <= 2100:
            raise CommandError("年度应在 1990 到 2100 之间。")
        plan = load_demo(year=year, out=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪：{plan}"))
