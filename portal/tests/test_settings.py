"""Start-up with production settings: the deploy check is clean, and a bad environment variable
stops start-up with one line naming it; with no DATABASE_URL, the PostgreSQL of `make run`."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from portal import env

PRODUCTION_ENV = {
    "PATH": os.environ["PATH"],
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DEBUG": "false",  # explicit, so a developer's .env (DEBUG=true) does not leak in
    "SECRET_KEY": secrets.token_urlsafe(50),
    "PERSONAL_DATA_KEY": "production-personal-data-key-0123456789abcdefghij",
    "ALLOWED_HOSTS": "portal.shunqing.gov.cn",
    "AUDIT_LOG_KEY": secrets.token_urlsafe(40),
    "AUDIT_CHECKPOINT_SIGNING_KEY": secrets.token_urlsafe(40),
    "AUDIT_CHECKPOINT_DIR": "/srv/audit-checkpoints",
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
        ({"DATABASE_URL": "sqlite:///db.sqlite3"}, "DATABASE_URL"),
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


def test_the_deploy_check_names_missing_log_keys():
    result = manage(
        "check", "--deploy", AUDIT_LOG_KEY=None, AUDIT_CHECKPOINT_SIGNING_KEY=None, AUDIT_CHECKPOINT_DIR=None
    )
    assert result.returncode == 1
    for named in ("AUDIT_LOG_KEY", "AUDIT_CHECKPOINT_SIGNING_KEY", "AUDIT_CHECKPOINT_DIR"):
        assert named in result.stderr


def test_debug_mode_runs_without_secrets():
    result = manage("check", DEBUG="true", SECRET_KEY=None, PERSONAL_DATA_KEY=None, ALLOWED_HOSTS=None)
    assert result.returncode == 0, result.stderr


def test_sqlite_is_refused_saying_the_portal_runs_on_postgresql():
    result = manage("check", DATABASE_URL="sqlite:///db.sqlite3")
    assert result.returncode == 2
    assert "DATABASE_URL must be a postgres:// URL (the portal runs on PostgreSQL only)" in result.stderr


# With no DATABASE_URL the settings look for the PostgreSQL that `make run` keeps running in .data/postgres,
# through the postmaster.pid that PostgreSQL writes there: pid, data folder, start time, port, socket
# folder, listening address, shared memory key, status.
def write_postmaster_pid(data_dir, *, pid, port):
    data_dir.mkdir(exist_ok=True)
    lines = [str(pid), str(data_dir), "1796642761", str(port), "", "127.0.0.1", "  2155992        14", "ready   "]
    (data_dir / "postmaster.pid").write_text("\n".join(lines) + "\n")


@pytest.fixture
def no_database_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL")


def test_without_database_url_the_running_embedded_server_is_used(no_database_url, tmp_path, listening_port):
    write_postmaster_pid(tmp_path / "postgres", pid=os.getpid(), port=listening_port)
    config = env.get_database("DATABASE_URL", embedded_dir=tmp_path / "postgres")
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "127.0.0.1",
        listening_port,
        "portal",
        "postgres",
    )


def test_without_database_url_or_embedded_server_the_message_says_what_to_do(no_database_url, tmp_path):
    with pytest.raises(env.ConfigurationError) as refused:
        env.get_database("DATABASE_URL", embedded_dir=tmp_path / "postgres")
    assert "DATABASE_URL is not set" in str(refused.value)
    assert "start `make run`" in str(refused.value)


def test_a_server_whose_port_no_longer_answers_is_not_used(no_database_url, tmp_path, closed_port):
    write_postmaster_pid(tmp_path / "postgres", pid=os.getpid(), port=closed_port)
    with pytest.raises(env.ConfigurationError, match="is not running"):
        env.get_database("DATABASE_URL", embedded_dir=tmp_path / "postgres")


def test_the_file_of_a_killed_server_is_not_trusted(no_database_url, tmp_path, listening_port):
    finished = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    finished.wait()
    write_postmaster_pid(tmp_path / "postgres", pid=finished.pid, port=listening_port)
    with pytest.raises(env.ConfigurationError, match="is not running"):
        env.get_database("DATABASE_URL", embedded_dir=tmp_path / "postgres")


def test_a_set_database_url_wins_over_the_embedded_server(monkeypatch, tmp_path, listening_port):
    write_postmaster_pid(tmp_path / "postgres", pid=os.getpid(), port=listening_port)
    monkeypatch.setenv("DATABASE_URL", "postgres://portal@db.internal:6432/portal_live")
    config = env.get_database("DATABASE_URL", embedded_dir=tmp_path / "postgres")
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 6432, "portal_live")
