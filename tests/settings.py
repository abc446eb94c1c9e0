"""The test settings: the project's, plus a throwaway app that plugs into the core the way a
new app would (tests/plugin_app: a model with its own page and a reminder rule)."""

from qingdao_office.settings import *  # noqa: F403
from qingdao_office.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.plugin_app"]
