"""Backup and restore of the whole installation: the database and the uploaded files.

One file, `duban-YYYYmmdd-HHMMSS.tar.gz`, holds
- `database.dump` (PostgreSQL: `pg_dump --format=custom`), or `database.sqlite3` (SQLite: a
  consistent copy through SQLite's online backup API, safe while the app runs);
- `media/`, the uploaded files (settings.MEDIA_ROOT);
- `manifest.json`: when, which database, and the row counts a restore is checked against.

Restore writes the dump into a database (`pg_restore --clean --if-exists`, or the SQLite file
copied into place) and the files into MEDIA_ROOT. `make backup` / `make restore FILE=…` call
`manage.py backup` / `manage.py restore`.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import dj_database_url
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone


class BackupError(Exception):
    """pg_dump/pg_restore failed, or the file is not a backup; the message is for operators."""


def _pg_args(db):
    args = []
    if db.get("HOST"):
        args += ["-h", db["HOST"]]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", db["USER"]]
    return args


def _pg_env(db):
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(command, env):
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise BackupError(f"{command[0]} 失败：{proc.stderr.strip()[:2000]}")
    return proc


def counts():
    """Rows of every model (history tables included), for checking a restore by hand."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def dump_database(folder):
    """Write the current database into `folder`; returns the file's name."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        target = Path(folder) / "database.dump"
        command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
        _run([*command, *_pg_args(db), "-f", str(target), db["NAME"]], _pg_env(db))
        return target.name
    if connection.vendor == "sqlite":
        target = Path(folder) / "database.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
        return target.name
    raise BackupError(f"不支持的数据库：{connection.vendor}")


def create_backup(directory, media_root=None):
    """The path of a new backup file in `directory`."""
    media_root = Path(media_root or settings.MEDIA_ROOT)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = directory / f"duban-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory() as work:
        name = dump_database(work)
        manifest = {
            "created": timezone.now().isoformat(),
            "vendor": connection.vendor,
            "database": name,
            "counts": counts(),
        }
        (Path(work) / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
        with tarfile.open(path, "w:gz") as archive:
            archive.add(Path(work) / "manifest.json", "manifest.json")
            archive.add(Path(work) / name, name)
            if media_root.is_dir():
                archive.add(media_root, "media")
    return path


def read_manifest(path):
    try:
        with tarfile.open(path, "r:gz") as archive:
            return json.load(archive.extractfile("manifest.json"))
    except (tarfile.TarError, KeyError, OSError, ValueError):
        raise BackupError(f"{path} 不是本系统的备份文件。") from None


def restore_backup(path, database_url=None, media_root=None):
    """Restore the backup at `path` into `database_url` (default: DATABASE_URL) and its files
    into `media_root` (default: MEDIA_ROOT). Returns the manifest."""
    manifest = read_manifest(path)
    db = dj_database_url.parse(database_url or settings.DATABASE_URL)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "r:gz") as archive:
        archive.extractall(work, filter="data")
        dump = Path(work) / manifest["database"]
        if manifest["vendor"] == "postgresql":
            if db["ENGINE"] != "django.db.backends.postgresql":
                raise BackupError("PostgreSQL 的备份只能恢复到 PostgreSQL 数据库。")
            command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges"]
            _run([*command, *_pg_args(db), "-d", db["NAME"], str(dump)], _pg_env(db))
        else:
            if db["ENGINE"] != "django.db.backends.sqlite3":
                raise BackupError("SQLite 的备份只能恢复到 SQLite 数据库文件。")
            Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dump, db["NAME"])
        files = Path(work) / "media"
        if files.is_dir():
            media_root.mkdir(parents=True, exist_ok=True)
            shutil.copytree(files, media_root, dirs_exist_ok=True)
    return manifest
