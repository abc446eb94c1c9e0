"""Sign-in is fast: Argon2 hashes passwords, and a PBKDF2 hash stored before is upgraded at the
next sign-in (issue 11, item 13)."""

import pytest
from django.contrib.auth.hashers import make_password

from core.roles import Role
from qingdao_office import settings as project
from supervision.models import User
from tests.helpers import make_department, make_user

pytestmark = pytest.mark.django_db


def test_argon2_comes_first():
    assert project.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in project.PASSWORD_HASHERS


def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_sign_in(client, settings):
    settings.PASSWORD_HASHERS = project.PASSWORD_HASHERS
    user = make_user("old", Role.STAFF, make_department())
    user.password = make_password("s3cret-pass-11", hasher="pbkdf2_sha256")
    user.save()
    response = client.post("/accounts/login/", {"username": "old", "password": "s3cret-pass-11"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert user.check_password("s3cret-pass-11")
    # a wrong password neither signs in nor rewrites the hash
    stored = user.password
    client.logout()
    response = client.post("/accounts/login/", {"username": "old", "password": "wrong-pass"})
    assert response.status_code == 200
    assert User.objects.get(pk=user.pk).password == stored
