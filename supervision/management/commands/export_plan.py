import json

from django.core.management.base import BaseCommand, CommandError

from supervision.models import Plan
from supervision.planio import export_plan


class Command(BaseCommand):
    help = "以 JSON 输出已导入的年度工作计划（与 import_plan --dry-run --format json 格式相同）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--format", choices=["json"], default="json")

    def handle(self, *args, year, **options):
        plan = Plan.objects.filter(year=year).first()
        if plan is None:
            raise CommandError(f"没有 {year} 年的工作计划。")
        self.stdout.write(json.dumps(export_plan(plan), ensure_ascii=False, indent=2))
