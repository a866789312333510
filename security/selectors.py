from django.db.models import QuerySet

from directory.models import Area, Organisation
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


def users_with_role(*, role: str, area: Area | None = None, organisation: Organisation | None = None) -> list[User]:
    """Active users granted `role` exactly over `area` and/or for `organisation`: one query, through
    the role assignments' area and organisation indexes."""
    assignments = RoleAssignment.objects.filter(role=role)
    if area is not None:
        assignments = assignments.filter(area=area)
    if organisation is not None:
        assignments = assignments.filter(organisation=organisation)
    return list(User.objects.filter(is_active=True, pk__in=assignments.values("user_id")).order_by("pk"))
