import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from security.alerts import (
    AlertKind,
    AlertThresholds,
    alert_kind_label,
    alert_raise,
    alerts_claim_undelivered,
    alerts_detect,
    export_actions,
)
from security.audit import audit_record
from security.models import AuditEvent, Role, SecurityAlert
from security.tasks import alerts_detect_task

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


# --- detection ------------------------------------------------------------------------------------
@pytest.fixture
def low_thresholds(settings):
    settings.SECURITY_ALERT_SIGN_IN_FAILURES_PER_ADDRESS = 5
    settings.SECURITY_ALERT_SIGN_IN_FAILURES_PER_ACCOUNT = 3
    settings.SECURITY_ALERT_EXPORTS_PER_USER = 3
    settings.SECURITY_ALERT_REVEALS_PER_USER = 3
    # Every hour of every day is working time, unless a test says otherwise.
    settings.SECURITY_ALERT_WORKING_HOURS = ("00:00", "24:00")
    settings.SECURITY_ALERT_WORKING_DAYS = [1, 2, 3, 4, 5, 6, 7]
    return settings


def _fail_sign_in(login: str, address: str, n: int):
    for _ in range(n):
        audit_record(actor=None, action="auth.sign_in_failed", ip_address=address, details={"login": login})


def test_a_burst_from_one_address_raises_one_alert(low_thresholds):
    for n in range(5):
        _fail_sign_in(f"user{n}", "203.0.113.9", 1)  # five accounts, one address
    _fail_sign_in("someone", "203.0.113.10", 2)  # below both thresholds
    raised = alerts_detect()
    assert [(a.kind, a.details["subject"], a.details["count"]) for a in raised] == [
        ("sign_in_burst_address", "203.0.113.9", 5)
    ]
    assert raised[0].area is None  # sign-ins concern the whole district
    # The next run, and one after more failures from the same address, raise nothing new.
    assert alerts_detect() == []
    for n in range(5, 8):
        _fail_sign_in(f"user{n}", "203.0.113.9", 1)
    assert alerts_detect() == []
    assert SecurityAlert.objects.filter(kind="sign_in_burst_address").count() == 1


def test_a_burst_against_one_account_raises_one_alert_whatever_the_case(low_thresholds):
    _fail_sign_in("Alice", "198.51.100.1", 1)
    _fail_sign_in("alice", "198.51.100.2", 1)
    _fail_sign_in("ALICE", "198.51.100.3", 1)
    _fail_sign_in("bob", "198.51.100.4", 2)
    raised = alerts_detect()
    assert [(a.kind, a.details["subject"]) for a in raised] == [("sign_in_burst_account", "alice")]
    assert "alice" in raised[0].summary


def test_throttled_sign_ins_count_towards_a_burst(low_thresholds):
    _fail_sign_in("carol", "192.0.2.1", 2)
    audit_record(actor=None, action="auth.sign_in_throttled", ip_address="192.0.2.1", details={"login": "carol"})
    assert [a.kind for a in alerts_detect()] == ["sign_in_burst_account"]


def test_old_failures_fall_out_of_the_window(low_thresholds):
    _fail_sign_in("dave", "192.0.2.2", 3)
    later = timezone.now() + timedelta(minutes=11)
    assert alerts_detect(now=later) == []


def test_mass_reveals_by_one_user_raise_an_alert_for_their_area(low_thresholds, tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    for grid in (tree.g1, tree.g1b, tree.g1):
        audit_record(actor=worker, action="resident.reveal", target=grid)
    other = make_user(Role.GRID_WORKER, tree.g2)
    audit_record(actor=other, action="resident.reveal", target=tree.g2)
    (alert,) = alerts_detect()
    assert alert.kind == "mass_reveal" and alert.details["subject"] == f"user:{worker.pk}"
    assert alert.area == tree.c1  # the smallest area holding G1 and G1b
    assert worker.username in alert.summary
    assert alerts_detect() == []


def test_mass_exports_by_one_user_raise_an_alert(low_thresholds, tree, make_user):
    leader = make_user(Role.DISTRICT_LEADER, tree.d)
    for _ in range(3):
        audit_record(actor=leader, action="dashboards.export", details={"format": "csv"})
    (alert,) = alerts_detect()
    assert alert.kind == "mass_export" and alert.area is None
    assert "dashboards.export" in export_actions()


def test_reveals_outside_working_hours_raise_one_alert_per_person_and_day(low_thresholds, tree, make_user):
    low_thresholds.SECURITY_ALERT_WORKING_DAYS = []  # now is outside working time, whenever the test runs
    worker = make_user(Role.GRID_WORKER, tree.g1)
    audit_record(actor=worker, action="resident.reveal", target=tree.g1)
    audit_record(actor=worker, action="resident.reveal", target=tree.g1)
    (alert,) = alerts_detect()
    assert alert.kind == "reveal_out_of_hours" and alert.area == tree.g1
    assert len(alert.details["event_ids"]) == 2
    assert alerts_detect() == []


def test_reveals_in_working_hours_raise_nothing(low_thresholds, tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    audit_record(actor=worker, action="resident.reveal", target=tree.g1)
    assert alerts_detect() == []


@pytest.mark.parametrize(
    ("local", "working"),
    [
        ("2026-12-07 08:00", True),  # Monday
        ("2026-12-07 07:59", False),
        ("2026-12-07 19:59", True),
        ("2026-12-07 20:00", False),
        ("2026-12-05 10:00", False),  # Saturday
        ("2026-12-06 10:00", False),  # Sunday
    ],
)
def test_working_time_is_shanghai_time(settings, local, working):
    settings.SECURITY_ALERT_WORKING_HOURS = ("08:00", "20:00")
    settings.SECURITY_ALERT_WORKING_DAYS = [1, 2, 3, 4, 5]
    moment = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    assert AlertThresholds.from_settings().is_working_time(moment) is working


def test_the_beat_task_runs_detection_and_its_result_survives_json(low_thresholds):
    _fail_sign_in("erin", "192.0.2.3", 3)
    result = alerts_detect_task.apply().get()
    assert json.loads(json.dumps(result)) == 1
    assert SecurityAlert.objects.filter(kind="sign_in_burst_account").exists()
