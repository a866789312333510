"""Headless Debian chromium driven by Playwright against the live test server."""

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without these, chromium reaches for Google's hosts at start-up; this machine has no such network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    # Playwright's sync API runs an event loop in this thread; the test server and the ORM calls
    # in the test itself are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """A page on a 360 px wide phone screen, pointed at the live server."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()
