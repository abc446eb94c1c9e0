"""The Django admin: every model's pages open in Chinese, with history."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from core.roles import Role
from supervision.roles import ROLE_PERMISSIONS, ensure_roles
from tests.helpers import make_task

pytestmark = pytest.mark.django_db

MODELS = [m for m in admin.site._registry if m._meta.app_label == "supervision"]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_pages_open(admin_client, model):
    meta = model._meta
    changelist = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    assert changelist.status_code == 200
    assert str(meta.verbose_name_plural) in changelist.content.decode()


def test_task_change_and_history_pages(admin_client):
    task = make_task(title="原来的标题")
    task.title = "改过的标题"
    task.save()
    change = admin_client.get(reverse("admin:supervision_task_change", args=[task.pk]))
    assert change.status_code == 200
    assert "牵头单位" in change.content.decode()
    assert 'value="改过的标题"' in change.content.decode()
    history = admin_client.get(reverse("admin:supervision_task_history", args=[task.pk]))
    assert history.status_code == 200
    body = history.content.decode()
    versions = task.history.all()
    assert versions.count() == 2
    # one line per version, each linking to that version's page
    for version in versions:
        url = reverse("admin:supervision_task_simple_history", args=[task.pk, version.pk])
        assert url in body
    assert "原来的标题" in body and "改过的标题" in body


def test_admin_edit_is_recorded_with_the_user(admin_client, admin_user):
    task = make_task()
    url = reverse("admin:supervision_task_change", args=[task.pk])
    data = {
        "source": "plan",
        "project": task.project_id,
        "number": task.number,
        "title": "改过的标题",
        "text": task.text,
        "status": "in_progress",
        "percent": 30,
        "rhythm": "",
        "due_date": "2030-12-31",
    }
    for prefix in ("measures", "milestones", "indicators"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    task.refresh_from_db()
    assert (task.title, task.percent) == ("改过的标题", 30)
    latest = task.history.latest()
    assert latest.title == "改过的标题"
    assert latest.history_user == admin_user
    assert task.history.count() == 2
    history = admin_client.get(reverse("admin:supervision_task_history", args=[task.pk]))
    assert admin_user.username in history.content.decode()


def test_role_groups_carry_permissions():

    ensure_roles()
    for role in ROLE_PERMISSIONS:
        assert Group.objects.filter(name=role.label).exists()
    leader = Group.objects.get(name=Role.LEADER.label)
    codes = set(leader.permissions.values_list("codename", flat=True))
    assert "add_instruction" in codes and "view_task" in codes
    assert "change_task" not in codes
    head = set(
        Group.objects.get(name=Role.HEAD.label).permissions.values_list("codename", flat=True)
    )
    assert "review_monthlyreport" in head
    staff = set(
        Group.objects.get(name=Role.STAFF.label).permissions.values_list("codename", flat=True)
    )
    assert "review_monthlyreport" not in staff


def test_admin_is_chinese_whatever_the_browser_asks(admin_client):
    response = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    body = response.content.decode()
    assert "站点管理" in body or "数据管理" in body
    assert "Site administration" not in body
