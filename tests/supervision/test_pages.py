"""Sign-in, the signed-in home, the 403 page and /healthz."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.views import permission_denied
from supervision.demo import ACCOUNTS
from supervision.models import User

pytestmark = pytest.mark.django_db


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_is_chinese_and_uses_vendored_assets(client):
    response = client.get("/accounts/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "登录督查督办系统" in body
    assert "/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css" in body
    assert "//cdn" not in body and "https://" not in body


def test_wrong_password_shows_error_in_chinese(client, demo):
    response = client.post("/accounts/login/", {"username": "staff1", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


@pytest.mark.parametrize("username", [a.username for a in ACCOUNTS])
def test_every_demo_account_signs_in(client, demo, settings, username):
    response = client.post(
        "/accounts/login/", {"username": username, "password": settings.DEMO_PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    page = client.get(response["Location"], follow=True)
    assert page.status_code == 200
    assert str(User.objects.get(username=username)) in page.content.decode()  # header


def test_staff_home_is_their_department_tasks(client, demo):
    client.force_login(User.objects.get(username="staff1"))
    response = client.get("/", follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0].startswith("/tasks/?department=")
    assert "提升融资环境" in body
    assert "全面加强食品安全保障" not in body


def test_logout_is_post_and_ends_session(client, demo):
    client.force_login(User.objects.get(username="staff1"))
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_forbidden_page_is_chinese_403(client, rf):

    response = permission_denied(rf.get("/x"), PermissionDenied())
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_healthz_reports_database_and_broker(client):
    anonymous = client.get(reverse("healthz")).json()  # reachable or not, no details
    assert anonymous == {
        "ok": True,
        "database": {"ok": True},
        "broker": {"ok": True},
        "last_scheduler_run": None,
    }
    client.force_login(User.objects.create_superuser("root", "root@example.gov.cn", "x"))
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True
    assert data["database"]["ok"] is True
    assert data["broker"]["ok"] is True
    assert "last_scheduler_run" in data


def test_healthz_is_503_when_broker_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    client.force_login(User.objects.create_superuser("root", "root@example.gov.cn", "x"))
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
