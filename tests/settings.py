"""The test settings: the project's, plus a throwaway app that plugs into the core the way a
new app would (tests/plugin_app: a model with its own page and a reminder rule)."""

import os
from urllib.parse import urlsplit

# Under pytest-xdist (`make test`), each worker process has its own Redis database, one below
# REDIS_URL's for each worker (gw0: REDIS_URL's own, gw1: the one below…): every test empties
# the cache (tests/conftest.py), which must not empty the other worker's meanwhile. The test
# databases are per worker already (pytest-django adds the worker's id to their names).
# A process a test starts (a Celery worker) inherits the moved REDIS_URL and the marker, and
# moves nothing again.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if (
    os.environ.get("REDIS_URL")
    and _worker.startswith("gw")
    and "TEST_REDIS_MOVED" not in os.environ
):
    _url = urlsplit(os.environ["REDIS_URL"])
    _db = _url.path.strip("/")
    _number = (int(_db) if _db.isdecimal() else 0) - int(_worker[2:])
    os.environ["REDIS_URL"] = _url._replace(path=f"/{_number % 16}").geturl()
    os.environ["TEST_REDIS_MOVED"] = _worker

from qingdao_office.settings import *  # noqa: E402, F403
from qingdao_office.settings import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.plugin_app"]
