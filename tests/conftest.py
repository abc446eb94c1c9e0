from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "supervision" / "demo_data" / "qingdao-office-2012-workplan.txt"


@pytest.fixture
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def demo(db):
    """The demo data, loaded once per test (it takes well under a second)."""
    from supervision.demo import load_demo

    return load_demo(out=lambda *a: None)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """PBKDF2 is slow by design; tests sign in many times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.REDIS_URL or "none (tasks run in-process)"
    return f"database: {engine}; redis: {broker}"
