"""Security alerts: what auditors are told about, and how each alert is raised once.

Anyone may call `alert_raise` (the detectors below, the audit chain's verification). Security
does not know how people are told: the notifications app claims undelivered alerts with
`alerts_claim_undelivered` on its beat schedule and writes one message per auditor in scope
(security must not import notifications; see docs/security.md, "The auditor's desk").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, TextChoices
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import Area
from security.audit import audit_record
from security.audit_actions import ACTION_LABELS
from security.models import AuditEvent, SecurityAlert, User
from security.selectors import alert_visible_to

SUMMARY_MAX_LENGTH = 300
DEDUPE_KEY_MAX_LENGTH = 200


class AlertKind(TextChoices):
    SIGN_IN_BURST_ADDRESS = "sign_in_burst_address", gettext_lazy("Many failed sign-ins from one address")
    SIGN_IN_BURST_ACCOUNT = "sign_in_burst_account", gettext_lazy("Many failed sign-ins to one account")
    MASS_EXPORT = "mass_export", gettext_lazy("Many exports by one user")
    MASS_REVEAL = "mass_reveal", gettext_lazy("Many reveals of personal data by one user")
    REVEAL_OUT_OF_HOURS = "reveal_out_of_hours", gettext_lazy("Personal data revealed outside working hours")
    CHAIN_CHECK_FAILED = "chain_check_failed", gettext_lazy("An audit log check failed")


def alert_search_query(alert: SecurityAlert) -> str:
    """The desk's query string that lists the events behind `alert`; empty when it names none."""
    search = alert.details.get("search") if isinstance(alert.details, dict) else None
    if not isinstance(search, dict):
        return ""
    return urlencode({key: value for key, value in search.items() if isinstance(value, str) and value})


def alert_kind_label(kind: str) -> str:
    """The readable name of an alert kind; a kind raised by code that names no label shows as is."""
    try:
        return AlertKind(kind).label
    except ValueError:
        return kind


@transaction.atomic
def alert_raise(
    *,
    kind: str,
    summary: str,
    details: dict | None = None,
    dedupe_key: str = "",
    area: Area | None = None,
) -> SecurityAlert | None:
    """Record an alert for the auditors whose scope covers `area` (none: district-wide ones).

    With a `dedupe_key` (e.g. f"chain_check_failed:audit:{event_id}"), the alert is raised once:
    a later or concurrent call with the same key returns None and records nothing. Prefer an
    `AlertKind` value for `kind`; `summary` is one line in the source language.
    """
    if not kind or len(kind) > 64:
        raise ValueError(f"alert_raise() needs a kind of 1 to 64 characters, got {kind!r}.")
    if len(dedupe_key) > DEDUPE_KEY_MAX_LENGTH:
        raise ValueError(f"alert_raise() takes a dedupe_key of at most {DEDUPE_KEY_MAX_LENGTH} characters.")
    if dedupe_key and SecurityAlert.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    alert = SecurityAlert(
        kind=kind,
        summary=" ".join(summary.split())[:SUMMARY_MAX_LENGTH],
        details=details or {},
        dedupe_key=dedupe_key,
        area=area,
    )
    try:
        # A concurrent raise with the same key waits on the unique index, then lands here.
        with transaction.atomic():
            alert.save(force_insert=True)
    except IntegrityError:
        if dedupe_key and SecurityAlert.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    audit_record(
        actor=None,
        action="security.alert",
        target=alert,
        details={"kind": kind, "summary": alert.summary, "dedupe_key": dedupe_key},
    )
    return alert


def alerts_claim_undelivered(*, limit: int = 100) -> list[SecurityAlert]:
    """Mark up to `limit` undelivered alerts delivered and return them, oldest first.

    Call it inside the transaction that writes the messages, so the claim commits or rolls back
    with them; SKIP LOCKED lets a second run take other alerts instead of waiting.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            "alerts_claim_undelivered() must run inside the transaction that delivers the alerts."
        )
    alerts = list(
        SecurityAlert.objects.filter(delivered_at__isnull=True)
        .select_related("area")
        .order_by("id")
        .select_for_update(skip_locked=True, of=("self",))[:limit]
    )
    if alerts:
        now = timezone.now()
        SecurityAlert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(delivered_at=now)
        for alert in alerts:
            alert.delivered_at = now
    return alerts


@transaction.atomic
def alert_acknowledge(*, alert: SecurityAlert, actor: User) -> SecurityAlert:
    """An auditor or administrator whose scope covers the alert says it has been looked at.
    Acknowledging it again changes nothing and records nothing."""
    if not alert_visible_to(user=actor, alert=alert):
        raise PermissionDenied
    alert = SecurityAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_by, alert.acknowledged_at = actor, timezone.now()
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    audit_record(actor=actor, action="security.alert_acknowledge", target=alert, details={"kind": alert.kind})
    return alert


# --- detection -----------------------------------------------------------------------------------
# Detection runs on the beat schedule (security.tasks.alerts_detect_task, every minute) over the
# recent audit log, not at the moment of each event: the events are recorded by many apps, and
# one scan in one place sees them all without touching any of them. Every alert it raises carries
# a dedupe_key derived from the events themselves, so runs that overlap, or a run repeated after a
# crash, raise nothing twice.

SIGN_IN_FAILURE_ACTIONS = ("auth.sign_in_failed", "auth.sign_in_throttled")
REVEAL_ACTIONS = ("resident.reveal",)
# Reveals outside working hours are looked for this far back, so a stalled beat loses none.
OUT_OF_HOURS_LOOKBACK = timedelta(hours=24)


def export_actions() -> list[str]:
    """Every action that exports data: the registry's codes that say so (new ones need a label,
    which the registry's test enforces, so they are counted as soon as they exist)."""
    return sorted(code for code in ACTION_LABELS if "export" in code)


def _clock(text: str) -> time:
    return time.max if text == "24:00" else time.fromisoformat(text)


@dataclass(frozen=True)
class AlertThresholds:
    window: timedelta
    sign_in_failures_per_address: int
    sign_in_failures_per_account: int
    bulk_window: timedelta
    exports_per_user: int
    reveals_per_user: int
    working_hours: tuple[time, time]
    working_days: frozenset[int]  # ISO weekdays, Monday is 1

    @classmethod
    def from_settings(cls) -> AlertThresholds:
        return cls(
            window=timedelta(minutes=settings.SECURITY_ALERT_SIGN_IN_WINDOW_MINUTES),
            sign_in_failures_per_address=settings.SECURITY_ALERT_SIGN_IN_FAILURES_PER_ADDRESS,
            sign_in_failures_per_account=settings.SECURITY_ALERT_SIGN_IN_FAILURES_PER_ACCOUNT,
            bulk_window=timedelta(minutes=settings.SECURITY_ALERT_BULK_WINDOW_MINUTES),
            exports_per_user=settings.SECURITY_ALERT_EXPORTS_PER_USER,
            reveals_per_user=settings.SECURITY_ALERT_REVEALS_PER_USER,
            working_hours=tuple(_clock(text) for text in settings.SECURITY_ALERT_WORKING_HOURS),
            working_days=frozenset(settings.SECURITY_ALERT_WORKING_DAYS),
        )

    def is_working_time(self, moment: datetime) -> bool:
        local = timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE))
        start, end = self.working_hours
        return local.isoweekday() in self.working_days and start <= local.time() < end


def _common_area(area_ids: set[int | None]) -> Area | None:
    """The smallest area containing all of `area_ids`; none when any event has no area (then only
    district-wide auditors should be told) or they share nothing below the district."""
    if not area_ids or None in area_ids:
        return None
    paths = list(Area.objects.filter(pk__in=area_ids).values_list("path", flat=True))
    segments = [path.rstrip("/").split("/") for path in paths]
    common: list[str] = []
    for level in zip(*segments, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    if not common:
        return None
    return Area.objects.filter(path="/".join(common) + "/").first()


def _raise_burst(
    *,
    kind: str,
    subject: str,
    summary: str,
    group: dict,
    window: timedelta,
    threshold: int,
    now: datetime,
    search: dict,
    area=None,
) -> SecurityAlert | None:
    # One alert per burst: while the same subject stays over the threshold, the alert raised within
    # the last window stands for it; the key (the burst's first event) stops concurrent runs.
    if SecurityAlert.objects.filter(kind=kind, details__subject=subject, raised_at__gte=now - window).exists():
        return None
    return alert_raise(
        kind=kind,
        summary=summary,
        area=area,
        dedupe_key=f"{kind}:{subject}:{group['first_id']}"[:DEDUPE_KEY_MAX_LENGTH],
        details={
            "subject": subject,
            "count": group["count"],
            "threshold": threshold,
            "window_minutes": int(window.total_seconds() // 60),
            "first_event_id": group["first_id"],
            "last_event_id": group["last_id"],
            # The desk's search that lists the events behind the alert.
            "search": {**search, "date_from": timezone.localdate(now - window).isoformat()},
        },
    )


def _sign_in_bursts(*, limits: AlertThresholds, now: datetime) -> list[SecurityAlert | None]:
    failures = AuditEvent.objects.filter(
        action__in=SIGN_IN_FAILURE_ACTIONS, occurred_at__gt=now - limits.window, occurred_at__lte=now
    )
    counted = {"count": Count("id"), "first_id": Min("id"), "last_id": Max("id")}
    raised = []
    by_address = (
        failures.exclude(ip_address=None)
        .values("ip_address")
        .annotate(**counted)
        .filter(count__gte=limits.sign_in_failures_per_address)
        .order_by("ip_address")
    )
    for group in by_address:
        raised.append(
            _raise_burst(
                kind=AlertKind.SIGN_IN_BURST_ADDRESS,
                subject=group["ip_address"],
                summary=_("%(count)s failed sign-ins from %(address)s within %(minutes)s minutes")
                % {"count": group["count"], "address": group["ip_address"], "minutes": limits.window.seconds // 60},
                group=group,
                window=limits.window,
                threshold=limits.sign_in_failures_per_address,
                now=now,
                search={"address": group["ip_address"]},
            )
        )
    by_account = (
        failures.annotate(login=Lower(KeyTextTransform("login", "details")))
        .exclude(login=None)
        .exclude(login="")
        .values("login")
        .annotate(**counted)
        .filter(count__gte=limits.sign_in_failures_per_account)
        .order_by("login")
    )
    for group in by_account:
        raised.append(
            _raise_burst(
                kind=AlertKind.SIGN_IN_BURST_ACCOUNT,
                subject=group["login"],
                summary=_("%(count)s failed sign-ins to the account “%(login)s” within %(minutes)s minutes")
                % {"count": group["count"], "login": group["login"], "minutes": limits.window.seconds // 60},
                group=group,
                window=limits.window,
                threshold=limits.sign_in_failures_per_account,
                now=now,
                search={"action": "auth.sign_in_failed"},
            )
        )
    return raised


def _bulk_by_user(*, limits: AlertThresholds, now: datetime) -> list[SecurityAlert | None]:
    raised = []
    rules = [
        (AlertKind.MASS_EXPORT, export_actions(), limits.exports_per_user, _("%(user)s exported %(count)s times")),
        (
            AlertKind.MASS_REVEAL,
            REVEAL_ACTIONS,
            limits.reveals_per_user,
            _("%(user)s revealed personal data %(count)s times"),
        ),
    ]
    for kind, actions, threshold, text in rules:
        events = AuditEvent.objects.filter(
            action__in=actions, actor__isnull=False, occurred_at__gt=now - limits.bulk_window, occurred_at__lte=now
        )
        groups = (
            events.values("actor_id", "actor_username")
            .annotate(count=Count("id"), first_id=Min("id"), last_id=Max("id"))
            .filter(count__gte=threshold)
            .order_by("actor_id")
        )
        for group in groups:
            area_ids = set(
                events.filter(actor_id=group["actor_id"]).order_by().values_list("area_id", flat=True).distinct()[:50]
            )
            minutes = int(limits.bulk_window.total_seconds() // 60)
            raised.append(
                _raise_burst(
                    kind=kind,
                    subject=f"user:{group['actor_id']}",
                    summary=(text % {"user": group["actor_username"], "count": group["count"]})
                    + " "
                    + _("within %(minutes)s minutes") % {"minutes": minutes},
                    group=group,
                    window=limits.bulk_window,
                    threshold=threshold,
                    now=now,
                    search={"actor": group["actor_username"], **({"action": actions[0]} if len(actions) == 1 else {})},
                    area=_common_area(area_ids),
                )
            )
    return raised


def _reveals_out_of_hours(*, limits: AlertThresholds, now: datetime) -> list[SecurityAlert | None]:
    reveals = AuditEvent.objects.filter(
        action__in=REVEAL_ACTIONS, occurred_at__gt=now - OUT_OF_HOURS_LOOKBACK, occurred_at__lte=now
    ).order_by("id")
    # Grouped per person and local day: a night's reveals are one alert, listed in its details.
    found: dict[tuple[int | None, str], list] = {}
    for event in reveals.only("id", "actor_id", "actor_username", "occurred_at", "object_repr", "area_id"):
        if limits.is_working_time(event.occurred_at):
            continue
        day = timezone.localtime(event.occurred_at, ZoneInfo(settings.TIME_ZONE)).date().isoformat()
        found.setdefault((event.actor_id, day), []).append(event)
    raised = []
    for (actor_id, day), events in found.items():
        first = events[0]
        local = timezone.localtime(first.occurred_at, ZoneInfo(settings.TIME_ZONE))
        raised.append(
            alert_raise(
                kind=AlertKind.REVEAL_OUT_OF_HOURS,
                summary=_("%(user)s revealed personal data at %(time)s, outside working hours")
                % {"user": first.actor_username or "—", "time": local.strftime("%Y-%m-%d %H:%M")},
                area=_common_area({event.area_id for event in events}),
                dedupe_key=f"{AlertKind.REVEAL_OUT_OF_HOURS}:user:{actor_id}:{day}",
                details={
                    "subject": f"user:{actor_id}",
                    "day": day,
                    "event_ids": [event.pk for event in events[:20]],
                    "search": {"actor": first.actor_username, "action": first.action, "date_from": day, "date_to": day},
                    "objects": [event.object_repr for event in events[:20]],
                },
            )
        )
    return raised


def alerts_detect(*, now: datetime | None = None) -> list[SecurityAlert]:
    """Look at the recent audit log and raise what is new: bursts of failed sign-ins by address
    and by account, many exports or reveals by one user, reveals outside working hours."""
    now = now or timezone.now()
    limits = AlertThresholds.from_settings()
    # Summaries are stored in the portal's language: every auditor reads them as they were raised.
    with translation.override(settings.LANGUAGE_CODE):
        raised = [
            *_sign_in_bursts(limits=limits, now=now),
            *_bulk_by_user(limits=limits, now=now),
            *_reveals_out_of_hours(limits=limits, now=now),
        ]
    return [alert for alert in raised if alert is not None]
