"""An auditor on a 360 px phone: the desk's alerts, a search, an event's details, acknowledging."""

import pytest

from security.alerts import alert_raise
from security.audit import audit_record
from security.models import Role, SecurityAlert
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_auditor_searches_reads_an_event_and_acknowledges_an_alert(phone, tree, make_user):
    auditor = make_user(Role.AUDITOR, tree.d)
    worker = make_user(Role.GRID_WORKER, tree.g1)
    event = audit_record(
        actor=worker, action="resident.reveal", target=tree.g1, ip_address="10.1.2.3", details={"why": "上门走访"}
    )
    audit_record(actor=None, action="auth.sign_in_failed", ip_address="192.0.2.9", details={"login": "x"})
    alert = alert_raise(kind="reveal_out_of_hours", summary=f"{worker.username} 于 22:10 查看了完整个人信息")
    sign_in(phone, auditor.username)

    phone.goto("/security/audit/")
    assert fits_the_screen(phone)
    assert alert.summary in phone.locator(".alerts").inner_text()

    phone.fill("input[name=address]", "10.1.0.0/16")
    phone.click("form.filters button[type=submit]")
    phone.wait_for_load_state()
    rows = phone.locator(".audit-table tbody tr")
    assert rows.count() == 1 and "192.0.2.9" not in phone.locator(".audit-table").inner_text()
    assert fits_the_screen(phone)

    phone.fill("input[name=address]", "10.1.2.300")
    phone.click("form.filters button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator(".form-errors").count() >= 2  # the summary and the field's own message
    assert "10.1.2.3" not in phone.locator(".audit-table").inner_text()

    phone.goto(f"/security/audit/{event.pk}/")
    assert "上门走访" in phone.locator("pre.event-details").inner_text()
    assert fits_the_screen(phone)

    phone.goto("/security/audit/")
    phone.click(".alerts form button[type=submit]")
    phone.wait_for_load_state()
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == auditor.pk
    assert not SecurityAlert.objects.filter(acknowledged_at__isnull=True).exists()
    assert phone.locator(".alerts").count() == 0
