"""Who may do what: the one `can` / `require` every view asks, and `visible_to` for lists.

The preamble is shared: nobody signed out may do anything, an admin may do everything, a user
without a role nothing. The rest is each app's: it registers, per model, the rule that answers
for a record of that model (`@policy(Task)`), and its rules for actions on no record
(`@policy(None)`, asked in turn by `can(user, action)` until one answers). A model's queryset
says which rows a user may list (`ScopedQuerySet.visible_to`).

Views fetch records only through `get_or_404` / `require`, which raise 404 for what does not
exist and 403 (PermissionDenied, with the reason in Chinese) for what the user may not do.
"""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404

from .roles import Role, roles_of

POLICIES = {}  # model (or None: actions on no record) -> [rule(user, action, obj) -> bool|None]
DENIED = "无权执行此操作。"


def is_admin(user):
    return user.is_superuser or Role.ADMIN in roles_of(user)


def has_role(user, *roles):
    return bool(roles_of(user).intersection(roles))


def policy(model):
    """Decorator: `rule(user, action, obj)` answers for records of `model` (None: no record).
    A rule returns True or False for the actions it knows, None for the others."""

    def decorate(rule):
        POLICIES.setdefault(model, []).append(rule)
        return rule

    return decorate


def can(user, action, obj=None):
    """Whether `user` may do `action` (on `obj`, for actions on a record)."""
    if not user.is_authenticated:
        return False
    if is_admin(user):
        return True
    if not roles_of(user):
        return False
    model = obj._meta.concrete_model if obj is not None else None
    for rule in POLICIES.get(model, ()):
        answer = rule(user, action, obj)
        if answer is not None:
            return bool(answer)
    return False


def require(user, action, obj=None, message=DENIED):
    """PermissionDenied (403) with `message` unless `user` may do `action`."""
    if not can(user, action, obj):
        raise PermissionDenied(message)


def get_or_404(user, queryset, action, message=DENIED, **lookup):
    """The record of `queryset` matching `lookup` if `user` may do `action` on it: 404 if it
    does not exist or is not visible to the user, 403 if the action is forbidden."""
    if hasattr(queryset, "visible_to"):
        queryset = queryset.visible_to(user)
    obj = get_object_or_404(queryset, **lookup)
    require(user, action, obj, message)
    return obj


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows which of its rows a user may list: nothing for the signed out or
    for users without a role, everything for admins, `scope(user)` for the others."""

    def visible_to(self, user):
        if not user.is_authenticated or not roles_of(user):
            return self.none()
        if is_admin(user):
            return self
        return self.scope(user)

    def scope(self, user):
        return self
