from django.db.models import QuerySet

from directory.models import Area, Organisation
from portal.local_cache import LocalCache
from security.models import AuditEvent, RoleAssignment, User
from security.roles import AUDIT_READER_ROLES
from security.scoping import has_role


def audit_events_for_user(*, user: User, action: str = "") -> QuerySet[AuditEvent]:
    """The audit log, for auditors and administrators only; newest first."""
    if not has_role(user, AUDIT_READER_ROLES):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.order_by("-id")
    if action:
        events = events.filter(action=action)
    return events


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


# Who holds a role where: asked on every filing and step (who to notify). Kept in each process's
# memory; a change to a role or a user forgets it (see security.apps and portal.local_cache).
role_holders = LocalCache("role-holders")


def users_with_role(*, role: str, area: Area | None = None, organisation: Organisation | None = None) -> list[User]:
    """Active users granted `role` exactly over `area` and/or for `organisation`."""

    def lookup() -> list[User]:
        assignments = RoleAssignment.objects.filter(role=role)
        if area is not None:
            assignments = assignments.filter(area=area)
        if organisation is not None:
            assignments = assignments.filter(organisation=organisation)
        return list(User.objects.filter(is_active=True, pk__in=assignments.values("user_id")).order_by("pk"))

    key = f"{role}:{area.pk if area is not None else ''}:{organisation.pk if organisation is not None else ''}"
    return role_holders.get(key, lookup)
