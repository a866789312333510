from django.db.models import QuerySet

from security.models import AuditEvent, User
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
