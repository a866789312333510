import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_the_schema_generates_without_a_warning(tmp_path):
    """What CI would run: any warning (an unguessable field, a name collision) fails it."""
    target = tmp_path / "schema.yaml"
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(target)],
        cwd=Path(settings.BASE_DIR),
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    schema = yaml.safe_load(target.read_text())
    assert "/api/v1/work-orders/" in schema["paths"]


def test_the_schema_is_served_and_declares_the_key(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    operation = schema["paths"]["/api/v1/work-orders/"]["get"]
    assert operation["security"] == [{"ApiKey": []}]
    assert {"200", "400", "401", "403", "429"} <= set(operation["responses"])


def test_the_docs_need_no_internet(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "http://" not in page and "https://" not in page
