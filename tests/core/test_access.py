"""core.access: the shared preamble of `can` (signed out, admin, no role), the order in which
the registered rules answer, `require` / `get_or_404`, and `ScopedQuerySet.visible_to`."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from core import access
from core.models import Department, Reminder
from core.roles import Role
from supervision.models import User
from tests.helpers import make_department, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    dept = make_department("甲处")
    nobody = User.objects.create_user(username="nobody", password="pw-12345-test")
    root = User.objects.create_user(username="root", password="pw-12345-test", is_superuser=True)
    return {
        "anonymous": AnonymousUser(),
        "nobody": nobody,  # signed in, no role
        "root": root,  # superuser without a group
        "admin": make_user("admin", Role.ADMIN),
        "staff": make_user("staff", Role.STAFF, dept),
        "sup": make_user("sup", Role.SUPERVISOR),
    }


@pytest.fixture
def rules(monkeypatch):
    """Department's rules for this test only: [rule(user, action, obj) -> bool | None]."""
    registered = []
    monkeypatch.setitem(access.POLICIES, Department, registered)
    return registered


def test_the_preamble_answers_before_any_rule(people, rules):
    dept = make_department("乙处")
    rules.append(lambda user, action, obj: True)  # a rule that allows everything
    assert access.can(people["staff"], "edit", dept) is True
    assert access.can(people["anonymous"], "edit", dept) is False
    assert access.can(people["nobody"], "edit", dept) is False
    rules[:] = [lambda user, action, obj: False]
    assert access.can(people["root"], "edit", dept) is True
    assert access.can(people["admin"], "edit", dept) is True
    assert access.can(people["staff"], "edit", dept) is False
    assert access.is_admin(people["root"]) and access.is_admin(people["admin"])
    assert not access.is_admin(people["staff"]) and not access.is_admin(people["sup"])


def test_the_first_rule_that_knows_the_action_answers(people, monkeypatch):
    dept = make_department("乙处")
    seen = []
    monkeypatch.setattr(access, "POLICIES", {})  # the first rule of a model starts its list

    @access.policy(Department)
    def undecided(user, action, obj):
        seen.append((user.username, action, obj))
        return None

    @access.policy(Department)
    def reads(user, action, obj):
        return {"read": 1, "write": 0}.get(action)  # truthy / falsy, not only bool

    assert access.POLICIES == {Department: [undecided, reads]}
    assert access.can(people["staff"], "read", dept) is True
    assert access.can(people["staff"], "write", dept) is False
    assert access.can(people["staff"], "unknown", dept) is False  # nobody answers: refused
    assert seen == [("staff", a, dept) for a in ("read", "write", "unknown")]
    assert access.can(people["staff"], "read") is False  # no rule for actions on no record


def test_a_rule_of_another_model_does_not_answer(people, rules):
    rules.append(lambda user, action, obj: True)
    reminder = Reminder(key="k", kind="manual", recipient=people["staff"], subject="s")
    assert access.can(people["staff"], "read", reminder) is False
    assert access.can(people["staff"], "read", make_department("乙处")) is True


def test_require_and_get_or_404(people, rules):
    dept = make_department("乙处")
    rules.append(lambda user, action, obj: action == "read")
    access.require(people["staff"], "read", dept)
    with pytest.raises(PermissionDenied, match="只读"):
        access.require(people["staff"], "write", dept, "只读")
    with pytest.raises(PermissionDenied, match=access.DENIED):
        access.require(people["staff"], "write", dept)
    queryset = Department.objects.all()
    assert access.get_or_404(people["staff"], queryset, "read", pk=dept.pk) == dept
    with pytest.raises(PermissionDenied, match="不行"):
        access.get_or_404(people["staff"], queryset, "write", "不行", pk=dept.pk)
    with pytest.raises(Http404):
        access.get_or_404(people["staff"], queryset, "read", pk=dept.pk + 1000)


def test_visible_to_scopes_rows(people):
    staff, sup = people["staff"], people["sup"]
    mine = Reminder.objects.create(key="a", kind="manual", recipient=staff, subject="s")
    other = Reminder.objects.create(key="b", kind="manual", recipient=sup, subject="s")
    everything = {mine, other}
    assert set(Reminder.objects.visible_to(people["root"])) == everything
    assert set(Reminder.objects.visible_to(people["admin"])) == everything
    assert set(Reminder.objects.visible_to(sup)) == everything  # ReminderQuerySet.scope
    assert set(Reminder.objects.visible_to(staff)) == {mine}
    assert not Reminder.objects.visible_to(people["nobody"]).exists()
    assert not Reminder.objects.visible_to(people["anonymous"]).exists()
    # get_or_404 goes through visible_to: a row one may not list is a 404, not a 403
    with pytest.raises(Http404):
        access.get_or_404(staff, Reminder.objects.all(), "read", pk=other.pk)
    # the default scope lists every row
    assert access.ScopedQuerySet.scope(Reminder.objects.all(), staff).count() == 2
