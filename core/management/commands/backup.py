"""`manage.py backup [--dir DIR]`: the database and the uploaded files in one file."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "备份数据库（PostgreSQL 用 pg_dump，SQLite 复制文件）和上传的文件，生成一个 .tar.gz。"

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(settings.VAR_DIR / "backups"), help="备份目录")

    def handle(self, *args, dir, **options):
        try:
            path = create_backup(dir)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(path))
