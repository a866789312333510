import pytest
from django.db import transaction

from security.alerts import AlertKind, alert_kind_label, alert_raise, alerts_claim_undelivered
from security.models import AuditEvent, SecurityAlert

pytestmark = pytest.mark.django_db


def test_an_alert_is_stored_and_audited():
    alert = alert_raise(kind=AlertKind.CHAIN_CHECK_FAILED, summary="Chain broken\nat 7", details={"event": 7})
    assert alert is not None
    stored = SecurityAlert.objects.get()
    assert stored.kind == "chain_check_failed" and stored.summary == "Chain broken at 7"
    assert stored.details == {"event": 7} and stored.delivered_at is None and stored.acknowledged_at is None
    event = AuditEvent.objects.get(action="security.alert")
    assert event.object_id == str(alert.pk) and event.details["kind"] == "chain_check_failed"


def test_the_same_dedupe_key_raises_once():
    first = alert_raise(kind="chain_check_failed", summary="one", dedupe_key="chain:audit:7")
    again = alert_raise(kind="chain_check_failed", summary="two", dedupe_key="chain:audit:7")
    assert first is not None and again is None
    assert SecurityAlert.objects.count() == 1
    assert AuditEvent.objects.filter(action="security.alert").count() == 1


def test_alerts_without_a_key_are_all_raised():
    alert_raise(kind="chain_check_failed", summary="one")
    alert_raise(kind="chain_check_failed", summary="two")
    assert SecurityAlert.objects.count() == 2


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        alert_raise(kind="", summary="x")
    with pytest.raises(ValueError):
        alert_raise(kind="x", summary="x", dedupe_key="k" * 201)


def test_unknown_kinds_show_as_is():
    assert alert_kind_label("mass_export") == "Many exports by one user"
    assert alert_kind_label("something_new") == "something_new"


def test_claiming_takes_each_alert_once():
    a = alert_raise(kind="mass_export", summary="a")
    b = alert_raise(kind="mass_export", summary="b")
    with transaction.atomic():
        claimed = alerts_claim_undelivered()
    assert [alert.pk for alert in claimed] == [a.pk, b.pk]
    with transaction.atomic():
        assert alerts_claim_undelivered() == []
    assert not SecurityAlert.objects.filter(delivered_at__isnull=True).exists()

