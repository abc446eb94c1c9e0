"""Small builders for tests: a plan with one project and tasks, and users with roles."""

from datetime import date

from core.models import Department
from core.roles import Role
from supervision.models import Plan, Project, Task, User
from supervision.roles import ensure_roles, group_for


def make_user(username, role, department=None, **extra):
    ensure_roles()
    user = User.objects.create_user(username=username, password="pw-12345-test", **extra)
    user.department = department
    user.save()
    user.groups.add(group_for(role))
    return user


def make_department(name="测试处"):
    return Department.objects.get_or_create(name=name)[0]


def make_task(number=1, year=2030, **values):
    plan, _ = Plan.objects.get_or_create(year=year, defaults={"title": f"{year}年工作计划"})
    project, _ = Project.objects.get_or_create(plan=plan, number=1, defaults={"title": "测试工程"})
    values.setdefault("title", f"任务{number}")
    values.setdefault("text", f"任务{number}的原文。")
    values.setdefault("due_date", date(year, 12, 31))
    return Task.objects.create(project=project, number=number, **values)


__all__ = ["Role", "make_department", "make_task", "make_user"]
