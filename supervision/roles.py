"""The roles as auth groups, with their model permissions.

Object-level rules (a staff member edits only its own department's tasks) live in the views'
access helper; the groups say what each role may do at all. `ensure_roles` runs after every
migrate, so a new permission reaches its groups without a data migration.
"""

from django.contrib.auth.models import Group, Permission

from core.roles import Role

VIEW_ALL = "view"
APPS = ["core", "supervision"]  # whose permissions the roles hold

# (role, [codenames of core and supervision permissions]); "view" expands to every view_*
# permission.
ROLE_PERMISSIONS = {
    Role.STAFF: [
        VIEW_ALL,
        "add_monthlyreport",
        "change_monthlyreport",
        "add_indicatorvalue",
        "change_indicatorvalue",
        "change_milestone",
        "change_instruction",
    ],
    Role.HEAD: [
        VIEW_ALL,
        "add_monthlyreport",
        "change_monthlyreport",
        "review_monthlyreport",
        "add_indicatorvalue",
        "change_indicatorvalue",
        "add_milestone",
        "change_milestone",
        "change_instruction",
    ],
    Role.SUPERVISOR: [
        VIEW_ALL,
        "add_listing",
        "change_listing",
        "add_reminder",
        "change_task",
        "close_task",
        "add_milestone",
        "change_milestone",
    ],
    Role.LEADER: [VIEW_ALL, "add_instruction"],
    Role.ADMIN: None,  # every permission of the app
}


def ensure_roles(sender=None, **kwargs):
    """Create or refresh the role groups. Idempotent."""
    app_perms = list(Permission.objects.filter(content_type__app_label__in=APPS))
    by_codename = {p.codename: p for p in app_perms}
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.label)
        if codenames is None:
            wanted = app_perms
        else:
            wanted = []
            for codename in codenames:
                if codename == VIEW_ALL:
                    wanted += [p for p in app_perms if p.codename.startswith("view_")]
                elif codename in by_codename:
                    wanted.append(by_codename[codename])
        group.permissions.set(wanted)


def group_for(role):
    return Group.objects.get(name=Role(role).label)
