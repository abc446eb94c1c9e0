"""Security of the pages (issue 9, item 6): sign-in throttling with an admin's unlock, the
Content-Security-Policy with no inline script, Permissions-Policy, HSTS only when configured,
session expiry after inactivity."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from freezegun import freeze_time

from core.roles import Role
from supervision.models import User
from tests.conftest import ROOT
from tests.core.test_settings import run_manage
from tests.helpers import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "pw-12345-test"


def sign_in(client, username, password, url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(client, url):
    make_user("staff9", Role.STAFF, is_staff=True)
    admin = User.objects.create_superuser("root", "root@example.gov.cn", PASSWORD)
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [sign_in(client, "staff9", "wrong", url).status_code for _ in range(limit)]
    assert statuses == [200] * (limit - 1) + [429]  # the form again, then locked
    response = sign_in(client, "staff9", PASSWORD, url)  # the right one, too late
    assert response.status_code == 429
    assert "登录已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session

    other = type(client)(REMOTE_ADDR="10.0.0.9")  # another address: the account is locked
    assert sign_in(other, "staff9", PASSWORD, url).status_code == 429

    admin_client = type(client)(REMOTE_ADDR="10.0.0.7")
    admin_client.force_login(admin)
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    assert attempts
    changelist = "/admin/axes/accessattempt/"
    assert admin_client.get(changelist).status_code == 200
    response = admin_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    response = sign_in(client, "staff9", PASSWORD, url)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="staff9").pk)


def test_one_address_trying_many_accounts_is_locked(client):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"nobody{n}", "wrong")
    make_user("staff8", Role.STAFF)
    assert sign_in(client, "staff8", PASSWORD).status_code == 429


def test_pages_carry_csp_and_permissions_policy(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{path}: {tag}")
        offenders += [f"{path}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text)]
    assert offenders == []


def test_a_session_ends_after_inactivity(client):
    user = make_user("staff7", Role.STAFF)
    with freeze_time("2030-06-01 09:00:00") as clock:
        client.force_login(user)
        assert client.get("/notifications/").status_code == 200
        clock.tick(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert client.get("/notifications/").status_code == 200  # activity renews it
        clock.tick(timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        assert client.get("/notifications/").status_code == 302  # to the sign-in page


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-key-0123456789",
    "ALLOWED_HOSTS": "duban.example.gov.cn",
}
SHOW = (
    "from django.conf import settings as s; "
    "print(s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, "
    "s.DATABASES['default']['CONN_HEALTH_CHECKS'])"
)


def test_hsts_only_when_https_is_configured():
    plain = run_manage("shell", "--no-imports", "-c", SHOW, **PRODUCTION)
    assert plain.stdout.splitlines()[-1].split() == ["0", "None", "False", "True"], plain.stderr
    https = run_manage(
        "shell", "-c", SHOW, HTTPS="true", SECURE_PROXY_SSL_HEADER="true", **PRODUCTION
    )
    assert https.stdout.splitlines()[-1].split()[:3] == [
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
