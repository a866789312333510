"""Area alerts of notices, with participation's own fan-out run for real: a follower hears of a
notice for everyone once, whether or not they are also one of its recipients, and whichever fan-out
runs first."""

import pytest

from notifications.area_alerts import area_alert_fan_out, area_alert_setting_update, area_follow
from notifications.models import AlertMode, AreaAlert, AreaDigestItem, Notification, OutboxMessage, OutboxStatus
from notifications.services import outbox_deliver
from participation.moderation import report_decide, report_file
from participation.notice_delivery import notice_fan_out_batch, notice_fan_out_start
from participation.notices import notice_withdraw
from participation.tests.notice_helpers import publish, run_fan_out
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def follow_at_once(user, area):
    area_follow(user=user, area_id=area.pk)
    area_alert_setting_update(user=user, mode=AlertMode.AT_ONCE, follows_own_grid=True, service_codes=[])


def fan_out_alerts():
    for key in AreaAlert.objects.filter(fanned_out_at__isnull=True).values_list("key", flat=True):
        area_alert_fan_out(key=key)


def deliver_pending():
    for pk in OutboxMessage.objects.filter(status=OutboxStatus.PENDING, channel="in_app").values_list("pk", flat=True):
        outbox_deliver(message_id=pk)


def inbox_entries(user, notice) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, outbox_key__startswith=f"notice:{notice.pk}:").values_list(
            "outbox_key", flat=True
        )
    )


@pytest.fixture
def resident_follower(tree):
    """A verified resident of G1 (a recipient of C1's notices) who also follows C1 at once."""
    user = UserFactory(username="res_follower")
    ResidentFactory(household=HouseholdFactory(grid=tree.g1), full_name="关注者", user=user)
    follow_at_once(user, tree.c1)
    return user


@pytest.fixture
def outsider_follower(tree):
    """Lives nowhere near C1 but follows it at once."""
    user = UserFactory(username="far_follower")
    follow_at_once(user, tree.c1)
    return user


@pytest.mark.parametrize("alerts_first", [False, True])
def test_a_notice_reaches_each_follower_once(people, tree, resident_follower, outsider_follower, alerts_first):
    notice = publish(actor=people.community, area=tree.c1)
    batches = notice_fan_out_start(notice_id=notice.pk)  # records the area alert
    assert AreaAlert.objects.get().key == f"notice:{notice.pk}"
    if alerts_first:
        fan_out_alerts()
    for first, last in batches:
        notice_fan_out_batch(notice_id=notice.pk, first_user_id=first, last_user_id=last)
    fan_out_alerts()
    deliver_pending()

    key = f"notice:{notice.pk}:user"
    assert inbox_entries(resident_follower, notice) == [f"{key}:{resident_follower.pk}:in_app"]
    assert inbox_entries(outsider_follower, notice) == [f"{key}:{outsider_follower.pk}:in_app"]
    assert not AreaDigestItem.objects.exists()


def test_a_digest_follower_who_received_the_notice_finds_nothing_more(people, tree, make_user):
    resident = UserFactory(username="res_digest")
    ResidentFactory(household=HouseholdFactory(grid=tree.g1), full_name="摘要", user=resident)
    area_follow(user=resident, area_id=tree.c1.pk)  # daily digest, the default
    far = make_user()
    area_follow(user=far, area_id=tree.c1.pk)
    notice = publish(actor=people.community, area=tree.c1)
    run_fan_out(notice)
    fan_out_alerts()
    assert list(AreaDigestItem.objects.values_list("user_id", flat=True)) == [far.pk]


def test_notices_for_elderly_households_are_not_sent_to_followers(people, tree, outsider_follower):
    notice = publish(actor=people.community, area=tree.c1, audience="elderly_households")
    run_fan_out(notice)
    fan_out_alerts()
    assert not AreaAlert.objects.exists()
    assert inbox_entries(outsider_follower, notice) == []


def test_a_withdrawn_or_hidden_notice_leaves_the_digests_not_yet_sent(people, tree, make_user):
    far = make_user()
    area_follow(user=far, area_id=tree.c1.pk)  # daily digest, the default
    withdrawn = publish(actor=people.community, area=tree.c1, title="撤回的通知")
    hidden = publish(actor=people.community, area=tree.c1, title="被隐藏的通知")
    kept = publish(actor=people.community, area=tree.c1, title="保留的通知")
    for notice in (withdrawn, hidden, kept):
        run_fan_out(notice)
    fan_out_alerts()
    assert AreaDigestItem.objects.filter(user=far).count() == 3

    notice_withdraw(actor=people.community, notice=withdrawn, reason="时间改了")
    report = report_file(reporter=far, notice=hidden, reason="false")
    report_decide(actor=people.community, report=report, decision="hide_text", reason="内容有误")

    assert list(AreaDigestItem.objects.filter(user=far).values_list("alert__key", flat=True)) == [f"notice:{kept.pk}"]
