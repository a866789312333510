"""Every page and API answer of the portal (tests/page_walk.py walks the URL conf) carries the
security headers: a Content-Security-Policy with a nonce and without 'unsafe-inline', a
Permissions-Policy, and `Cache-Control: no-store`; and no HTML page holds inline script, inline
style or event-handler attributes, which that policy would block. The browser test
(tests/browser/test_csp.py) walks the same pages in chromium."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from tests import page_walk

pytestmark = pytest.mark.django_db

# Data blocks a script may read; the browser never runs them, so CSP does not apply to them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineCode(HTMLParser):
    """What the policy would block: inline <script> and <style> without the page's nonce, style=""
    and on…="" attributes, and javascript: links."""

    def __init__(self, nonce: str):
        super().__init__()
        self.nonce = nonce
        self.found: list[str] = []
        self._open_script = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")
        nonced = attributes.get("nonce") == self.nonce
        if tag == "style" and not nonced:
            self.found.append("<style> without the nonce")
        if tag == "script" and not attributes.get("src") and not nonced:
            if (attributes.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
                self._open_script = attributes

    def handle_data(self, data):
        if self._open_script is not None and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._open_script = None


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def html_problems(visit: page_walk.Visit) -> list[str]:
    policy = directives(visit.headers.get("Content-Security-Policy", ""))
    problems = []
    nonces = [source for source in policy.get("script-src", []) if source.startswith("'nonce-")]
    if not nonces or nonces != [s for s in policy.get("style-src", []) if s.startswith("'nonce-")]:
        problems.append("no nonce for scripts and styles in the policy")
    for name, sources in policy.items():
        for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"):
            if unsafe in sources:
                problems.append(f"{name} allows {unsafe}")
    scanner = InlineCode(nonce=nonces[0][len("'nonce-") : -1] if nonces else "")
    scanner.feed(visit.body.decode("utf-8", errors="replace"))
    problems.extend(scanner.found)
    return problems


@pytest.fixture
def world():
    return page_walk.build_world()


def test_every_page_carries_the_headers_and_no_inline_code(world):
    """One walk for everything (building the district and walking it takes a while)."""
    walk = page_walk.walk(world, page_walk.signed_in_clients(world))
    explained = {*page_walk.NOT_VISITED.values(), page_walk.NO_ROW}
    unexplained = {key: why for key, why in walk.not_visited.items() if why not in explained}
    assert not unexplained, unexplained

    failures = []
    for visit in walk.visits:
        where = f"{visit.url} as {visit.visitor} ({visit.status})"
        if visit.status >= 500:
            failures.append(f"{where}: the page failed")
        if "Content-Security-Policy" not in visit.headers:
            failures.append(f"{where}: no Content-Security-Policy")
        if "Permissions-Policy" not in visit.headers:
            failures.append(f"{where}: no Permissions-Policy")
        if visit.headers.get("Cache-Control") != "no-store":
            failures.append(f"{where}: Cache-Control is {visit.headers.get('Cache-Control')!r}")
        if visit.is_html:
            failures.extend(f"{where}: {problem}" for problem in html_problems(visit))
    assert not failures, "\n".join(failures)

    # The walk is only worth something if it gets in: the named pages answer 200 to their role.
    seen = {(visit.key, visit.visitor) for visit in walk.visits if visit.status == 200}
    for key, visitor in [
        ("portal:home", "anonymous"),
        ("account_login", "anonymous"),
        ("services:mine", "resident"),
        ("services:detail", "resident"),
        ("services:detail", "grid"),
        ("services:workbench", "grid"),
        ("residents:detail", "grid"),
        ("residents:staff_list", "grid"),
        ("security:audit_log", "auditor"),
        ("dashboards:overview", "subdistrict"),
        ("dashboards:screen", "subdistrict"),
        ("dashboards:display", "anonymous"),
        ("exchange:agreement_detail", "department"),
        ("exchange:import_detail", "department"),
        ("api_docs", "anonymous"),
        ("admin:index", "admin"),
        ("admin:security_user_changelist", "admin"),
    ]:
        assert (key, visitor) in seen, f"{key} was not seen by {visitor}"
    pages = [visit for visit in walk.visits if visit.status == 200 and visit.is_html]
    assert len(pages) > 60


def test_the_reveal_page_and_the_workbench_are_not_stored(world):
    grid = page_walk.sign_in(Client(), world.users["grid"], world.password)
    revealed = grid.post(reverse("residents:reveal", args=[world.resident.public_id]), {"purpose": "care_contact"})
    assert revealed.status_code == 200, revealed.status_code
    assert revealed.context["revealed"]
    assert revealed["Cache-Control"] == "no-store"
    assert "'nonce-" in revealed["Content-Security-Policy"]

    workbench = grid.get(reverse("services:workbench"))
    assert workbench.status_code == 200
    assert workbench["Cache-Control"] == "no-store"


def test_api_answers_with_data_are_not_stored(world):
    from datetime import timedelta

    from django.utils import timezone

    from security.api_keys import api_key_create
    from security.models import ApiScope

    partner = world.users["partner"]
    organisation = partner.role_assignments.get().organisation
    _key, raw = api_key_create(
        actor=partner,
        organisation=organisation,
        name="headers",
        scopes=[ApiScope.READ_WORK_ORDERS],
        expires_at=timezone.now() + timedelta(days=1),
    )
    answer = Client().get(reverse("api_work_orders"), headers={"X-API-Key": raw})
    assert answer.status_code == 200, answer.content
    assert answer.json()["results"], "the partner has work orders in the demo"
    assert answer["Cache-Control"] == "no-store"
