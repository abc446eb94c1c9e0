"""supervision/access.py: the whole table of who may do what, on a task and office-wide, and
`get_task`'s 404 / 403. The pages' matrix (test_workflow.py) checks what each request did."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from core.access import can
from core.roles import Role, roles_of
from supervision.access import Action, get_task, leads, partners
from supervision.models import Task
from tests.helpers import make_department, make_task, make_user

pytestmark = pytest.mark.django_db

PEOPLE = [
    "lead_staff",
    "lead_head",
    "partner_staff",
    "partner_head",
    "other_staff",
    "loose_staff",  # staff without a department
    "supervisor",
    "leader",
    "admin",
    "nobody",  # signed in, no role
]
# action: the people (in PEOPLE order) allowed on the task; "*" everyone with a role
ON_TASK = {
    Action.VIEW: "* * * * * * * * * -",
    Action.REPORT: "1 1 - - - - - - 1 -",
    Action.MILESTONE: "1 1 - - - - - - 1 -",
    Action.ANSWER: "1 1 - - - - - - 1 -",
    Action.PARTNER: "- - 1 1 - - - - 1 -",
    Action.REVIEW: "- 1 - - - - - - 1 -",
    Action.LEDGER: "- - - - - - 1 1 1 -",
    Action.DASHBOARD: "- - - - - - 1 1 1 -",
    Action.LIST: "- - - - - - 1 - 1 -",
    Action.REMIND: "- - - - - - 1 - 1 -",
    Action.CLOSE: "- - - - - - 1 - 1 -",
    Action.INSTRUCT: "- - - - - - - 1 1 -",
    Action.IMPORT: "- - - - - - - - 1 -",
    Action.BULLETINS: "- 1 - 1 - - 1 1 1 -",
    Action.BULLETIN: "- - - - - - 1 - 1 -",
    Action.SCORES: "- 1 - 1 - - 1 1 1 -",
    "no-such-action": "- - - - - - - - 1 -",
}


@pytest.fixture
def world():
    lead, partner, other = (
        make_department("牵头处"),
        make_department("配合处"),
        make_department("其他处"),
    )
    task = make_task(lead_department=lead)
    task.partner_departments.add(partner)
    people = {
        "lead_staff": make_user("lead_staff", Role.STAFF, lead),
        "lead_head": make_user("lead_head", Role.HEAD, lead),
        "partner_staff": make_user("partner_staff", Role.STAFF, partner),
        "partner_head": make_user("partner_head", Role.HEAD, partner),
        "other_staff": make_user("other_staff", Role.STAFF, other),
        "loose_staff": make_user("loose_staff", Role.STAFF),
        "supervisor": make_user("supervisor", Role.SUPERVISOR, other),
        "leader": make_user("leader", Role.LEADER, lead),
        "admin": make_user("admin", Role.ADMIN),
        "nobody": make_user("nobody", Role.STAFF, lead),
    }
    people["nobody"].groups.clear()
    return task, people


def fresh(user):
    """The user as a request would load it (roles are cached on the instance)."""
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("action", list(ON_TASK), ids=str)
def test_who_may_do_what_on_a_task(world, action):
    task, people = world
    task = Task.objects.prefetch_related("partner_departments").get(pk=task.pk)
    expected = ON_TASK[action].split()
    allowed = {name for name, mark in zip(PEOPLE, expected, strict=True) if mark != "-"}
    assert {name for name in PEOPLE if can(fresh(people[name]), action, task)} == allowed
    # office-wide (no task): what does not depend on the task is the same; the rest refused
    if action in (Action.REPORT, Action.MILESTONE, Action.ANSWER, Action.PARTNER, Action.REVIEW):
        allowed = {"admin"}
    assert {name for name in PEOPLE if can(fresh(people[name]), action)} == allowed


def test_leads_and_partners_need_a_department(world):
    task, people = world
    task.lead_department = None
    assert not leads(people["loose_staff"], task)
    assert not partners(people["loose_staff"], task)
    assert partners(people["partner_staff"], task) and not partners(people["lead_staff"], task)


def test_get_task_loads_what_the_rules_and_pages_read(world, django_assert_num_queries):
    task, people = world
    user = people["partner_staff"]
    roles_of(user)  # read once per request, cached on the user
    # the task with its plan and lead department (one SELECT), its partners (one prefetch)
    with django_assert_num_queries(2):
        found = get_task(user, task.pk, Action.PARTNER)
        assert (found.project.plan.year, found.lead_department.name) == (2030, "牵头处")
        assert can(user, Action.PARTNER, found) and not can(user, Action.REPORT, found)


def test_get_task_is_404_for_missing_and_403_for_forbidden(world):
    task, people = world
    assert get_task(people["lead_staff"], task.pk, Action.REPORT) == task
    with pytest.raises(PermissionDenied, match="只有牵头单位"):
        get_task(people["partner_staff"], task.pk, Action.REPORT, message="只有牵头单位")
    with pytest.raises(PermissionDenied, match="^只有配合单位的人员可以填写本任务的配合"):
        get_task(people["other_staff"], task.pk, Action.PARTNER)  # the 403 says why (REASONS)
    with pytest.raises(Http404):
        get_task(people["lead_staff"], task.pk + 1000)
    with pytest.raises(Http404):  # a queryset narrowed by the caller
        get_task(people["lead_staff"], task.pk, queryset=Task.objects.exclude(pk=task.pk))
    with pytest.raises(Http404):  # nothing is visible without a role
        get_task(fresh(people["nobody"]), task.pk)
