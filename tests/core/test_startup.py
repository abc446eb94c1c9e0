"""The first request of a process does not pay for importing the views (issue 11, item 15):
the WSGI entry point imports the URLconf while the process starts."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PROBE = (
    "import sys, qingdao_office.wsgi; "
    "print(all(m in sys.modules for m in "
    "['supervision.views.actions', 'supervision.views.plans', 'supervision.urls']))"
)


def test_the_wsgi_entry_point_imports_every_view_at_start():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
