"""Area alerts: a person follows areas (their own grid by default, any community or grid of the
district) and service categories, and hears of new public requests and new notices there, at once or
in one message a day, through their chosen channels (`notify`).

Who calls what:
- services, when a public request is filed, and participation, when a notice for everyone is
  released, call `area_alert_record` inside their transaction. It writes one row, however many
  followers there are, and a task started on commit tells them (`area_alert_fan_out`), so filing
  stays as fast as before. The sweep finishes what a lost task left.
- Followers of an area hear of what happens in its subtree: following a community covers its
  grids. A notice addressed to a wider area (a subdistrict, the district) also reaches followers of
  the areas under it. The service-category filter applies to requests only.
- A notice reaches its own area's residents through participation's fan-out, under the key
  f"notice:{pk}:user:{user_pk}"; a follower is told under that same key, so `notify` adds nothing
  for someone the fan-out already told, and the digest leaves such notices out. For the same
  reason a resident's own grid never yields notice alerts: its notices reach them anyway.
- Digest followers' alerts wait as `AreaDigestItem`s; every morning `area_digests_send` sends each
  of them one message with the previous day's items (key f"digest:{user_pk}:{day}") and deletes
  them, so a second run sends nothing.

notifications imports neither services nor participation: services registers its catalogue here
(`service_categories_register`, from ServicesConfig.ready()), and both pass in plain values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.transaction import TransactionManagementError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from directory.models import Area
from notifications.channels import absolute_link
from notifications.models import (
    AlertMode,
    AreaAlert,
    AreaAlertSetting,
    AreaDigestItem,
    AreaSubscription,
    Channel,
    Notification,
    OutboxMessage,
)
from notifications.services import notify
from security.audit import audit_record
from security.models import Role, RoleAssignment, User
from security.scoping import restrict, role_assignments

FOLLOWABLE_KINDS = (Area.Kind.COMMUNITY, Area.Kind.GRID)
FAN_OUT_BATCH_SIZE = 500
DIGEST_BATCH_SIZE = 200
DIGEST_MAX_ITEMS = 50  # listed in one message; the rest are counted
# A pending alert this old has lost its task (or its worker): the sweep fans it out.
SWEEP_AFTER = timedelta(minutes=2)

# --- the service catalogue, as services registers it ----------------------------------------------
_service_categories: Callable[[], list[tuple[str, str]]] | None = None


def service_categories_register(provider: Callable[[], list[tuple[str, str]]]) -> None:
    """services gives the active categories as (code, name) pairs; notifications cannot import it."""
    global _service_categories
    _service_categories = provider


def service_categories() -> list[tuple[str, str]]:
    return list(_service_categories()) if _service_categories is not None else []


# --- reads ---------------------------------------------------------------------------------------
def area_alert_setting_for_user(*, user: User) -> AreaAlertSetting:
    """The user's stored setting, or an unsaved one holding the defaults."""
    return AreaAlertSetting.objects.filter(user=user).first() or AreaAlertSetting(user=user)


def own_grids(*, user: User) -> list[Area]:
    """The grids the user is a verified resident of (their resident role's areas)."""
    return [a.area for a in role_assignments(user) if a.role == Role.RESIDENT]


def area_subscriptions_for_user(*, user: User) -> QuerySet[AreaSubscription]:
    """The areas the user follows besides their own grid; nobody else's, whatever their role."""
    return (
        restrict(AreaSubscription.objects.all(), user, owner="user")
        .select_related("area", "area__parent")
        .order_by("area__path")
    )


def followable_areas() -> QuerySet[Area]:
    """Every community and grid of the district, in tree order: what anyone may follow (the
    alerts carry only public information)."""
    return Area.objects.filter(kind__in=FOLLOWABLE_KINDS).order_by("path")


def _ancestor_paths(path: str) -> list[str]:
    """The path itself and every path above it ("D/", "D/S1/", "D/S1/C1/" for "D/S1/C1/"): the
    materialised path holds them, no query needed."""
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


# --- following -----------------------------------------------------------------------------------
def _followable_area(area_id) -> Area:
    try:
        area = Area.objects.filter(pk=int(area_id), kind__in=FOLLOWABLE_KINDS).first()
    except (TypeError, ValueError):
        area = None
    if area is None:
        raise ValidationError({"area": _("Choose a community or a grid of the district.")})
    return area


@transaction.atomic
def area_follow(*, user: User, area_id) -> AreaSubscription:
    """Follow a community or a grid. Anything else (another kind of area, an id that names no
    area) raises ValidationError and changes nothing; following one twice changes nothing."""
    area = _followable_area(area_id)
    subscription, created = AreaSubscription.objects.get_or_create(user=user, area=area)
    if created:
        audit_record(
            actor=user, action="area_alert.follow", target=subscription, details={"area": area.code}, area=area
        )
    return subscription


@transaction.atomic
def area_unfollow(*, user: User, area_id) -> None:
    """Stop following an area the user follows; an area they do not follow raises ValidationError."""
    try:
        pk = int(area_id)
    except (TypeError, ValueError):
        pk = None
    subscription = AreaSubscription.objects.select_related("area").filter(user=user, area_id=pk).first() if pk else None
    if subscription is None:
        raise ValidationError(_("You do not follow this area."))
    area = subscription.area
    audit_record(actor=user, action="area_alert.unfollow", target=subscription, details={"area": area.code}, area=area)
    subscription.delete()


@transaction.atomic
def area_alert_setting_update(
    *, user: User, mode: str, follows_own_grid: bool, service_codes: Iterable[str]
) -> AreaAlertSetting:
    """Save how often the user is told, whether their own grid is followed and which service
    categories of requests they want (none chosen: all). Invalid input raises ValidationError
    naming the field and changes nothing."""
    if mode not in AlertMode.values:
        raise ValidationError({"mode": _("Choose at once or once a day.")})
    codes = sorted(set(service_codes))
    known = {code for code, _name in service_categories()}
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(
            {"service_codes": _("Unknown service category: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    setting = AreaAlertSetting.objects.select_for_update().filter(user=user).first() or AreaAlertSetting(user=user)
    setting.mode = mode
    setting.follows_own_grid = follows_own_grid
    setting.service_codes = codes
    if setting.pk is None:
        setting.save()
    else:
        setting.save(update_fields=["mode", "follows_own_grid", "service_codes", "updated_at"])
    audit_record(
        actor=user,
        action="area_alert.settings_update",
        target=setting,
        details={"mode": mode, "follows_own_grid": follows_own_grid, "service_codes": codes},
    )
    return setting


# --- recording what happened ---------------------------------------------------------------------
def follower_key(alert_key: str, user_id: int) -> str:
    """The notify() key of one follower's alert: for a notice ("notice:<pk>") it is the key the
    notice's own fan-out uses, so nobody is told of one notice twice."""
    return f"{alert_key}:user:{user_id}"


def area_alert_record(
    *,
    area: Area,
    topic: str,
    title: str,
    body: str,
    link: str,
    key: str,
    service_code: str = "",
    exclude_user_ids: Iterable[int] = (),
) -> None:
    """Record, in the caller's transaction, that something public happened in `area`: a new public
    request (`topic` "request", with its `service_code`) or a notice for everyone ("notice", key
    f"notice:{pk}"). Title, body and link hold public information only (the link is the public
    page). The followers are told after commit by a task; `exclude_user_ids` (the requester) are
    not. Recording the same `key` again changes nothing."""
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("area_alert_record() must be called inside the event's transaction.")
    if topic not in AreaAlert.Topic.values:
        raise ValueError(f"Unknown area alert topic {topic!r}.")
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError(f"area_alert_record() takes a site-relative link, got {link!r}.")
    AreaAlert.objects.bulk_create(
        [
            AreaAlert(
                key=key,
                topic=topic,
                area=area,
                service_code=service_code if topic == AreaAlert.Topic.REQUEST else "",
                title=Truncator(" ".join(title.split())).chars(200),
                body=body,
                link=link,
                exclude_user_ids=sorted({int(pk) for pk in exclude_user_ids}),
            )
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: _queue_fan_out(key), robust=True)


def _queue_fan_out(key: str) -> None:
    from notifications.tasks import area_alert_fan_out_task

    area_alert_fan_out_task.delay(key)


@transaction.atomic
def area_alert_withdraw(*, key: str) -> int:
    """Forget an alert whose subject left the public pages (a notice withdrawn or hidden, a request's
    text hidden): digests not yet sent leave it out. Returns how many alerts were removed."""
    return AreaAlert.objects.filter(key=key).delete()[1].get(AreaAlert._meta.label, 0)


def _followers(alert: AreaAlert) -> QuerySet[User]:
    """Active users who follow the alert's area, with their `alert_mode`; one query per batch."""
    paths = _ancestor_paths(alert.area.path)
    followed = Q(area__path__in=paths)
    if alert.topic == AreaAlert.Topic.NOTICE:
        followed |= Q(area__path__startswith=alert.area.path)
    condition = Q(pk__in=AreaSubscription.objects.filter(followed).values("user_id"))
    if alert.topic == AreaAlert.Topic.REQUEST:
        own_grid = RoleAssignment.objects.filter(role=Role.RESIDENT, area__path__in=paths).values("user_id")
        condition |= Q(pk__in=own_grid) & (
            Q(area_alert_setting__isnull=True) | Q(area_alert_setting__follows_own_grid=True)
        )
    users = User.objects.filter(condition, is_active=True).exclude(pk__in=alert.exclude_user_ids)
    if alert.topic == AreaAlert.Topic.REQUEST and alert.service_code:
        users = users.filter(
            Q(area_alert_setting__isnull=True)
            | Q(area_alert_setting__service_codes=[])
            | Q(area_alert_setting__service_codes__contains=[alert.service_code])
        )
    return users.annotate(alert_mode=Coalesce("area_alert_setting__mode", Value(AlertMode.DIGEST.value))).order_by("pk")


def _already_told(alert_key: str, user_ids: list[int]) -> set[int]:
    """Of `user_ids`, those a notice's own fan-out (or an earlier run) already told under the
    follower key: its outbox row or, for fan-outs that write the inbox directly, its inbox row."""
    keys = {f"{follower_key(alert_key, pk)}:{Channel.IN_APP.value}": pk for pk in user_ids}
    told = set(OutboxMessage.objects.filter(key__in=keys).values_list("key", flat=True))
    told |= set(Notification.objects.filter(outbox_key__in=keys).values_list("outbox_key", flat=True))
    return {keys[key] for key in told}


def area_alert_fan_out(*, key: str, batch_size: int = FAN_OUT_BATCH_SIZE) -> int:
    """Tell the followers of one recorded alert: at-once followers through `notify`, digest
    followers by a waiting digest item. Returns how many followers were reached; 0 when the alert
    is unknown or already done. Batches commit one by one; running it again (a retry, the sweep)
    adds nothing, since `notify` keys and digest items are unique."""
    alert = AreaAlert.objects.select_related("area").filter(key=key, fanned_out_at__isnull=True).first()
    if alert is None:
        return 0
    reached = 0
    last_pk = 0
    while True:
        batch = list(_followers(alert).filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        told = _already_told(alert.key, [user.pk for user in batch]) if alert.topic == AreaAlert.Topic.NOTICE else set()
        with transaction.atomic():
            digest = [user for user in batch if user.alert_mode == AlertMode.DIGEST and user.pk not in told]
            AreaDigestItem.objects.bulk_create(
                [AreaDigestItem(user=user, alert=alert) for user in digest], ignore_conflicts=True
            )
            for user in batch:
                if user.alert_mode == AlertMode.AT_ONCE and user.pk not in told:
                    notify(
                        recipient=user,
                        kind=f"area_alert.{alert.topic}",
                        title=alert.title,
                        body=alert.body,
                        link=alert.link,
                        key=follower_key(alert.key, user.pk),
                    )
        reached += len(batch) - len(told)
    AreaAlert.objects.filter(pk=alert.pk, fanned_out_at__isnull=True).update(fanned_out_at=timezone.now())
    return reached


def area_alerts_sweep(*, limit: int = 100) -> list[str]:
    """Fan out the alerts whose task was lost (broker down at commit, worker killed); returns their keys."""
    keys = list(
        AreaAlert.objects.filter(fanned_out_at__isnull=True, created_at__lte=timezone.now() - SWEEP_AFTER)
        .order_by("created_at", "id")
        .values_list("key", flat=True)[:limit]
    )
    for key in keys:
        area_alert_fan_out(key=key)
    return keys


# --- the daily digest ----------------------------------------------------------------------------
def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _digest_text(alerts: list[AreaAlert]) -> str:
    lines = []
    for alert in alerts[:DIGEST_MAX_ITEMS]:
        link = absolute_link(alert.link) or alert.link
        lines.append(f"• {alert.title}\n  {link}" if link else f"• {alert.title}")
    if len(alerts) > DIGEST_MAX_ITEMS:
        lines.append(_("… and %(count)s more.") % {"count": len(alerts) - DIGEST_MAX_ITEMS})
    return "\n".join(lines)


def _digest_send_one(*, user: User, cutoff: datetime, day: date) -> bool:
    with transaction.atomic():
        items = list(
            AreaDigestItem.objects.select_for_update(of=("self",))
            .filter(user=user, created_at__lt=cutoff)
            .select_related("alert")
            .order_by("alert__created_at", "alert_id")
        )
        if not items:
            return False  # another run took them
        notice_keys = [item.alert.key for item in items if item.alert.topic == AreaAlert.Topic.NOTICE]
        told = {key for key in notice_keys if user.pk in _already_told(key, [user.pk])} if notice_keys else set()
        alerts = [item.alert for item in items if item.alert.key not in told]
        sent = False
        if alerts:
            notify(
                recipient=user,
                kind="area_alert.digest",
                title=_("What happened yesterday in the areas you follow (%(count)s)") % {"count": len(alerts)},
                body=_digest_text(alerts),
                link=reverse("notifications:area_alerts"),
                key=f"digest:{user.pk}:{day.isoformat()}",
            )
            sent = True
        AreaDigestItem.objects.filter(pk__in=[item.pk for item in items]).delete()
        return sent


def area_digests_send(*, today: date | None = None, batch_size: int = DIGEST_BATCH_SIZE) -> int:
    """Send each digest follower one message with the items that arrived before today (local
    time), and delete them; returns how many messages were sent. Items of today wait for tomorrow,
    so running it twice, or again later the same day, sends nothing new."""
    today = today or timezone.localdate()
    cutoff = _local_midnight(today)
    day = today - timedelta(days=1)
    sent = 0
    last_pk = 0
    with translation.override(settings.LANGUAGE_CODE):
        while True:
            user_ids = list(
                AreaDigestItem.objects.filter(created_at__lt=cutoff, user_id__gt=last_pk)
                .order_by("user_id")
                .values_list("user_id", flat=True)
                .distinct()[:batch_size]
            )
            if not user_ids:
                break
            last_pk = user_ids[-1]
            for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
                sent += _digest_send_one(user=user, cutoff=cutoff, day=day)
    return sent
