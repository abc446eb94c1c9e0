"""Sign-in is fast: Argon2 hashes passwords, and a PBKDF2 hash stored before is upgraded at the
next sign-in (issue 11, item 13)."""

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.utils.module_loading import import_string

from core.roles import Role
from qingdao_office import settings as project
from supervision.models import User
from tests.helpers import make_department, make_user

pytestmark = pytest.mark.django_db


def test_argon2_comes_first():
    first = import_string(project.PASSWORD_HASHERS[0])
    assert issubclass(first, Argon2PasswordHasher)
    assert (first.memory_cost, first.time_cost, first.parallelism) == (19 * 1024, 2, 1)
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in project.PASSWORD_HASHERS


def test_a_hash_with_djangos_default_argon2_parameters_is_upgraded(client, settings):
    settings.PASSWORD_HASHERS = project.PASSWORD_HASHERS
    user = make_user("heavy", Role.STAFF, make_department())
    user.password = Argon2PasswordHasher().encode("s3cret-pass-11", "saltsaltsalt")
    user.save()
    assert "m=102400" in user.password
    client.post("/accounts/login/", {"username": "heavy", "password": "s3cret-pass-11"})
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_sign_in(client, settings):
    settings.PASSWORD_HASHERS = project.PASSWORD_HASHERS
    user = make_user("old", Role.STAFF, make_department())
    user.password = make_password("s3cret-pass-11", hasher="pbkdf2_sha256")
    user.save()
    response = client.post("/accounts/login/", {"username": "old", "password": "s3cret-pass-11"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password("s3cret-pass-11")
    # a wrong password neither signs in nor rewrites the hash
    stored = user.password
    client.logout()
    response = client.post("/accounts/login/", {"username": "old", "password": "wrong-pass"})
    assert response.status_code == 200
    assert User.objects.get(pk=user.pk).password == stored
