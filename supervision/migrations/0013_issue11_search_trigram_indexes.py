"""The task search (supervision/filters.py, `text_match`) looks for a word in the monthly
reports and the 批示 as well as in the task. Chinese has no spaces between words, so
PostgreSQL's full-text search (the 'simple' configuration) would only find whole runs of
characters, never 融资 inside 提升融资环境; the search is a substring match (icontains:
`UPPER(col::text) LIKE UPPER('%…%')`) instead. On PostgreSQL these pg_trgm GIN indexes on
the same expressions serve it (pg_trgm cuts CJK text into trigrams in a UTF-8 database;
a word of one or two characters still finds every row, through a scan). On SQLite there
is nothing to do: the search scans, which is fine at its sizes."""

from django.db import migrations

COLUMNS = [
    ("supervision_monthlyreport", "progress"),
    ("supervision_monthlyreport", "problems"),
    ("supervision_monthlyreport", "next_steps"),
    ("supervision_instruction", "text"),
    ("supervision_instruction", "response"),
]


def _name(table, column):
    return f"{table.removeprefix('supervision_')}_{column}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{_name(table, column)}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{_name(table, column)}"')


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0012_issue14_bulletins_scores"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
