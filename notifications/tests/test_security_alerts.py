"""Security alerts reach every active auditor and administrator whose scope covers them, once."""

import json

import pytest
from django.utils import translation
from django.utils.translation import gettext

from notifications.models import OutboxMessage
from notifications.services import security_alerts_deliver
from notifications.tasks import security_alerts_deliver_task
from security.alerts import alert_kind_label, alert_raise
from security.models import Role, SecurityAlert

pytestmark = pytest.mark.django_db


@pytest.fixture
def readers(tree, make_user):
    inactive = make_user(Role.AUDITOR, tree.d)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    return {
        "district_auditor": make_user(Role.AUDITOR, tree.d),
        "admin": make_user(Role.ADMIN, tree.d),
        "s1_auditor": make_user(Role.AUDITOR, tree.s1),
        "s2_auditor": make_user(Role.AUDITOR, tree.s2),
        "leader": make_user(Role.DISTRICT_LEADER, tree.d),
        "inactive": inactive,
    }


def _told(alert):
    by_id = {m.recipient_id for m in OutboxMessage.objects.filter(key__startswith=f"security_alert:{alert.pk}:")}
    return by_id


def test_each_alert_reaches_the_readers_whose_scope_covers_it(readers, tree, django_capture_on_commit_callbacks):
    in_s1 = alert_raise(kind="mass_reveal", summary="alice revealed 40 times", area=tree.g1)
    district = alert_raise(kind="chain_check_failed", summary="The audit log failed its check")
    with django_capture_on_commit_callbacks():
        assert security_alerts_deliver() == 2
    ids = {name: user.pk for name, user in readers.items()}
    assert _told(in_s1) == {ids["district_auditor"], ids["admin"], ids["s1_auditor"]}
    assert _told(district) == {ids["district_auditor"], ids["admin"]}
    message = OutboxMessage.objects.filter(recipient_id=ids["s1_auditor"]).first()
    assert message.kind == "security_alert" and message.body == "alice revealed 40 times"
    assert message.link == "/security/alerts/"
    # In the portal's language (Chinese), like other notices, whatever language the caller speaks.
    with translation.override("zh-hans"):
        expected = gettext("Security alert: %(kind)s") % {"kind": alert_kind_label("mass_reveal")}
    assert message.title == expected


def test_an_alert_is_delivered_once(readers, tree, django_capture_on_commit_callbacks):
    alert_raise(kind="mass_export", summary="x")
    with django_capture_on_commit_callbacks():
        security_alerts_deliver()
    count = OutboxMessage.objects.count()
    with django_capture_on_commit_callbacks():
        assert security_alerts_deliver() == 0
    assert OutboxMessage.objects.count() == count
    assert not SecurityAlert.objects.filter(delivered_at__isnull=True).exists()


def test_the_beat_task_delivers_and_its_result_survives_json(readers, django_capture_on_commit_callbacks):
    alert_raise(kind="mass_export", summary="x")
    with django_capture_on_commit_callbacks():
        result = security_alerts_deliver_task.apply().get()
    assert json.loads(json.dumps(result)) == 1
