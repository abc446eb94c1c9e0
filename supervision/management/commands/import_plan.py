import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from supervision.planio import (
    PlanParseError,
    UnitResolver,
    apply_plan,
    read_plan,
    read_plan_file,
    unknown_units,
    unplaced_tasks,
)


class Command(BaseCommand):
    help = (
        "导入年度工作计划文档（UTF-8 文本、Word .docx 或带文字层的 PDF），生成工程、任务、措施和"
        "指标。重复导入不会产生变化。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="计划文档路径（.txt / .docx / .pdf）")
        parser.add_argument("--year", type=int, required=True, help="计划年度，如 2012")
        parser.add_argument("--dry-run", action="store_true", help="只解析并输出，不写入数据库")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--own-plan",
            action="store_true",
            help="本办自身的工作计划：文档未写明单位的任务按关键词表推测牵头处室（标为“推测”）",
        )

    def handle(self, *args, file, year, dry_run, format, own_plan, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {file}：{exc.strerror}") from None
        try:
            text = read_plan_file(data, name=file)
            tree = read_plan(text, year, own_plan=own_plan)
        except PlanParseError as exc:
            raise CommandError(f"{file}：{exc}") from None

        if dry_run:
            if format == "json":
                self.stdout.write(json.dumps(tree, ensure_ascii=False, indent=2))
            else:
                self.write_outline(tree)
            return

        result = apply_plan(tree, source_text=text)
        if format == "json":
            self.stdout.write(json.dumps(tree, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{year}年计划《{result.plan.title}》：新增 {result.created} 条，"
            f"更新 {result.updated} 条，删除 {result.deleted} 条。"
        )
        if not result.changed:
            self.stdout.write("内容与上次导入相同，未作改动。")
        resolver = UnitResolver()
        for name in result.new_departments:
            self.stdout.write(
                f"新建单位：{name}（文档写明、系统中尚无；如系已有单位的别称，可在导入页面选择对应单位）"
                + self.proposed(resolver, name)
            )
        suggested = [(code, title) for code, title, guessed in result.leads if guessed]
        if suggested:
            self.stdout.write(
                f"牵头单位为关键词推测、待确认的任务 {len(suggested)} 项"
                "（可在导入页面或后台确认）。"
            )
        for code, title in result.kept:
            self.stdout.write(f"保留（已有进展，文档中已无此项）：{code} {title}")
        if result.unplaced:
            self.stdout.write(f"未确定牵头单位的任务 {len(result.unplaced)} 项：")
            for code, title in result.unplaced:
                self.stdout.write(f"  {code} {title}")

    @staticmethod
    def proposed(resolver, name):
        other = resolver.proposal(name)
        if not other or other == name:
            return ""
        return f"；名称与已有单位“{other}”仅差前缀或后缀，如系同一单位，请在后台“单位别名”中登记"

    def write_outline(self, tree):
        self.stdout.write(f"{tree['year']}年 {tree['title']}")
        for project in tree["projects"]:
            self.stdout.write(
                f"{project['number']}. {project['title']}（{len(project['tasks'])} 项任务）"
            )
            self.write_tasks(project["tasks"], f"{project['number']}.", 1)
        resolver = UnitResolver()
        for name in unknown_units(tree):
            self.stdout.write(
                f"系统中尚无的单位（导入时将新建）：{name}" + self.proposed(resolver, name)
            )
        unplaced = unplaced_tasks(tree)
        if unplaced:
            self.stdout.write(f"未确定牵头单位的任务 {len(unplaced)} 项：")
            for code, title in unplaced:
                self.stdout.write(f"  {code} {title}")

    def write_tasks(self, tasks, prefix, depth):
        for task in tasks:
            code = f"{prefix}{task['number']}"
            lead = task["lead_department"] or "（未确定）"
            if task.get("lead_suggested"):
                lead += "（推测）"
            self.stdout.write(f"{'  ' * depth}{code} {task['title']} —— {lead}")
            self.write_tasks(task.get("tasks", []), f"{code}.", depth + 1)
