"""Every page in chromium under the portal's Content-Security-Policy: nothing is blocked.

The pages are those of tests/page_walk.py (the whole URL conf, path parameters filled from the demo
district, each visited as the first role let in); the header test (tests/test_security_headers.py)
checks the same pages' headers and markup without a browser. Here each HTML page is opened in
chromium, signed in as its visitor, with a listener for `securitypolicyviolation` added before
any of the page's own code runs (init scripts are exempt from CSP), and the console watched for
the browser's own CSP and Permissions-Policy complaints. The request form runs with a tile server,
so Leaflet and its tiles run too; the reveal page is reached by its form, as staff reach it.
"""

import pytest
from django.conf import settings
from django.test import Client

from tests import page_walk
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.django_db(transaction=True)

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`
  );
});
"""
CONSOLE_COMPLAINTS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy", "Permissions policy")


class Browser:
    """One browser context per visitor, signed in with the walk's session, reporting violations."""

    def __init__(self, browser, live_server, clients):
        self.browser, self.live_server, self.clients = browser, live_server, clients
        self.pages = {}
        self.console = []

    def page(self, visitor):
        if visitor not in self.pages:
            context = self.browser.new_context(viewport=PHONE, locale="zh-CN", base_url=self.live_server.url)
            session = self.clients[visitor].cookies.get(settings.SESSION_COOKIE_NAME)
            if session is not None:
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": session.value,
                            "url": self.live_server.url,
                            "httpOnly": True,
                            "secure": settings.SESSION_COOKIE_SECURE,
                        }
                    ]
                )
            context.add_init_script(LISTEN)
            page = context.new_page()
            page.on(
                "console",
                lambda message, visitor=visitor: (
                    self.console.append(f"{page.url} as {visitor}: {message.text}")
                    if any(word in message.text for word in CONSOLE_COMPLAINTS)
                    else None
                ),
            )
            self.pages[visitor] = page
        return self.pages[visitor]

    def problems(self, page, response, where) -> list[str]:
        found = [f"{where}: {violation}" for violation in page.evaluate("window.__cspViolations || []")]
        if response is None or "content-security-policy" not in response.headers:
            found.append(f"{where}: no Content-Security-Policy header")
        return found

    def close(self):
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def world():
    return page_walk.build_world()


@pytest.fixture
def map_on(settings, tile_server):
    """A tile server set as in production: MAP_TILE_URL and the policy's img-src that follows it."""
    origin, asked = tile_server
    settings.MAP_TILE_URL = origin + "/{z}/{x}/{y}.png"
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**directives, "img-src": [*directives["img-src"], origin]}}
    return asked


def test_no_page_breaks_the_content_security_policy(browser, live_server, world, map_on):
    clients = page_walk.signed_in_clients(world)
    walk = page_walk.walk(world, clients)
    pages = [visit for visit in walk.visits if visit.is_html and visit.status in (200, 302)]
    assert len(pages) > 60, "the walk reached too few pages to mean anything"

    chromium = Browser(browser, live_server, clients)
    problems = []
    try:
        for visit in pages:
            page = chromium.page(visit.visitor)
            response = page.goto(visit.url, wait_until="load")
            problems.extend(chromium.problems(page, response, f"{visit.url} as {visit.visitor}"))

        # The request form with its map: Leaflet draws the tiles from the tile server.
        page = chromium.page("resident")
        response = page.goto(f"/requests/new/{world.request.service.code}/")
        page.wait_for_selector("#map-picker .leaflet-tile-loaded")
        assert map_on, "the tiles were fetched"
        problems.extend(chromium.problems(page, response, "the request form's map"))

        # Swagger UI really starts: its start-up script is a file of its own (/api/docs/?script).
        page = chromium.page("anonymous")
        response = page.goto("/api/docs/")
        page.wait_for_selector(".swagger-ui .info .title")
        problems.extend(chromium.problems(page, response, "Swagger UI"))

        # The reveal page, as a grid worker reaches it: the form on the resident's page.
        page = chromium.page("grid")
        page.goto(f"/residents/{world.resident.public_id}/")
        purpose = page.locator("form[action$='/reveal/'] select[name=purpose]")
        if purpose.count():
            purpose.select_option(index=1)
        with page.expect_navigation() as navigation:
            page.click("form[action$='/reveal/'] button[type=submit]")
        response = navigation.value
        assert response.status == 200
        assert response.headers["cache-control"] == "no-store"
        problems.extend(chromium.problems(page, response, "the reveal page"))
    finally:
        chromium.close()
    problems.extend(chromium.console)
    assert not problems, "\n".join(problems)


def test_the_listener_sees_a_blocked_inline_script(browser, live_server, world):
    """The check above could fail: an inline script and style="" injected into a page are reported."""
    chromium = Browser(browser, live_server, {"anonymous": Client()})
    try:
        page = chromium.page("anonymous")
        response = page.goto("/")
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.injected = true;";
                document.body.appendChild(script);
                document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
            }"""
        )
        page.wait_for_function("window.__cspViolations.length >= 2")
        problems = chromium.problems(page, response, "home")
        assert page.evaluate("window.injected === undefined")
    finally:
        chromium.close()
    assert any("script-src" in problem for problem in problems), problems
    assert any("style-src" in problem for problem in problems), problems


def test_a_grid_name_with_markup_stays_text_on_the_hotspot_map(browser, live_server, world):
    """Leaflet puts tooltips in as HTML; the map gives it the grid's name as text, so a name holding
    markup neither runs (the policy would block that too) nor changes the page."""
    from directory.models import Area

    marked_up = '<img src="/no-such-image" data-injected="1">'
    Area.objects.filter(kind=Area.Kind.GRID).update(name_zh=marked_up)
    clients = {"leader": page_walk.sign_in(Client(), world.users["leader"], world.password)}
    chromium = Browser(browser, live_server, clients)
    try:
        page = chromium.page("leader")
        page.goto("/dashboards/hotspots/")
        page.wait_for_selector("#hotspot-map path.leaflet-interactive")
        page.hover("#hotspot-map path.leaflet-interactive >> nth=0", force=True)
        tooltip = page.wait_for_selector(".leaflet-tooltip")
        assert tooltip.inner_text().startswith(marked_up)
        assert page.locator("[data-injected]").count() == 0
    finally:
        chromium.close()
