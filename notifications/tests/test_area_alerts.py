"""Area alerts: who hears of a new public request or notice, at once or in the daily digest."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from notifications import area_alerts
from notifications.area_alerts import (
    area_alert_fan_out,
    area_alert_record,
    area_alert_setting_update,
    area_alerts_sweep,
    area_digests_send,
    area_follow,
    area_unfollow,
)
from notifications.models import AlertMode, AreaAlert, AreaDigestItem, AreaSubscription, OutboxMessage
from notifications.services import notify
from notifications.tasks import area_alert_fan_out_task
from security.models import AuditEvent, Role
from services.catalogue import service_define

pytestmark = pytest.mark.django_db


def told(user, key_prefix="") -> list[str]:
    """The in-app outbox keys recorded for `user` (one per message), optionally by key prefix."""
    return sorted(
        OutboxMessage.objects.filter(recipient=user, channel="in_app", key__startswith=key_prefix).values_list(
            "key", flat=True
        )
    )


def alerts_of(user) -> list[str]:
    return [key for key in told(user) if ":public:user:" in key or key.startswith("notice:")]


def waiting(user) -> list[str]:
    return list(AreaDigestItem.objects.filter(user=user).values_list("alert__key", flat=True))


def fan_out_all():
    for key in AreaAlert.objects.filter(fanned_out_at__isnull=True).values_list("key", flat=True):
        area_alert_fan_out(key=key)


@pytest.fixture
def at_once(make_user):
    """make a user who follows `area` at once (optionally only some categories)."""

    def make(area, *, codes=(), role=None, role_area=None):
        user = make_user(role, role_area) if role else make_user()
        area_follow(user=user, area_id=area.pk)
        area_alert_setting_update(user=user, mode=AlertMode.AT_ONCE, follows_own_grid=True, service_codes=codes)
        return user

    return make


@pytest.fixture
def cleaning(catalogue):
    return service_define(code="cleaning", group="环境", name_zh="保洁", name_en="Cleaning")


def notice_alert(area, pk=501):
    with transaction.atomic():
        area_alert_record(
            area=area,
            topic="notice",
            title="停水通知",
            body="明天 8 点到 12 点停水。",
            link=f"/notices/{pk}/",
            key=f"notice:{pk}",
        )


# --- new public requests ---------------------------------------------------------------------------
def test_a_public_request_reaches_at_once_followers_now_and_digest_followers_later(
    tree, people, make_user, at_once, file_request
):
    community_follower = at_once(tree.c1)  # following a community covers its grids
    grid_follower = at_once(tree.g1)
    elsewhere = at_once(tree.c2)
    neighbour = make_user(Role.RESIDENT, tree.g1)  # own grid, followed by default, daily digest

    request = file_request()
    fan_out_all()

    key = f"request:{request.pk}:public"
    assert alerts_of(community_follower) == [f"{key}:user:{community_follower.pk}:in_app"]
    assert alerts_of(grid_follower) == [f"{key}:user:{grid_follower.pk}:in_app"]
    assert alerts_of(elsewhere) == []
    assert alerts_of(neighbour) == [] and waiting(neighbour) == [key]
    message = OutboxMessage.objects.get(key=f"{key}:user:{grid_follower.pk}:in_app")
    assert message.link == f"/requests/public/{request.public_id}/"  # the public page, never the private one
    assert message.kind == "area_alert.request"


def test_the_requester_is_not_alerted_of_their_own_request(tree, people, file_request):
    area_follow(user=people.resident, area_id=tree.c1.pk)
    area_alert_setting_update(user=people.resident, mode=AlertMode.AT_ONCE, follows_own_grid=True, service_codes=[])
    request = file_request()
    fan_out_all()
    assert alerts_of(people.resident) == []
    assert not AreaDigestItem.objects.filter(user=people.resident).exists()
    assert AreaAlert.objects.get().exclude_user_ids == [people.resident.pk]
    assert told(people.resident, f"request:{request.pk}:event:")  # still told it was filed, as before


def test_a_private_request_alerts_nobody(tree, make_user, at_once, file_request):
    follower = at_once(tree.c1)
    neighbour = make_user(Role.RESIDENT, tree.g1)
    file_request(is_public=False)
    fan_out_all()
    assert not AreaAlert.objects.exists()
    assert alerts_of(follower) == [] and waiting(neighbour) == []


def test_the_category_filter_lets_through_only_the_chosen_categories(tree, at_once, cleaning, file_request):
    wants_repairs = at_once(tree.c1, codes=["repair"])
    wants_cleaning = at_once(tree.c1, codes=["cleaning"])
    wants_all = at_once(tree.c1)
    request = file_request()
    fan_out_all()
    assert alerts_of(wants_repairs) == [f"request:{request.pk}:public:user:{wants_repairs.pk}:in_app"]
    assert alerts_of(wants_cleaning) == []
    assert len(alerts_of(wants_all)) == 1


def test_the_own_grid_can_be_unfollowed(tree, make_user, file_request):
    neighbour = make_user(Role.RESIDENT, tree.g1)
    area_alert_setting_update(user=neighbour, mode=AlertMode.AT_ONCE, follows_own_grid=False, service_codes=[])
    file_request()
    fan_out_all()
    assert alerts_of(neighbour) == [] and waiting(neighbour) == []


def test_filing_writes_one_row_and_tells_followers_after_commit(
    tree, at_once, file_request, django_capture_on_commit_callbacks
):
    followers = [at_once(tree.c1) for _ in range(3)]
    with mock.patch.object(area_alert_fan_out_task, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            request = file_request()
    # Nobody is told inside the filing transaction: one alert row, and the task queued on commit.
    assert AreaAlert.objects.count() == 1
    assert all(alerts_of(user) == [] for user in followers)
    (args, kwargs) = delay.call_args
    assert json.loads(json.dumps([args, kwargs])) == [list(args), kwargs]  # survives the JSON serializer
    assert area_alert_fan_out_task(*args, **kwargs) == 3
    assert all(alerts_of(user) == [f"request:{request.pk}:public:user:{user.pk}:in_app"] for user in followers)


def test_fanning_out_twice_tells_nobody_twice(tree, make_user, at_once, file_request):
    follower = at_once(tree.c1)
    neighbour = make_user(Role.RESIDENT, tree.g1)
    file_request()
    key = AreaAlert.objects.get().key
    assert area_alert_fan_out(key=key) == 2
    AreaAlert.objects.update(fanned_out_at=None)  # as if the worker died before marking it done
    area_alert_fan_out(key=key)
    assert area_alert_fan_out(key=key) == 0
    assert len(alerts_of(follower)) == 1 and len(waiting(neighbour)) == 1


def test_the_sweep_fans_out_alerts_whose_task_was_lost(tree, at_once, file_request):
    follower = at_once(tree.c1)
    file_request()
    assert area_alerts_sweep() == []  # too young: its task may still be queued
    AreaAlert.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert len(area_alerts_sweep()) == 1
    assert len(alerts_of(follower)) == 1
    assert area_alerts_sweep() == []


def test_inactive_followers_are_not_alerted(tree, at_once, file_request):
    follower = at_once(tree.c1)
    follower.is_active = False
    follower.save(update_fields=["is_active"])
    file_request()
    fan_out_all()
    assert alerts_of(follower) == []


# --- notices ---------------------------------------------------------------------------------------
def test_a_notice_reaches_followers_of_its_area_and_of_areas_under_it(tree, at_once):
    grid_follower = at_once(tree.g1)  # the subdistrict's notice concerns their grid too
    community_follower = at_once(tree.c1)
    elsewhere = at_once(tree.c2)
    notice_alert(tree.s1)
    fan_out_all()
    assert told(grid_follower, "notice:") == [f"notice:501:user:{grid_follower.pk}:in_app"]
    assert told(community_follower, "notice:") == [f"notice:501:user:{community_follower.pk}:in_app"]
    assert told(elsewhere, "notice:") == []


def test_a_notices_own_recipients_are_not_told_twice(tree, at_once, make_user):
    """The notice's fan-out writes f"notice:{pk}:user:{user_pk}" for its recipients; a follower who
    is one of them gets no second message, at once or in the digest."""
    at_once_follower = at_once(tree.c1)
    digest_follower = make_user()
    area_follow(user=digest_follower, area_id=tree.c1.pk)
    for user in (at_once_follower, digest_follower):
        with transaction.atomic():  # what the notice's fan-out records
            notify(
                recipient=user,
                kind="notice",
                title="停水通知",
                body="…",
                link="/notices/501/",
                key=f"notice:501:user:{user.pk}",
            )
    before = OutboxMessage.objects.count()

    notice_alert(tree.c1)
    fan_out_all()

    assert OutboxMessage.objects.count() == before
    assert told(at_once_follower, "notice:") == [f"notice:501:user:{at_once_follower.pk}:in_app"]
    assert waiting(digest_follower) == []


def test_own_grid_residents_get_no_notice_alerts(tree, make_user):
    neighbour = make_user(Role.RESIDENT, tree.g1)  # the notice's fan-out reaches them as a resident
    notice_alert(tree.c1)
    fan_out_all()
    assert waiting(neighbour) == [] and told(neighbour, "notice:") == []


def test_notices_are_not_filtered_by_service_category(tree, at_once, file_request):
    follower = at_once(tree.c1, codes=["repair"])
    notice_alert(tree.c1)
    fan_out_all()
    assert len(told(follower, "notice:")) == 1


def test_a_withdrawn_notice_leaves_the_digest(tree, make_user):
    follower = make_user()
    area_follow(user=follower, area_id=tree.c1.pk)
    notice_alert(tree.c1)
    fan_out_all()
    assert waiting(follower) == ["notice:501"]
    assert area_alerts.area_alert_withdraw(key="notice:501") == 1
    assert waiting(follower) == []


# --- the daily digest ------------------------------------------------------------------------------
def test_the_digest_sends_yesterdays_items_in_one_message_once(tree, people, make_user, file_request):
    follower = make_user()
    area_follow(user=follower, area_id=tree.c1.pk)
    first = file_request()
    second = file_request(description="路灯不亮")
    notice_alert(tree.c1)
    fan_out_all()
    assert len(waiting(follower)) == 3

    today = timezone.localdate()
    assert area_digests_send(today=today) == 0  # today's items wait for tomorrow's digest
    assert len(waiting(follower)) == 3

    tomorrow = today + timedelta(days=1)
    assert area_digests_send(today=tomorrow) == 1
    digest = OutboxMessage.objects.get(recipient=follower, channel="in_app", kind="area_alert.digest")
    assert digest.key == f"digest:{follower.pk}:{today.isoformat()}:in_app"
    for request in (first, second):
        assert f"/requests/public/{request.public_id}/" in digest.body
    assert "/notices/501/" in digest.body
    assert waiting(follower) == []
    sent = OutboxMessage.objects.filter(recipient=follower, kind="area_alert.digest").count()

    assert area_digests_send(today=tomorrow) == 0  # run twice: nothing new
    assert OutboxMessage.objects.filter(recipient=follower, kind="area_alert.digest").count() == sent


def test_the_digest_leaves_out_a_notice_its_fan_out_delivered_meanwhile(tree, make_user):
    follower = make_user()
    area_follow(user=follower, area_id=tree.c1.pk)
    notice_alert(tree.c1)
    fan_out_all()
    with transaction.atomic():  # the notice's own fan-out reached the follower after the alert
        notify(
            recipient=follower,
            kind="notice",
            title="停水通知",
            body="…",
            link="/notices/501/",
            key=f"notice:501:user:{follower.pk}",
        )
    assert area_digests_send(today=timezone.localdate() + timedelta(days=1)) == 0
    assert waiting(follower) == []
    assert told(follower, "digest:") == []


def test_the_digest_task_arguments_and_schedule(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["notifications-area-digests-send"]["task"] == "notifications.tasks.area_digests_send_task"
    assert schedule["notifications-area-alerts-sweep"]["task"] == "notifications.tasks.area_alerts_sweep_task"


# --- settings: bad input changes nothing -------------------------------------------------------------
@pytest.mark.parametrize("area_name", ["d", "s1"])
def test_only_communities_and_grids_can_be_followed(tree, make_user, area_name):
    user = make_user()
    with pytest.raises(ValidationError):
        area_follow(user=user, area_id=getattr(tree, area_name).pk)
    for forged in (999999, "abc", None):
        with pytest.raises(ValidationError):
            area_follow(user=user, area_id=forged)
    assert not AreaSubscription.objects.exists()


def test_unknown_category_or_mode_changes_nothing(tree, make_user, catalogue):
    user = make_user()
    area_alert_setting_update(user=user, mode=AlertMode.AT_ONCE, follows_own_grid=True, service_codes=["repair"])
    with pytest.raises(ValidationError):
        area_alert_setting_update(user=user, mode=AlertMode.DIGEST, follows_own_grid=False, service_codes=["nope"])
    with pytest.raises(ValidationError):
        area_alert_setting_update(user=user, mode="hourly", follows_own_grid=False, service_codes=[])
    setting = area_alerts.area_alert_setting_for_user(user=user)
    assert (setting.mode, setting.follows_own_grid, setting.service_codes) == ("at_once", True, ["repair"])


def test_changes_are_audited(tree, make_user, catalogue):
    user = make_user()
    area_follow(user=user, area_id=tree.c2.pk)
    area_follow(user=user, area_id=tree.c2.pk)  # already followed: nothing new
    area_alert_setting_update(user=user, mode=AlertMode.AT_ONCE, follows_own_grid=True, service_codes=["repair"])
    area_unfollow(user=user, area_id=tree.c2.pk)
    actions = list(AuditEvent.objects.filter(actor=user).order_by("id").values_list("action", "area_id"))
    assert actions == [
        ("area_alert.follow", tree.c2.pk),
        ("area_alert.settings_update", None),
        ("area_alert.unfollow", tree.c2.pk),
    ]
    with pytest.raises(ValidationError):
        area_unfollow(user=user, area_id=tree.c2.pk)


# --- data rights -------------------------------------------------------------------------------------
def test_export_and_deletion_cover_area_alerts(tree, make_user, catalogue, file_request):
    from notifications.data_rights import erase_area_alerts, export_area_alerts

    user = make_user()
    area_follow(user=user, area_id=tree.c1.pk)
    area_alert_setting_update(user=user, mode=AlertMode.DIGEST, follows_own_grid=True, service_codes=["repair"])
    file_request()
    fan_out_all()
    exported = export_area_alerts(user)
    assert exported["service_codes"] == ["repair"]
    assert [row["area"] for row in exported["areas"]] == [tree.c1.name]
    assert len(exported["waiting"]) == 1
    assert erase_area_alerts(user) == {"areas": 1, "settings": 1, "waiting": 1}
    assert export_area_alerts(user)["areas"] == []


def test_notifications_imports_neither_services_nor_participation():
    """services and participation call area alerts, never the other way (DESIGN's arrows)."""
    from tests.test_layering import imported_apps

    assert not {"services", "participation"} & set(imported_apps("notifications"))
