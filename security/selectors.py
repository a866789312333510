from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from directory.models import Area, Organisation
from security.models import AuditEvent, RoleAssignment, SecurityAlert, User
from security.roles import AUDIT_READER_ROLES
from security.scoping import area_paths, has_role, role_assignments


# --- the auditor's desk --------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditReach:
    """What part of the log a reader sees: all of it (a district-wide auditor or administrator),
    or the events and alerts whose area lies in `paths` (a subdistrict's auditor)."""

    everything: bool
    paths: tuple[str, ...]

    def covers(self, area: Area | None) -> bool:
        if self.everything:
            return True
        return area is not None and any(area.path.startswith(path) for path in self.paths)

    def condition(self, path_field: str) -> Q | None:
        """A filter for rows reached through `path_field`; None when the reader sees everything."""
        if self.everything:
            return None
        condition = Q(pk__in=[])
        for path in self.paths:
            condition |= Q(**{f"{path_field}__startswith": path})
        return condition


def audit_reach(user) -> AuditReach:
    readers = [a for a in role_assignments(user) if a.role in AUDIT_READER_ROLES]
    everything = any(a.area.parent_id is None for a in readers)
    return AuditReach(everything=everything, paths=tuple(area_paths(user, AUDIT_READER_ROLES)))


@dataclass(frozen=True)
class AuditSearch:
    """The auditor's search, already validated (security.forms.AuditSearchForm)."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    object_text: str = ""
    area: Area | None = None
    address: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    date_from: date | None = None
    date_to: date | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events_for_user(*, user: User, search: AuditSearch | None = None) -> QuerySet[AuditEvent]:
    """The audit log as `user` may read it, newest first: everything for a district-wide auditor
    or administrator, the events of their subtree for a subdistrict's auditor, nothing for anyone
    else. Every condition of `search` narrows it, each through an index of the log."""
    if not has_role(user, AUDIT_READER_ROLES):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.select_related("area").order_by("-id")
    scope = audit_reach(user).condition("area__path")
    if scope is not None:
        events = events.filter(scope)
    search = search or AuditSearch()
    if search.actor:
        events = events.filter(actor_username__iexact=search.actor)
    if search.action:
        events = events.filter(action=search.action)
    if search.object_type:
        events = events.filter(object_type=search.object_type)
    if search.object_id:
        events = events.filter(object_id=search.object_id)
    if search.object_text:
        events = events.filter(object_repr__icontains=search.object_text)
    if search.area is not None:
        events = events.filter(area__path__startswith=search.area.path)
    if search.address is not None:
        network = search.address
        if network.num_addresses == 1:
            events = events.filter(ip_address=str(network.network_address))
        else:
            # inet compares by family first, then address: a prefix is one range of the index.
            events = events.filter(
                ip_address__gte=str(network.network_address), ip_address__lte=str(network.broadcast_address)
            )
    if search.date_from is not None:
        events = events.filter(occurred_at__gte=_day_start(search.date_from))
    if search.date_to is not None:
        events = events.filter(occurred_at__lt=_day_start(search.date_to + timedelta(days=1)))
    return events


def audit_event_get_for_user(*, user: User, pk: int) -> AuditEvent:
    """One event the user may read, or 404 whether it is missing or out of their reach."""
    event = audit_events_for_user(user=user).filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


def audit_object_types() -> list[str]:
    """The kinds of object the log can be about: every model's label."""
    return sorted(model._meta.label for model in apps.get_models())


def alerts_for_user(*, user: User) -> QuerySet[SecurityAlert]:
    """The alerts `user` may read: open ones first, newest first. An alert without an area is for
    district-wide readers only."""
    if not has_role(user, AUDIT_READER_ROLES):
        return SecurityAlert.objects.none()
    alerts = SecurityAlert.objects.select_related("area", "acknowledged_by").order_by(
        "-acknowledged_at", "-raised_at", "-id"
    )
    scope = audit_reach(user).condition("area__path")
    return alerts if scope is None else alerts.filter(scope)


def alert_get_for_user(*, user: User, pk: int) -> SecurityAlert:
    alert = alerts_for_user(user=user).filter(pk=pk).first()
    if alert is None:
        raise Http404
    return alert


def alert_visible_to(*, user: User, alert: SecurityAlert) -> bool:
    return has_role(user, AUDIT_READER_ROLES) and audit_reach(user).covers(alert.area)


def alert_recipients(*, alert: SecurityAlert) -> list[User]:
    """Every active auditor and administrator whose scope covers the alert, in id order."""
    assignments = RoleAssignment.objects.filter(role__in=AUDIT_READER_ROLES).select_related("area")
    if alert.area is None:
        assignments = assignments.filter(area__parent__isnull=True)
    ids = {a.user_id for a in assignments if alert.area is None or alert.area.path.startswith(a.area.path)}
    return list(User.objects.filter(is_active=True, pk__in=ids).order_by("pk"))


def users_with_role(*, role: str, area: Area | None = None, organisation: Organisation | None = None) -> list[User]:
    """Active users granted `role` exactly over `area` and/or for `organisation`: one query, through
    the role assignments' area and organisation indexes."""
    assignments = RoleAssignment.objects.filter(role=role)
    if area is not None:
        assignments = assignments.filter(area=area)
    if organisation is not None:
        assignments = assignments.filter(organisation=organisation)
    return list(User.objects.filter(is_active=True, pk__in=assignments.values("user_id")).order_by("pk"))


def audit_events_about_subject(*, subject, actions, exclude_actor: User | None = None, limit: int = 200) -> list:
    """The audit events of `actions` whose object is `subject`, newest first, for showing a data
    subject who used their data (PIPL art. 44). Not scoped by role: the caller has established
    that `subject` is the acting user's own record. Uses the log's object index."""
    events = AuditEvent.objects.filter(
        object_type=subject._meta.label, object_id=str(subject.pk), action__in=list(actions)
    )
    if exclude_actor is not None:
        events = events.exclude(actor_id=exclude_actor.pk)
    return list(events.order_by("-id")[:limit])


# --- figures by community for the programme's assessment (issue 19) ---
# Read by a district-scope batch run (programme.indicators), not for a user: the caller names the
# communities. One grouped query, whatever their number; alerts are matched to communities by path.
def security_alert_figures_by_community(
    *, communities: list[Area], start: date, end: date
) -> dict[int, dict[str, int]]:
    """{community id: figures} of the security alerts raised from `start` to `end` (local days,
    both included) about the community: alerts whose area is the community or a grid in it, of
    every kind — bursts of failed sign-ins, mass exports or reveals, reveals out of hours, failed
    checks of the audit chain. `alerts` counts them, `chain_checks_failed` the last kind among them.
    An alert about a wider area (a subdistrict, or none: the whole district) names no community and
    counts for none. Every community is in the result."""
    figures = {community.pk: {"alerts": 0, "chain_checks_failed": 0} for community in communities}
    if not figures or end < start:
        return figures
    since, until = _day_start(start), _day_start(end + timedelta(days=1))
    rows = (
        SecurityAlert.objects.filter(raised_at__gte=since, raised_at__lt=until, area__isnull=False)
        .order_by()
        .values("area__path")
        .annotate(alerts=Count("pk"), chain=Count("pk", filter=Q(kind="chain_check_failed")))
    )
    by_path = {community.path: community.pk for community in communities}
    for row in rows:
        path = row["area__path"]
        # The community's own path, or a grid's: the community is the area one level up from a grid.
        community_id = by_path.get(path) or by_path.get(path[: path.rstrip("/").rfind("/") + 1])
        if community_id is not None:
            figures[community_id]["alerts"] += row["alerts"]
            figures[community_id]["chain_checks_failed"] += row["chain"]
    return figures
