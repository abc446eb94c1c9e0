"""The roles of CONTRACT.md. Each is an auth Group of the same label; `roles_of(user)` is the
one place that reads them."""

from django.db import models


class Role(models.TextChoices):
    """The roles of CONTRACT.md; each is a auth Group of the same label."""

    STAFF = "staff", "承办人员"
    HEAD = "head", "处室负责人"
    SUPERVISOR = "supervisor", "督查人员"
    LEADER = "leader", "领导"
    ADMIN = "admin", "管理员"


LABELS = {label: value for value, label in Role.choices}


def roles_of(user):
    """The set of Role values `user` holds, from its groups (cached on the instance)."""
    if not hasattr(user, "_roles"):
        set_roles(user, [g.name for g in user.groups.all()])
    return user._roles


def set_roles(user, group_names):
    """Cache on `user` the roles of the groups named `group_names` (core.auth reads the
    names of the request's user in one query)."""
    user._roles = {LABELS[name] for name in group_names if name in LABELS}
    if user.is_superuser:
        user._roles.add(Role.ADMIN)
