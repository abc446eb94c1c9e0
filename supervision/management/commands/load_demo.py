from django.core.management.base import BaseCommand

from supervision.demo import load_demo


class Command(BaseCommand):
    help = "载入演示数据：单位、演示账号、2012年计划及其节点和几个月的进展。可重复运行。"

    def handle(self, *args, **options):
        plan = load_demo(out=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"演示数据已就绪：{plan}"))
