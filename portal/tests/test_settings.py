"""Start-up with production settings: the deploy check is clean, and a bad environment variable
stops start-up with one line naming it."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "PATH": os.environ["PATH"],
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DEBUG": "false",  # explicit, so a developer's .env (DEBUG=true) does not leak in
    "SECRET_KEY": secrets.token_urlsafe(50),
    "PERSONAL_DATA_KEY": "production-personal-data-key-0123456789abcdefghij",
    "ALLOWED_HOSTS": "portal.shunqing.gov.cn",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"),
}


def manage(*args, **env_changes):
    env = PRODUCTION_ENV | env_changes
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


def test_deploy_check_has_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"PERSONAL_DATA_KEY": None}, "PERSONAL_DATA_KEY"),
        ({"PERSONAL_DATA_KEY": "short"}, "PERSONAL_DATA_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS"),
        ({"DATABASE_URL": "mysql://root@localhost/portal"}, "DATABASE_URL"),
        ({"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"API_RATE_LIMIT": "lots"}, "API_RATE_LIMIT"),
    ],
)
def test_a_bad_environment_variable_is_named_without_a_traceback(changes, named):
    result = manage("check", **changes)
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_debug_mode_runs_without_secrets():
    result = manage("check", DEBUG="true", SECRET_KEY=None, PERSONAL_DATA_KEY=None, ALLOWED_HOSTS=None)
    assert result.returncode == 0, result.stderr
