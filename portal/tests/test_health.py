import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthy_when_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": {"status": "ok"}, "redis": {"status": "ok"}}


def test_redis_down_gives_503_naming_it(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["redis"]
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["redis"] == {"status": "down"}  # the error text stays in the log


def test_redis_not_configured_is_not_an_outage(client):
    with override_settings(REDIS_URL=None):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == {"status": "not configured"}


def test_database_down_is_reported_by_the_command():
    """A real unreachable database: a process pointed at a closed loopback port."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "portal.settings_test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/portal",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "healthcheck"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["down"] == ["database"]
    assert "127.0.0.1" in report["checks"]["database"]["error"]
    assert report["checks"]["redis"] == {"status": "ok"}


def test_tests_run_on_postgresql():
    assert connection.vendor == "postgresql"
