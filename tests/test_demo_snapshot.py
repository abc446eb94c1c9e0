"""The demo copied back (tests/demo_snapshot.py) is the demo a fresh load writes: every row of
every table equal, ids included, the times stamped "now" moved to the later moment."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from freezegun import freeze_time

from core.roles import Role
from supervision.demo import load_demo
from supervision.models import User
from tests import demo_snapshot

TZ = ZoneInfo("Asia/Shanghai")


class Undo(Exception):
    pass


def _reset_sequences():
    """PostgreSQL's sequences set back to the tables' rows (SQLite's go back with a rollback),
    so that a fresh load and a copy number their rows alike."""
    for sql in connection.ops.sequence_reset_sql(no_style(), demo_snapshot._models()):
        with connection.cursor() as cursor:
            cursor.execute(sql)


def _dump():
    """Every table's rows; a password as whether the demo's password opens it (its salt is
    random, each load hashes anew)."""
    dump = {m._meta.label: demo_snapshot._rows(m) for m in demo_snapshot._models()}
    at = [f.attname for f in User._meta.concrete_fields].index("password")
    dump[User._meta.label] = [
        (*row[:at], check_password(settings.DEMO_PASSWORD, row[at]), *row[at + 1 :])
        for row in dump[User._meta.label]
    ]
    return dump


def _loaded(load):
    """(the plan's pk, every table's rows) after `load`, then undone."""
    _reset_sequences()
    try:
        with transaction.atomic():
            plan = load()
            dump = _dump()
            raise Undo(plan.pk, dump)
    except Undo as undo:
        return undo.args


def test_a_copied_demo_is_the_demo_a_fresh_load_writes(db):
    morning = datetime.combine(timezone.localdate(), datetime.min.time(), tzinfo=TZ)
    morning += timedelta(hours=1)
    demo_snapshot._kept.clear()
    with freeze_time(morning):
        first_pk, first = _loaded(lambda: demo_snapshot.demo(2012))  # loaded and kept
    assert len(demo_snapshot._kept) == 1
    with freeze_time(morning + timedelta(hours=3)):
        fresh_pk, fresh = _loaded(lambda: load_demo(year=2012, out=lambda *a: None))
        copy_pk, copy = _loaded(lambda: demo_snapshot.demo(2012))  # copied back
    assert len(demo_snapshot._kept) == 1
    assert first_pk == fresh_pk == copy_pk
    assert sum(len(rows) for rows in copy.values()) > 1000
    assert first != fresh  # the "now" stamps moved with the clock ...
    for label in fresh:
        assert copy[label] == fresh[label], label  # ... and the copy moved them alike


def test_a_second_year_over_the_first_is_kept_and_copied_back_alike(db):
    """2013's demo over 2012's (the dashboard's two years): loaded for real over the rows of
    2012, kept apart for a database in that state, then copied back (rows added, changed and
    deleted) equal to the load it copied."""
    noon = datetime.combine(timezone.localdate(), datetime.min.time(), tzinfo=TZ)
    noon += timedelta(hours=12)

    def both():
        demo_snapshot.demo(2012)
        return demo_snapshot.demo(2013)

    with freeze_time(noon):
        kept = len(demo_snapshot._kept)
        first_pk, first = _loaded(both)
        assert len(demo_snapshot._kept) in (kept + 1, kept + 2)  # 2013 over 2012, apart
        kept = len(demo_snapshot._kept)
        copy_pk, copy = _loaded(both)
        assert len(demo_snapshot._kept) == kept
    assert copy_pk == first_pk
    for label in first:
        assert copy[label] == first[label], label


def _roles():
    """Each account's groups and each group's permissions, by name."""
    groups = {
        g.name: sorted(g.permissions.values_list("content_type__app_label", "codename"))
        for g in Group.objects.all()
    }
    users = {
        u.username: sorted(u.groups.values_list("name", flat=True)) for u in User.objects.all()
    }
    return groups, users


@pytest.mark.django_db(transaction=True)
def test_after_a_flush_the_copy_finds_permissions_under_their_new_ids():
    """A browser test's flush deletes every row and makes the content types and permissions
    again under new ids: the copied groups refer to them by name, not by their old ids."""
    call_command("flush", interactive=False, verbosity=0)  # as after any browser test
    demo_snapshot.demo(2012)
    kept, roles = len(demo_snapshot._kept), _roles()
    old_ids = set(Permission.objects.values_list("pk", flat=True))
    call_command("flush", interactive=False, verbosity=0)
    # PostgreSQL numbers them on, SQLite may start again: renumbered here, both move
    with transaction.atomic():
        Permission.objects.update(id=F("id") + 100_000)
        Group.objects.update(id=F("id") + 100_000)
        Group.permissions.through.objects.update(
            permission_id=F("permission_id") + 100_000, group_id=F("group_id") + 100_000
        )
    assert not old_ids & set(Permission.objects.values_list("pk", flat=True))
    demo_snapshot.demo(2012)
    assert len(demo_snapshot._kept) == kept  # copied back, not loaded
    assert _roles() == roles
    assert Group.objects.get(name=Role.SUPERVISOR.label).permissions.exists()
