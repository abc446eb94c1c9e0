"""`manage.py restore FILE [--noinput]`: put a backup back (database and uploaded files)."""

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = "从 manage.py backup 生成的备份恢复数据库和上传的文件（覆盖现有数据）。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--database-url", help="恢复到这个数据库（默认 DATABASE_URL）")
        parser.add_argument("--media-root", help="上传文件恢复到这里（默认 MEDIA_ROOT）")
        parser.add_argument("--noinput", action="store_true", help="不再询问确认")

    def handle(self, *args, file, database_url=None, media_root=None, noinput=False, **options):
        try:
            manifest = read_manifest(file)
            if not noinput:
                answer = input(f"将用 {manifest['created']} 的备份覆盖现有数据，确认请输入 yes：")
                if answer.strip() != "yes":
                    raise CommandError("已取消。")
            manifest = restore_backup(file, database_url=database_url, media_root=media_root)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = "，".join(f"{k} {v}" for k, v in manifest["counts"].items() if v)
        self.stdout.write(f"已恢复 {manifest['created']} 的备份：{rows}")
