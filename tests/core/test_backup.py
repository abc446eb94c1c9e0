"""`manage.py backup` / `restore` (`make backup` / `make restore`): a backup restored into a
fresh database holds every task, report, history row and uploaded file (issue 9, item 8)."""

import sqlite3
import uuid

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection

from core.backup import BackupError, read_manifest
from supervision.models import MonthlyReport, Task

pytestmark = pytest.mark.django_db(transaction=True)


def fresh_database(tmp_path):
    """(DATABASE_URL of an empty database of the test's kind, a function counting a table)."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"

        def count(table):
            with sqlite3.connect(path) as db:
                return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608

        return f"sqlite:///{path}", count, lambda: None
    settings = connection.settings_dict
    name = f"{settings['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    params = {"host": settings["HOST"], "port": settings["PORT"] or 5432, "user": settings["USER"]}
    admin = psycopg2.connect(dbname="postgres", password=settings["PASSWORD"], **params)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')

    def count(table):
        with psycopg2.connect(dbname=name, password=settings["PASSWORD"], **params) as db:
            cursor = db.cursor()
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            return cursor.fetchone()[0]

    def drop():
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    user = f"{settings['USER']}@" if settings["USER"] else ""
    url = f"postgres://{user}{params['host']}:{params['port']}/{name}"
    return url, count, drop


def test_backup_restores_into_a_fresh_database_with_everything(demo, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "evidence").mkdir(parents=True)
    (settings.MEDIA_ROOT / "evidence" / "佐证材料.pdf").write_bytes(b"%PDF-1.4 evidence")
    call_command("backup", "--dir", str(tmp_path / "backups"))
    (backup,) = (tmp_path / "backups").glob("duban-*.tar.gz")
    manifest = read_manifest(backup)
    assert manifest["counts"]["supervision.Task"] == Task.objects.count() > 0

    url, count, drop = fresh_database(tmp_path)
    try:
        restored_media = tmp_path / "restored-media"
        call_command(
            "restore",
            str(backup),
            "--noinput",
            "--database-url",
            url,
            "--media-root",
            str(restored_media),
        )
        assert count("supervision_task") == Task.objects.count()
        assert count("supervision_monthlyreport") == MonthlyReport.objects.count() > 0
        assert count("supervision_historicaltask") == Task.history.count() > 0
        assert count("supervision_historicalmonthlyreport") == MonthlyReport.history.count()
        restored = restored_media / "evidence" / "佐证材料.pdf"
        assert restored.read_bytes() == b"%PDF-1.4 evidence"
    finally:
        drop()


def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a backup")
    with pytest.raises(BackupError, match="不是本系统的备份文件"):
        read_manifest(junk)
