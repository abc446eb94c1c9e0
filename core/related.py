"""Which of a record's related lists have any row, in one query.

A record's page lists many kinds of related rows (a task's 批示, 挂牌, 催办, reminders…) and
most records have none of most kinds: asking first lets the page skip the queries of its
empty sections. The statement is built once per model and list of names, from the model's
metadata: compiling a dozen `Exists` subqueries through the ORM on every request cost more
than the queries it saved."""

from functools import cache

from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import connection


def has_rows(instance, names):
    """{name: whether `instance` has any row of its reverse relation `name`} for the names
    (reverse foreign keys and generic relations). Counts raw rows: a manager that hides some
    rows (soft deletion, visibility) may still find none where this says yes, never the other
    way round, so a caller skips a section only when this says no."""
    names = tuple(names)
    sql, generic = _statement(type(instance), names)
    content_type = ContentType.objects.get_for_model(instance).pk if any(generic) else None
    params = []
    for is_generic in generic:
        params += [content_type, instance.pk] if is_generic else [instance.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {name: bool(value) for name, value in zip(names, row, strict=True)}


@cache
def _statement(model, names):
    quote = connection.ops.quote_name
    parts, generic = [], []
    for name in names:
        field = model._meta.get_field(name)
        related = field.related_model._meta
        table = quote(related.db_table)
        if isinstance(field, GenericRelation):
            content_type = quote(related.get_field(field.content_type_field_name).column)
            object_id = quote(related.get_field(field.object_id_field_name).column)
            where = f"{content_type} = %s AND {object_id} = %s"
        elif field.one_to_many:
            where = f"{quote(field.field.column)} = %s"
        else:
            raise ValueError(f"{model.__name__}.{name} is not a reverse foreign key")
        parts.append(f"EXISTS (SELECT 1 FROM {table} WHERE {where})")  # noqa: S608 (names)
        generic.append(isinstance(field, GenericRelation))
    return "SELECT " + ", ".join(parts), tuple(generic)
