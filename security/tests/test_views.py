"""The auditor's desk: searching the log, reading an event, alerts and acknowledging them, and
who may see what (district-wide readers everything; a subdistrict's auditor their subtree)."""

import pytest

from security.alerts import alert_raise, alert_search_query, alerts_detect
from security.audit import audit_record
from security.models import AuditEvent, Role, SecurityAlert

pytestmark = pytest.mark.django_db
URL = "/security/audit/"


def _rows(page: str) -> int:
    return page.count('<tr>\n      <td><a href="/security/audit/')


def _get(client, **query):
    response = client.get(URL, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def events(tree, make_user):
    """Events of every kind the search tells apart."""
    alice = make_user(Role.GRID_WORKER, tree.g1, username="alice")
    bob = make_user(Role.GRID_WORKER, tree.g2, username="Bob")
    return {
        "s1": audit_record(actor=alice, action="resident.reveal", target=tree.g1, ip_address="10.0.0.7"),
        "s2": audit_record(actor=bob, action="request.file", target=tree.g2, ip_address="10.0.1.9"),
        "none": audit_record(actor=None, action="auth.sign_in_failed", ip_address="2001:db8::1"),
    }


def test_auditor_reads_the_log_with_readable_action_names(client, tree, make_user, login, events):
    login(make_user(Role.AUDITOR, tree.d))
    page = _get(client)
    assert _rows(page) >= 3
    assert 'title="resident.reveal">Resident&#x27;s full personal data revealed</td>' in page
    assert 'title="auth.sign_in_failed">Sign-in failed</td>' in page
    # The select offers the readable names, keyed by code.
    assert '<option value="request.file">Request filed</option>' in page


def test_an_unknown_action_shows_and_searches_as_its_code(client, tree, make_user, login):
    audit_record(actor=None, action="test.unknown_thing")
    login(make_user(Role.AUDITOR, tree.d))
    page = _get(client, action="test.unknown_thing")
    assert _rows(page) == 1 and 'title="test.unknown_thing">test.unknown_thing</td>' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "ALICE"}, {"s1"}),
        ({"actor": "bob"}, {"s2"}),
        ({"action": "request.file"}, {"s2"}),
        ({"object_type": "directory.Area"}, {"s1", "s2"}),
        ({"object_type": "directory.Area", "object_id": "G1"}, {"s1"}),
        ({"object_text": "g2"}, {"s2"}),
        ({"address": "10.0.0.7"}, {"s1"}),
        ({"address": "10.0.0.0/16"}, {"s1", "s2"}),
        ({"address": "10.0.1.0/24"}, {"s2"}),
        ({"address": "2001:db8::/32"}, {"none"}),
    ],
)
def test_each_condition_narrows_the_search(client, tree, make_user, login, events, query, expected):
    if query.get("object_id") == "G1":
        query["object_id"] = str(tree.g1.pk)
    login(make_user(Role.AUDITOR, tree.d))
    page = _get(client, **query)
    shown = {name for name, event in events.items() if f'href="/security/audit/{event.pk}/"' in page}
    assert shown == expected


def test_area_search_takes_the_subtree(client, tree, make_user, login, events):
    login(make_user(Role.AUDITOR, tree.d))
    page = _get(client, area=tree.s1.pk)
    assert f'href="/security/audit/{events["s1"].pk}/"' in page
    assert f'href="/security/audit/{events["s2"].pk}/"' not in page
    assert f'href="/security/audit/{events["none"].pk}/"' not in page


def test_date_range_is_in_local_days(client, tree, make_user, login, events):
    login(make_user(Role.AUDITOR, tree.d))
    today = events["s1"].occurred_at.astimezone().date()
    from django.utils import timezone

    today = timezone.localdate(events["s1"].occurred_at)
    assert _rows(_get(client, date_from=today.isoformat(), date_to=today.isoformat())) >= 3
    assert _rows(_get(client, date_to=(today.replace(year=today.year - 1)).isoformat())) == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "2026-13-40"}, "Enter a valid date."),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "The end date is before the start date."),
        ({"address": "10.0.0.300"}, "Enter an IP address such as 10.0.0.7 or a prefix such as 10.0.0.0/24."),
        ({"address": "10.0.0.0/33"}, "Enter an IP address such as 10.0.0.7 or a prefix such as 10.0.0.0/24."),
        ({"action": "'; drop table"}, "Choose an action from the list."),
        ({"area": "999999"}, "Select a valid choice."),
        ({"actor": "x" * 151}, "Ensure this value has at most 150 characters"),
    ],
)
def test_bad_conditions_are_reported_and_nothing_is_searched(client, tree, make_user, login, events, query, message):
    login(make_user(Role.AUDITOR, tree.d))
    page = _get(client, **query)
    assert message in page
    assert "Correct the search below; nothing was searched." in page
    assert _rows(page) == 0


@pytest.mark.parametrize(
    "field", ["actor", "action", "object_type", "object_id", "object_text", "area", "address", "date_from", "page"]
)
def test_nul_bytes_in_any_condition_are_refused_not_a_500(client, tree, make_user, login, events, field):
    login(make_user(Role.AUDITOR, tree.d))
    response = client.get(URL, {field: "a\x00b"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (200, 400)
    if field != "page":
        assert _rows(response.content.decode()) == 0


def test_event_detail_shows_details_pretty_and_escaped(client, tree, make_user, login):
    event = audit_record(actor=None, action="api.call", details={"path": "<script>alert(1)</script>", "n": 1})
    login(make_user(Role.AUDITOR, tree.d))
    page = client.get(f"{URL}{event.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "{\n  &quot;n&quot;: 1,\n  &quot;path&quot;" in page
    assert event.hash in page


# --- scope: a subdistrict's auditor, and outsiders ----------------------------------------------
def test_subdistrict_auditor_sees_only_their_subtree(client, tree, make_user, login, events):
    login(make_user(Role.AUDITOR, tree.s1))
    page = _get(client)
    assert f'href="/security/audit/{events["s1"].pk}/"' in page
    assert f'href="/security/audit/{events["s2"].pk}/"' not in page
    assert f'href="/security/audit/{events["none"].pk}/"' not in page  # no area: district-wide readers only
    assert client.get(f"{URL}{events['s1'].pk}/").status_code == 200
    assert client.get(f"{URL}{events['s2'].pk}/").status_code == 404
    assert client.get(f"{URL}{events['none'].pk}/").status_code == 404
    # Their area list offers their own subtree only.
    assert f'<option value="{tree.s2.pk}"' not in page and f'<option value="{tree.s1.pk}"' in page


def test_another_subdistricts_auditor_sees_none_of_it(client, tree, make_user, login, events):
    login(make_user(Role.AUDITOR, tree.s2))
    page = _get(client, area=tree.s1.pk)  # not in their list: refused, not searched
    assert "Select a valid choice." in page and _rows(page) == 0
    assert client.get(f"{URL}{events['s1'].pk}/").status_code == 404


def test_district_admin_sees_everything(client, tree, make_user, login, events):
    login(make_user(Role.ADMIN, tree.d))
    assert client.get(f"{URL}{events['none'].pk}/").status_code == 200


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.DISTRICT_LEADER])
def test_other_roles_are_refused(client, tree, make_user, login, events, role):
    area = {Role.RESIDENT: tree.g1, Role.GRID_WORKER: tree.g1, Role.COMMUNITY_STAFF: tree.c1}.get(role, tree.d)
    login(make_user(role, area))
    for url in (URL, f"{URL}{events['s1'].pk}/", "/security/alerts/"):
        assert client.get(url).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, events):
    for url in (URL, f"{URL}{events['s1'].pk}/", "/security/alerts/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_query_count_does_not_grow_with_events(client, tree, make_user, login, django_assert_max_num_queries):
    login(make_user(Role.AUDITOR, tree.s1))
    for n in range(3):
        audit_record(actor=None, action=f"test.{n}", target=tree.g1)
    alert_raise(kind="mass_export", summary="x", area=tree.c1)
    with django_assert_max_num_queries(20) as few:
        client.get(URL, {"actor": "", "date_from": "2020-01-01"})
    for n in range(60):
        audit_record(actor=None, action=f"test.more{n}", target=tree.g1b)
        alert_raise(kind="mass_export", summary=f"y{n}", area=tree.g1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(URL, {"actor": "", "date_from": "2020-01-01"}).content.decode()
    assert _rows(page) == 50


# --- alerts -------------------------------------------------------------------------------------
def test_alerts_show_on_the_desk_and_are_acknowledged(client, tree, make_user, login):
    alert = alert_raise(kind="mass_reveal", summary="alice revealed 40 times", area=tree.c1)
    auditor = make_user(Role.AUDITOR, tree.s1)
    login(auditor)
    page = _get(client)
    assert '<p class="summary">alice revealed 40 times</p>' in page
    assert "Many reveals of personal data by one user" in page
    response = client.post(f"/security/alerts/{alert.pk}/acknowledge/", {"back": "alerts"})
    assert response.status_code == 302 and response["Location"] == "/security/alerts/"
    alert.refresh_from_db()
    assert alert.acknowledged_by == auditor and alert.acknowledged_at is not None
    event = AuditEvent.objects.get(action="security.alert_acknowledge")
    assert event.actor == auditor and event.object_id == str(alert.pk)
    assert '<p class="summary">alice revealed 40 times</p>' not in _get(client)  # no longer open
    listed = client.get("/security/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Acknowledged by {auditor.username}" in listed
    # Again: nothing changes, nothing more is recorded.
    client.post(f"/security/alerts/{alert.pk}/acknowledge/")
    assert AuditEvent.objects.filter(action="security.alert_acknowledge").count() == 1


def test_outsiders_neither_see_nor_acknowledge_an_alert(client, tree, make_user, login):
    in_s1 = alert_raise(kind="mass_reveal", summary="in s1", area=tree.c1)
    district = alert_raise(kind="chain_check_failed", summary="chain broken")
    login(make_user(Role.AUDITOR, tree.s2))
    page = _get(client)
    assert '<p class="summary">' not in page
    assert client.post(f"/security/alerts/{in_s1.pk}/acknowledge/").status_code == 404
    assert client.post(f"/security/alerts/{district.pk}/acknowledge/").status_code == 404
    assert not SecurityAlert.objects.filter(acknowledged_at__isnull=False).exists()


def test_acknowledging_needs_a_post(client, tree, make_user, login):
    alert = alert_raise(kind="mass_reveal", summary="x")
    login(make_user(Role.AUDITOR, tree.d))
    assert client.get(f"/security/alerts/{alert.pk}/acknowledge/").status_code == 405


def test_an_alert_links_to_the_events_behind_it(client, tree, make_user, login, settings):
    settings.SECURITY_ALERT_REVEALS_PER_USER = 2
    worker = make_user(Role.GRID_WORKER, tree.g1, username="nightowl")
    reveals = [audit_record(actor=worker, action="resident.reveal", target=tree.g1) for _ in range(2)]
    unrelated = audit_record(actor=worker, action="request.file", target=tree.g1)
    (alert,) = [a for a in alerts_detect() if a.kind == "mass_reveal"]
    login(make_user(Role.AUDITOR, tree.d))
    page = _get(client)
    query = alert_search_query(alert)
    assert f'href="/security/audit/?{query.replace("&", "&amp;")}"' in page
    listed = client.get(f"{URL}?{query}").content.decode()
    assert all(f'href="/security/audit/{event.pk}/"' in listed for event in reveals)
    assert f'href="/security/audit/{unrelated.pk}/"' not in listed
    assert "&quot;count&quot;: 2" in page  # the alert's details, escaped


def test_the_desk_names_actions_readably_everywhere_it_shows_one(client, tree, make_user, login):
    """Issue 20: the log showed raw codes (`auth.sign_in`); the list, the event's page, the alerts'
    details and the admin's name of an event now read the action's label."""
    user = make_user(Role.GRID_WORKER, tree.g1, username="alice")
    event = audit_record(actor=user, action="auth.sign_in", target=user)
    alert_raise(
        kind="sign_in_burst_account",
        summary="x",
        details={"search": {"action": "auth.sign_in_failed"}, "actions": ["auth.sign_in"]},
    )
    login(make_user(Role.AUDITOR, tree.d))
    desk = _get(client)
    assert 'title="auth.sign_in">Signed in</td>' in desk
    assert '"action": "Sign-in failed (auth.sign_in_failed)"' in desk.replace("&quot;", '"')
    assert '"Signed in (auth.sign_in)"' in desk.replace("&quot;", '"')
    detail = client.get(f"{URL}{event.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Signed in</h1>" in detail
    alerts = client.get("/security/alerts/", HTTP_ACCEPT_LANGUAGE="en").content.decode().replace("&quot;", '"')
    assert '"action": "Sign-in failed (auth.sign_in_failed)"' in alerts
    assert "Signed in" in str(AuditEvent.objects.get(pk=event.pk))
