"""长辈模式 on a 360 px phone: the switch, the sizes China's 适老化 rules ask for (measured with computed
styles), filing a request from the home page's large button, and 朗读 with a local zh-CN voice only."""

import json

import pytest

from participation.tests.notice_helpers import publish
from services.models import ServiceRequest
from tests.browser.conftest import PHONE
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Contrast ratio of an element's text against the first opaque background up its ancestors (WCAG 2.1).
CONTRAST_JS = """
el => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const c = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
  };
  let node = el, bg = [255, 255, 255];
  while (node && node.nodeType === 1) {
    const parts = rgb(getComputedStyle(node).backgroundColor);
    if (parts.length === 3 || parts[3] === 1) { bg = parts.slice(0, 3); break; }
    node = node.parentElement;
  }
  const fg = rgb(getComputedStyle(el).color).slice(0, 3);
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}
"""

# A stand-in for the browser's speech synthesis (headless chromium may have no voices): it offers the
# given voices and records what would be spoken, in which language, with which voice.
FAKE_SPEECH_JS = """
(() => {
  const voices = %s;
  window.__spoken = [];
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; this.voice = null; };
  const fake = {
    getVoices: () => voices,
    speak: u => window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name}),
    cancel: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
  };
  Object.defineProperty(window, "speechSynthesis", {value: fake, configurable: true});
})();
"""
LOCAL_ZH = {"name": "Ting-Ting", "lang": "zh-CN", "localService": True, "default": False, "voiceURI": "tt"}
REMOTE_ZH = {"name": "Google 普通话", "lang": "zh-CN", "localService": False, "default": False, "voiceURI": "g"}
LOCAL_EN = {"name": "Samantha", "lang": "en-US", "localService": True, "default": True, "voiceURI": "s"}


def fake_speech(page, voices):
    page.add_init_script(FAKE_SPEECH_JS % json.dumps(voices))


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_a_resident_switches_to_elderly_mode_and_files_a_request_from_the_large_button(phone, catalogue, people, tree):
    sign_in(phone, people.resident.username)
    phone.goto("/")
    assert phone.locator("html").get_attribute("class") is None
    phone.click("button[name=mode][value=elderly]")
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("class") == "elderly"
    assert fits_the_screen(phone)

    # Main text at least 24 px (18 pt), line spacing at least 1.3.
    for selector in ("body", "main p", ".notice-list li, main li"):
        size = phone.locator(selector).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 24, selector
    body_text = phone.locator("main p").first
    line_height, font_size = body_text.evaluate(
        "e => [parseFloat(getComputedStyle(e).lineHeight), parseFloat(getComputedStyle(e).fontSize)]"
    )
    assert line_height >= 1.3 * font_size
    # Contrast at least 4.5:1, computed from the colours.
    assert body_text.evaluate(CONTRAST_JS) >= 4.5
    assert phone.locator("main .muted").first.evaluate(CONTRAST_JS) >= 4.5
    # Touch targets at least 60 × 60 px: a button, a link, the large buttons.
    for selector in ("button[name=mode][value=standard]", "main p a", ".big-actions a", ".nav a"):
        size = box(phone, selector)
        assert size["height"] >= 60 and size["width"] >= 60, selector
    # One column: the large buttons stack, each as wide as the others.
    first, second = box(phone, ".big-actions li:nth-child(1) a"), box(phone, ".big-actions li:nth-child(2) a")
    assert second["y"] >= first["y"] + first["height"]

    phone.click(".big-actions a[href='/requests/new/']")
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("class") == "elderly"
    phone.click("a.choice:has-text('维修')")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    size = box(phone, "textarea[name=description]")
    assert size["height"] >= 60
    phone.fill("textarea[name=description]", "3栋电梯停运，楼上有老人。")
    phone.check("input[name=attr_facility][value=lift]")
    phone.select_option("select[name=grid]", str(tree.g1.pk))
    submit = box(phone, "button[type=submit]:has-text('提交诉求')")
    assert submit["height"] >= 60 and submit["width"] >= 60
    phone.click("button[type=submit]:has-text('提交诉求')")
    phone.wait_for_load_state()
    request = ServiceRequest.objects.get()
    assert request.requester == people.resident
    assert request.public_id in phone.locator("main").inner_text()


def test_the_choice_follows_the_account_to_another_phone(browser, live_server, people):
    devices = []
    for _ in range(2):
        context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
        devices.append((context, context.new_page()))
    try:
        (_, first), (_, second) = devices
        sign_in(first, people.resident.username)
        first.goto("/")
        first.click("button[name=mode][value=elderly]")
        first.wait_for_load_state()
        second.goto("/")
        assert second.locator("html").get_attribute("class") is None
        sign_in(second, people.resident.username)
        second.goto("/")
        assert second.locator("html").get_attribute("class") == "elderly"
    finally:
        for context, _page in devices:
            context.close()


def test_read_aloud_speaks_the_notice_with_a_local_chinese_voice(phone, people, tree):
    notice = publish(actor=people.community, area=tree.c1)
    fake_speech(phone, [REMOTE_ZH, LOCAL_EN, LOCAL_ZH])
    sign_in(phone, people.resident.username)
    phone.goto(f"/notices/{notice.public_id}/")
    button = phone.locator("button.read-aloud")
    button.wait_for(state="visible")
    assert box(phone, "button.read-aloud")["height"] >= 48
    button.click()
    spoken = phone.evaluate("window.__spoken")
    assert len(spoken) == 1
    assert spoken[0]["lang"] == "zh-CN"
    assert spoken[0]["voice"] == "Ting-Ting"
    assert notice.title in spoken[0]["text"]
    assert "明天上午9点至下午5点停水" in spoken[0]["text"]


@pytest.mark.parametrize("voices", [[], [REMOTE_ZH], [LOCAL_EN], [REMOTE_ZH, LOCAL_EN]])
def test_no_read_aloud_button_without_a_local_chinese_voice(phone, people, tree, voices):
    notice = publish(actor=people.community, area=tree.c1)
    fake_speech(phone, voices)
    phone.goto(f"/notices/{notice.public_id}/")
    assert phone.locator("#notice-text").inner_text()
    phone.wait_for_load_state("load")
    assert phone.locator("button.read-aloud").is_hidden()
    assert phone.evaluate("window.__spoken") == []


def test_read_aloud_on_a_requests_status(phone, file_request, people):
    request = file_request()
    fake_speech(phone, [LOCAL_ZH])
    sign_in(phone, people.resident.username)
    phone.goto(f"/requests/{request.public_id}/")
    phone.locator("button.read-aloud").click()
    spoken = phone.evaluate("window.__spoken")
    assert request.public_id in spoken[0]["text"]
    assert spoken[0]["lang"] == "zh-CN"
