"""Issue 20 on a 360 px phone: the workbench's queue starts on the first screen (its filters fold
away), links in lists are 44 px touch targets, and the API docs' text has enough contrast."""

import pytest

from security.models import Role
from tests.browser.conftest import PHONE
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# WCAG 2.1 contrast (1.4.3) of every element's own text, from computed styles: the colour over the
# backgrounds it sits on, blended up to the first opaque one. Large text (24 px, or 18.66 px bold)
# needs 3:1, the rest 4.5:1. Returns one line per element that falls short.
LOW_CONTRAST = """(root) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = [255, 255, 255];
    for (let i = layers.length - 1; i >= 0; i--) {
      const [r, g, b, a] = layers[i];
      colour = [r * a + colour[0] * (1 - a), g * a + colour[1] * (1 - a), b * a + colour[2] * (1 - a)];
    }
    return colour;
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity);
    return o;
  };
  const short = [];
  for (const el of document.querySelectorAll(root + " *")) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || box.width === 0 || box.height === 0) continue;
    const back = background(el);
    const fg = parse(style.color);
    const a = fg[3] * opacity(el);
    const front = [0, 1, 2].map((i) => fg[i] * a + back[i] * (1 - a));
    const [hi, lo] = [luminance(front), luminance(back)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      short.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ` +
                 `${ratio.toFixed(2)}:1 ${style.color} on rgb(${back.map(Math.round)})`);
    }
  }
  return short;
}"""


def _first_row_top(page) -> float:
    return page.evaluate("document.querySelector('ul.list > li').getBoundingClientRect().top + window.scrollY")


def test_the_workbench_queue_starts_on_the_first_screen_of_a_phone(phone, make_user, tree, file_request, people):
    for _ in range(3):
        file_request()
    sign_in(phone, people.worker.username)
    phone.goto("/requests/workbench/")
    assert _first_row_top(phone) < PHONE["height"], "the first request is below the first screen"
    assert not phone.locator("details.filters-box").evaluate("d => d.open"), "filters fold away on a phone"
    assert "---------" not in phone.locator("main").inner_text()
    assert phone.locator("select[name=area]").count() == 0  # a grid worker's one community: no list
    phone.locator("details.filters-box > summary").click()
    phone.select_option("select[name=status]", "all")
    phone.click("details.filters-box button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("details.filters-box").evaluate("d => d.open"), "a filter set shows the filters open"
    assert fits_the_screen(phone)


def test_the_workbench_filters_start_open_on_a_wide_screen(browser, live_server, people):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    try:
        sign_in(page, people.worker.username)
        page.goto("/requests/workbench/")
        page.wait_for_load_state("load")
        assert page.locator("details.filters-box").evaluate("d => d.open")
    finally:
        context.close()


def test_links_in_lists_are_44_px_touch_targets(phone, file_request, people):
    file_request()
    sign_in(phone, people.worker.username)
    phone.goto("/requests/workbench/")
    link = phone.locator("ul.list > li a").first
    assert link.bounding_box()["height"] >= 44
    assert fits_the_screen(phone)


def test_the_api_docs_text_has_enough_contrast(browser, live_server, make_user, tree):
    make_user(Role.RESIDENT, tree.g1)
    for viewport in (PHONE, {"width": 1366, "height": 900}):
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url)
        page = context.new_page()
        try:
            page.goto("/api/docs/")
            page.wait_for_selector(".swagger-ui .opblock .opblock-summary-method")
            # Open one operation, so its parameters and responses are measured too.
            page.locator(".swagger-ui .opblock .opblock-summary").first.click()
            page.wait_for_selector(".swagger-ui .opblock-body")
            short = page.evaluate(LOW_CONTRAST, "#swagger-ui")
        finally:
            context.close()
        assert not short, "\n".join(short[:40])
