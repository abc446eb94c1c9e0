from django.core.management.base import BaseCommand, CommandError

from services import hotline


class Command(BaseCommand):
    help = (
        "导入 12345 工单（CSV 或 .xlsx 导出文件）：先检查每一行，"
        "有误则一行也不写入，并列出有误的行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="12345 系统导出的 CSV 或 .xlsx 文件")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            with open(path, "rb") as fileobj:
                result = hotline.import_orders(fileobj, path)
        except OSError as error:
            raise CommandError(f"无法打开文件：{error}") from None
        except hotline.ImportRefused as error:
            raise CommandError(str(error)) from None
        except hotline.RowsInvalid as invalid:
            checked = invalid.checked
            for number, message in checked.errors:
                self.stderr.write(f"第 {number} 行：{message}")
            if checked.problems > len(checked.errors):
                self.stderr.write(f"……另有 {checked.problems - len(checked.errors)} 处问题未列出")
            raise CommandError(f"文件中有 {checked.bad_rows} 行有误，全部工单均未导入。") from None
        record = result.record
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {record.rows} 张工单：新增 {result.created}，更新 {result.updated}，"
                f"用时 {record.seconds} 秒。"
            )
        )
