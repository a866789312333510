import uuid

import pytest
from django.http import Http404

from notifications.models import Channel
from notifications.selectors import (
    delivery_channels_for_user,
    inbox_for_user,
    notification_get_for_user,
    unread_count,
)
from notifications.services import notification_preference_update, outbox_deliver
from notifications.tests.conftest import PHONE, message_on, record_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_inboxes(recipient, make_user):
    """The recipient has two notifications, their neighbour one."""
    neighbour = make_user()
    for user, key in ((recipient, "a"), (recipient, "b"), (neighbour, "c")):
        outbox_deliver(message_id=message_on(record_event(user, key=key, title=f"event {key}"), Channel.IN_APP).pk)
    return neighbour


def test_the_inbox_holds_only_the_users_own_notifications_newest_first(recipient, two_inboxes):
    assert [n.title for n in inbox_for_user(user=recipient)] == ["event b", "event a"]
    assert [n.title for n in inbox_for_user(user=two_inboxes)] == ["event c"]
    assert unread_count(user=recipient) == 2


def test_an_inactive_user_sees_nothing(recipient, two_inboxes):
    recipient.is_active = False
    assert unread_count(user=recipient) == 0


def test_someone_elses_missing_or_malformed_notification_is_the_same_404(recipient, two_inboxes):
    theirs = inbox_for_user(user=two_inboxes).get()
    assert notification_get_for_user(user=two_inboxes, public_id=theirs.public_id) == theirs
    for public_id in (theirs.public_id, uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(Http404):
            notification_get_for_user(user=recipient, public_id=public_id)


def test_delivery_channels_follow_preferences_and_the_account(make_user):
    user = make_user(email="wang@example.test")
    assert delivery_channels_for_user(user=user) == [Channel.IN_APP, Channel.EMAIL]
    notification_preference_update(user=user, email=False, sms=True, sms_phone=PHONE)
    assert delivery_channels_for_user(user=user) == [Channel.IN_APP, Channel.SMS]
    user.is_active = False
    assert delivery_channels_for_user(user=user) == [Channel.IN_APP]
