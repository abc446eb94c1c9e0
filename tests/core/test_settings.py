"""Settings come from the environment; bad values stop start-up with a clear message."""

import os
import subprocess
import sys

from tests.conftest import ROOT


def run_manage(*args, **env):
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_malformed_boolean_stops_startup():
    proc = run_manage("check", DEBUG="maybe")
    assert proc.returncode != 0
    assert "DEBUG='maybe'" in proc.stderr
    assert "无法识别" in proc.stderr


def test_production_refuses_default_secret_key():
    proc = run_manage("check", DEBUG="false")
    assert proc.returncode != 0
    assert "SECRET_KEY" in proc.stderr


def test_production_passes_deploy_check_without_warnings():
    proc = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        HTTPS="true",
        SECRET_KEY="x" * 20 + "-a-long-random-production-key-0123456789",
        ALLOWED_HOSTS="duban.example.gov.cn",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_malformed_database_url_is_reported():
    proc = run_manage("check", DATABASE_URL="nonsense://x")
    assert proc.returncode != 0
    assert "DATABASE_URL" in proc.stderr


def test_production_collectstatic_succeeds(tmp_path):
    """The manifest storage of production resolves every reference of the vendored assets
    (a missing source map stops a deploy)."""
    proc = run_manage(
        "collectstatic",
        "--noinput",
        DEBUG="false",
        SECRET_KEY="x" * 20 + "-a-long-random-production-key-0123456789",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "static" / "staticfiles.json").exists()
