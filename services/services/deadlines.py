"""Overdue requests climb the area tree; resolved ones close when their reopen window passes."""

from datetime import timedelta

from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from security.audit import audit_record
from services import request_notifications
from services.models import (
    OPEN_STATUSES,
    RequestEvent,
    ServiceRequest,
)
from services.services.rules import (
    S,
    _event,
    _locked,
)

# --- deadlines ---------------------------------------------------------------------------------
# An overdue request climbs one level per ESCALATION_STEP past its deadline:
# 1 = its community, 2 = its subdistrict, 3 = the district (the department handling it).
ESCALATION_STEP = timedelta(hours=24)
TOP_ESCALATION_LEVEL = 3


def _deadline(request: ServiceRequest):
    return request.accept_due_at if request.status == S.SUBMITTED else request.resolve_due_at


def escalation_target_level(request: ServiceRequest, now) -> int:
    late_by = now - _deadline(request)
    if late_by <= timedelta(0):
        return 0
    return min(TOP_ESCALATION_LEVEL, 1 + int(late_by / ESCALATION_STEP))


@transaction.atomic
def request_escalate(*, request: ServiceRequest, now=None) -> bool:
    """Escalate an overdue request one level if it is due for it. Safe to run twice: the second
    run finds the level already raised and does nothing. Returns whether it escalated."""
    now = now or timezone.now()
    request = _locked(request)
    if request.status not in OPEN_STATUSES:
        return False
    level = request.escalation_level
    if escalation_target_level(request, now) <= level:
        return False
    request.escalation_level, request.is_overdue = level + 1, True
    request.save(update_fields=["escalation_level", "is_overdue", "updated_at"])
    event = _event(
        request=request,
        kind=RequestEvent.Kind.ESCALATION,
        actor=None,
        is_public=False,
        data={"level": level + 1},
        message=_("Past its deadline: escalated to level %(level)d.") % {"level": level + 1},
    )
    audit_record(actor=None, action="request.escalate", target=request, details={"level": level + 1})
    request_notifications.request_escalated(request=request, event=event)
    return True


def overdue_candidates(*, now=None):
    """Open requests past a deadline whose escalation may be due (a cheap, indexed pre-filter)."""
    now = now or timezone.now()
    return ServiceRequest.objects.filter(
        Q(status=S.SUBMITTED, accept_due_at__lt=now)
        | Q(status__in=[S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS], resolve_due_at__lt=now),
        escalation_level__lt=TOP_ESCALATION_LEVEL,
    ).order_by("pk")


def resolved_past_window(*, now=None):
    """Resolved requests whose reopen window has passed: they close themselves."""
    now = now or timezone.now()
    window = ExpressionWrapper(F("service__reopen_window_days") * timedelta(days=1), output_field=DurationField())
    return (
        ServiceRequest.objects.filter(status=S.RESOLVED)
        .annotate(closes_at=F("resolved_at") + window)
        .filter(closes_at__lt=now)
        .order_by("pk")
    )
