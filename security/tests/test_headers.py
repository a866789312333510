"""security.headers: the policy the settings describe is what a page sends; no-store by default,
public only where a view says so and only for anonymous visitors; the CSP report endpoint logs,
limits and never fails."""

import json
import logging
import subprocess
import sys
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.decorators.cache import cache_control

from security.headers import CSP_REPORTS_PER_ADDRESS_PER_MINUTE, NoStoreMiddleware

REPORT = {
    "csp-report": {
        "document-uri": "https://portal.example.cn/residents/?q=510104199001011234",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'",
        "blocked-uri": "inline",
        "line-number": 12,
        "source-file": "https://portal.example.cn/residents/?q=510104199001011234",
        "status-code": 200,
    }
}


def test_a_page_sends_the_strict_policy(client, db):
    response = client.get(reverse("portal:home"))
    policy = response["Content-Security-Policy"]
    nonce = response.wsgi_request.csp_nonce
    assert f"script-src 'self' 'nonce-{nonce}'" in policy
    assert f"style-src 'self' 'nonce-{nonce}'" in policy
    for directive in (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "report-uri /security/csp-report/",
    ):
        assert directive in policy
    assert "unsafe" not in policy
    # A fresh nonce for every page.
    assert client.get(reverse("portal:home")).wsgi_request.csp_nonce != nonce


def test_other_headers_of_a_page(client, db):
    response = client.get(reverse("portal:home"))
    permissions = response["Permissions-Policy"]
    assert "camera=()" in permissions
    assert "microphone=()" in permissions
    assert "payment=()" in permissions
    assert "geolocation=(self)" in permissions
    # Django's SecurityMiddleware sends these (settings.SECURE_*); they must stay.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"


def run_settings(**environment):
    """The policy as portal.settings builds it under `environment` (a fresh interpreter)."""
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "true",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/portal",
        **environment,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("tile_url", "img_src"),
    [
        ("", ["'self'", "data:"]),
        ("https://tiles.example.cn/{z}/{x}/{y}.png", ["'self'", "data:", "https://tiles.example.cn"]),
        ("https://{s}.tiles.example.cn:8443/{z}/{x}/{y}.png", ["'self'", "data:", "https://*.tiles.example.cn:8443"]),
    ],
)
def test_map_tiles_are_allowed_from_their_server_only_when_one_is_set(tile_url, img_src):
    result = run_settings(MAP_TILE_URL=tile_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == img_src


def test_a_tile_url_the_policy_cannot_express_stops_start_up():
    result = run_settings(MAP_TILE_URL="https://tiles-{s}.example.cn/{z}/{x}/{y}.png")
    assert result.returncode != 0
    assert "MAP_TILE_URL" in result.stderr


# --- no-store --------------------------------------------------------------------------------


@cache_control(public=True, max_age=300)
def public_view(request):
    return HttpResponse("the same for everyone")


def private_view(request):
    return HttpResponse("someone's page")


@pytest.mark.parametrize(
    ("view", "signed_in", "expected"),
    [
        (private_view, False, "no-store"),
        (private_view, True, "no-store"),
        (public_view, False, "public, max-age=300"),
        # What a signed-in user sees names them: never public, whatever the view says.
        (public_view, True, "no-store"),
    ],
)
def test_no_store_unless_a_view_is_public_and_the_visitor_anonymous(view, signed_in, expected):
    request = RequestFactory().get("/")
    request.user = SimpleNamespace(is_authenticated=True) if signed_in else AnonymousUser()
    response = NoStoreMiddleware(view)(request)
    assert response["Cache-Control"] == expected
    if expected != "no-store":
        assert "Cookie" in response["Vary"]


def test_static_files_keep_their_caching(client, db, settings):
    """WhiteNoise answers static files before the no-store middleware sees them."""
    assert settings.MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") < settings.MIDDLEWARE.index(
        "security.headers.NoStoreMiddleware"
    )


# --- the report endpoint ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_violation_report_is_logged_without_the_query(client, caplog):
    with caplog.at_level(logging.WARNING, logger="security.headers"):
        response = client.post(
            reverse("security:csp_report"), data=json.dumps(REPORT), content_type="application/csp-report"
        )
    assert response.status_code == 204
    logged = caplog.text
    assert "script-src-elem" in logged
    assert "https://portal.example.cn/residents/" in logged
    assert "510104199001011234" not in logged


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'{"csp-report": 5}', b"[" * 4000 + b"]" * 4000, b"\xff\xfe"],
)
def test_an_unreadable_report_is_refused_not_an_error(client, body, caplog):
    response = client.post(reverse("security:csp_report"), data=body, content_type="application/csp-report")
    assert response.status_code == 400


@pytest.mark.django_db
def test_reports_are_limited_per_address(client, settings, monkeypatch):
    settings.CACHES = {**settings.CACHES, "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # All in one window of the fixed-window count, whenever the test runs.
    monkeypatch.setattr("core.throttle.time", SimpleNamespace(time=lambda: 1_800_000_010.0))
    url = reverse("security:csp_report")
    answers = [
        client.post(url, data=json.dumps(REPORT), content_type="application/csp-report", REMOTE_ADDR="203.0.113.9")
        for _ in range(CSP_REPORTS_PER_ADDRESS_PER_MINUTE + 1)
    ]
    assert [a.status_code for a in answers[:-1]] == [204] * CSP_REPORTS_PER_ADDRESS_PER_MINUTE
    assert answers[-1].status_code == 429
    # Another address still reports.
    other = client.post(url, data=json.dumps(REPORT), content_type="application/csp-report", REMOTE_ADDR="203.0.113.10")
    assert other.status_code == 204


def test_the_report_endpoint_takes_only_posts(client, db):
    assert client.get(reverse("security:csp_report")).status_code == 405


def test_a_refused_form_is_shown_without_inline_style(db):
    """Django's own CSRF failure page has a <style> block; the portal's replaces it."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("set_language"), {"language": "en"}, headers={"Accept-Language": "en"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "<style" not in body
    assert "The form could not be sent" in body
    assert 'class="site-header"' in body  # the portal's layout
    assert "'nonce-" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"
