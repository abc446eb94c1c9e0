from pathlib import Path

import openpyxl  # noqa: F401 - imported before any frozen clock: it keys its date formats by
import pytest  # the date classes it sees at import, and freezegun swaps those classes
from django.conf import settings
from django.core.cache import cache

from core import health
from core.delivery import broker
from qingdao_office.celery import app
from tests import demo_snapshot
from tests.helpers import make_office

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "supervision" / "demo_data" / "qingdao-office-2012-workplan.txt"


@pytest.fixture
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def demo(db):
    """The demo data of 2012: loaded by the first test that asks, copied back for the others
    (tests/demo_snapshot.py)."""

    return demo_snapshot.demo(2012)


@pytest.fixture
def office(db, settings):
    """The reminder tests' office (tests/helpers.py), mail kept in memory."""

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://duban.example.gov.cn"
    return make_office()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """PBKDF2 is slow by design; tests sign in many times."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.REDIS_URL or "none (tasks run in-process)"
    return f"database: {engine}; redis: {broker}"


@pytest.fixture(autouse=True)
def eager_celery():
    """Tests run Celery tasks in-process (even where REDIS_URL points at a real broker);
    the one test that proves a real worker asks for `real_celery_worker` instead."""

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (the dashboard keeps its figures there)."""

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def broker_breaker_closed():
    """Each test starts believing the broker is reachable (core/delivery.py's breaker)."""

    broker.reset()
    health._last_broker_check.update(at=float("-inf"), error=None)
    yield
    broker.reset()
    health._last_broker_check.update(at=float("-inf"), error=None)
