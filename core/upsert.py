"""Set-based writes of derived tables: rows computed by a queryset are inserted or updated
in one `INSERT ... SELECT ... ON CONFLICT DO UPDATE`, on PostgreSQL and SQLite alike, so that
a nightly rebuild moves no row through Python (a bulk_create of the same rows spent most of
its time building the statement).

A queryset feeds it by annotating each column `name` of `fields` as `alias(name)` and
selecting them with `values_list` (the order of the SELECT does not matter: the outer SELECT
names them)."""

from django.db import connection


def alias(name):
    return f"u_{name}"


def upsert_select(model, querysets, fields, unique, order=False, outer=None):
    """Insert the rows `querysets` select (several: one UNION ALL) into `model`'s table, the
    columns `fields` (attribute names, e.g. "task_id"); a row whose `unique` columns exist
    already updates every other column. `outer`: {field: SQL} of columns computed from the
    selected ones (`alias(name)`, quoted), where the ORM would repeat a whole expression.
    `order`: insert in the order of the first of `unique` (two runs at once then lock rows
    in the same order). Returns the row count."""
    outer = outer or {}
    selects, params = [], []
    for queryset in querysets:
        sql, values = queryset.query.get_compiler(connection=connection).as_sql()
        selects.append(sql)
        params += values
    if not selects:
        return 0
    quote = connection.ops.quote_name
    opts = model._meta

    def column(name):
        return quote(opts.get_field(name).column)

    # (S608: the statement is built of quoted names and the querysets' own SQL; every value
    # is a parameter)
    union = " UNION ALL ".join(
        f"SELECT * FROM ({sql}) AS q{i}"  # noqa: S608
        for i, sql in enumerate(selects)
    )
    names = ", ".join(outer.get(name) or quote(alias(name)) for name in fields)
    updates = ", ".join(
        f"{column(name)} = excluded.{column(name)}" for name in fields if name not in unique
    )
    # the WHERE: SQLite's upsert after a SELECT needs one (else ON reads as a join's)
    columns = ", ".join(column(name) for name in fields)
    sql = " ".join(
        [
            f"INSERT INTO {quote(opts.db_table)} ({columns})",
            f"SELECT {names} FROM ({union}) AS computed WHERE 1 = 1",  # noqa: S608
            f"ORDER BY {quote(alias(unique[0]))}" if order else "",
            f"ON CONFLICT ({', '.join(column(name) for name in unique)})",
            f"DO UPDATE SET {updates}",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
