"""What every Open311 call goes through (`open311_endpoint`): formats and methods, garbage of every
kind answered in the spec's error format (never a 500 or an HTML page), `jurisdiction_id`, a bad
key, the throttle, and the audit event of each call made with a key."""

import json

import pytest

from security.models import ApiScope, AuditEvent
from services.tests.open311.support import BASE, assert_errors, form, make_key, post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["discovery", "services", "services/repair", "requests", "servicerequestupdates", "tokens/SQ1"]
)
def test_an_unknown_jurisdiction_is_404(api, catalogue, path):
    assert_errors(api.get(f"{BASE}{path}.xml", {"jurisdiction_id": "sfgov.org"}), 404, "xml", "sfgov.org")
    assert api.get(f"{BASE}services.json", {"jurisdiction_id": "shunqing.nanchong.gov.cn"}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "params", "status"),
    [
        ("get", "services.html", {}, 400),
        ("get", "requests.php", {}, 400),
        ("get", "services", {}, 404),
        ("get", "nothing/at/all", {}, 404),
        ("get", "requests/.json", {}, 404),
        ("get", "services/%00.json", {}, 400),
        ("get", "requests.json", {"status": "open\x00"}, 400),
        ("get", "requests.json", {"service_request_id": "'; DROP TABLE x;--"}, 200),
        ("get", "requests.json", {"service_code": "x" * 5000}, 200),
        ("get", "requests/%E2%80%AE%F0%9F%92%A9.json", {}, 404),
        ("get", "services.json", {"locale": "\u202e"}, 200),
        ("delete", "requests.json", {}, 405),
        ("put", "services.json", {}, 405),
        ("post", "services.json", {}, 405),
    ],
)
def test_garbage_gets_an_open311_answer_never_a_500_or_html(api, catalogue, method, path, params, status):
    response = getattr(api, method)(f"{BASE}{path}", params)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(("application/json", "text/xml"))
    if status != 200:
        assert_errors(response, status, "xml" if path.endswith(".xml") else "json")


def test_a_failure_inside_is_the_specs_general_400_and_is_logged(api, catalogue, monkeypatch, caplog):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setattr("services.open311.selectors.services_listed", broken)
    assert_errors(api.get(f"{BASE}services.xml"), 400, "xml", "General service error")
    assert "database gone" in caplog.text


def test_a_bad_key_on_a_read_is_403_too(api, catalogue):
    assert_errors(api.get(f"{BASE}services.json", HTTP_X_API_KEY="sq_bad_key"), 403)


def test_head_is_answered_like_get(api, catalogue):
    assert api.head(f"{BASE}services.json").status_code == 200


def test_calls_are_throttled_per_key_and_per_address(api, settings, people, orgs, catalogue):
    settings.API_RATE_LIMIT = "2/min"
    assert api.get(f"{BASE}services.json").status_code == 200
    assert api.get(f"{BASE}services.json").status_code == 200
    response = api.get(f"{BASE}services.xml")
    assert_errors(response, 429, "xml", "Too many calls")
    assert int(response["Retry-After"]) >= 1
    # A key counts on its own, not against its address.
    _key, raw = make_key(people, orgs)
    assert api.get(f"{BASE}services.json", HTTP_X_API_KEY=raw).status_code == 200


def test_keyed_calls_are_audited_and_anonymous_ones_are_not(api, people, orgs, catalogue):
    key, raw = make_key(people, orgs, scopes=[ApiScope.READ_WORK_ORDERS])
    before = AuditEvent.objects.count()
    api.get(f"{BASE}services.json")
    assert AuditEvent.objects.count() == before
    api.get(f"{BASE}services.json", HTTP_X_API_KEY=raw)
    post(api, data=form(api_key=raw))  # no scope: refused, and still audited
    calls = AuditEvent.objects.filter(action="api.call", object_id=str(key.pk)).order_by("id")
    assert [(c.actor, c.details["method"], c.details["status"]) for c in calls] == [
        (people.partner, "GET", 200),
        (people.partner, "POST", 403),
    ]
    assert all(raw not in json.dumps(c.details) for c in calls)
