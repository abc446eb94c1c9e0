"""Sign-in, the signed-in home, the 403 page and /healthz."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from supervision.demo import ACCOUNTS
from supervision.models import User
from tests.factories import Role, make_department, make_task, make_user

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
    home = client.get(response["Location"])
    assert home.status_code == 200
    assert f"您好，{User.objects.get(username=username)}" in home.content.decode()


def test_staff_home_lists_own_department_tasks(client, demo):
    client.login(username="staff1", password="demo12345")
    body = client.get("/").content.decode()
    assert "金融工作办公室承办的任务" in body
    assert "提升融资环境" in body
    assert "全面加强食品安全保障" not in body


def test_logout_is_post_and_ends_session(client, demo):
    client.login(username="staff1", password="demo12345")
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def home_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


def test_home_query_count_does_not_grow_with_tasks(client):
    department = make_department("金融工作办公室")
    user = make_user("u1", Role.STAFF, department)
    for n in range(1, 6):
        make_task(number=n, lead_department=department)
    small = home_queries(client, user)
    for n in range(6, 60):
        make_task(number=n, lead_department=department)
    assert home_queries(client, user) == small


def test_forbidden_page_is_chinese_403(client, rf):
    from django.core.exceptions import PermissionDenied

    from supervision.views import permission_denied

    response = permission_denied(rf.get("/x"), PermissionDenied())
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_healthz_reports_database_and_broker(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True
    assert data["database"]["ok"] is True
    assert data["broker"]["ok"] is True
    assert "last_scheduler_run" in data


def test_healthz_is_503_when_broker_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
