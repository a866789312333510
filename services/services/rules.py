"""Who may take which step, and the helpers every step shares: locking, moving, recording."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from security.audit import audit_record
from security.models import User
from security.roles import REQUEST_HANDLER_ROLES
from security.scoping import covers_area, organisation_ids
from services import request_notifications
from services.models import (
    OPEN_STATUSES,
    RequestEvent,
    RequestPhoto,
    RequestStatus,
    ServiceRequest,
)
from services.photos import CleanPhoto
from services.signals import request_event_recorded

S = RequestStatus
MAX_DESCRIPTION = 4000

# Each step: the states it may start from, and who takes it ("handler": staff over the grid or
# the handling organisation; "requester": the resident; "either": both).
STEPS = {
    "accept": ({S.SUBMITTED}, "handler"),
    "reject": ({S.SUBMITTED, S.ACCEPTED}, "handler"),
    "assign": ({S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS}, "handler"),
    # Starting an accepted request takes it on: the organisation it was routed to (a partner, a
    # department) need not wait for someone to assign it first.
    "start": ({S.ACCEPTED, S.ASSIGNED}, "handler"),
    "resolve": ({S.ASSIGNED, S.IN_PROGRESS}, "handler"),
    "close": ({S.RESOLVED}, "either"),
    "reopen": ({S.RESOLVED}, "requester"),
    "rate": ({S.RESOLVED, S.CLOSED}, "requester"),
    "merge": (OPEN_STATUSES, "handler"),
    "photos": (OPEN_STATUSES | {S.RESOLVED}, "either"),
}


def _event(**fields) -> RequestEvent:
    """Record a timeline event and tell the apps listening (see `services.signals`)."""
    event = RequestEvent.objects.create(**fields)
    request_event_recorded.send(sender=RequestEvent, request=event.request, event=event)
    return event


# --- who may act -----------------------------------------------------------------------------
def can_handle(*, actor: User, request: ServiceRequest) -> bool:
    """Front-line staff over the request's grid, or a member of the organisation handling it."""
    if covers_area(actor, request.grid, REQUEST_HANDLER_ROLES):
        return True
    return request.handling_organisation_id is not None and request.handling_organisation_id in organisation_ids(actor)


def is_requester(*, actor: User, request: ServiceRequest) -> bool:
    return request.requester_id is not None and request.requester_id == actor.pk


def _require_handler(actor: User, request: ServiceRequest) -> None:
    if not can_handle(actor=actor, request=request):
        raise PermissionDenied(_("Only the staff handling this request may do that."))


def _require_requester(actor: User, request: ServiceRequest) -> None:
    if not is_requester(actor=actor, request=request):
        raise PermissionDenied(_("Only the resident who made this request may do that."))


def steps_for(*, actor: User, request: ServiceRequest) -> set[str]:
    """The steps `actor` may take on `request` now: what the detail page offers."""
    handler = can_handle(actor=actor, request=request)
    requester = is_requester(actor=actor, request=request)
    allowed = set()
    for step, (from_states, who) in STEPS.items():
        if request.status not in from_states:
            continue
        if (
            (who == "handler" and handler)
            or (who == "requester" and requester)
            or (who == "either" and (handler or requester))
        ):
            allowed.add(step)
    if "rate" in allowed and request.rating is not None:
        allowed.discard("rate")
    return allowed


def _locked(request: ServiceRequest) -> ServiceRequest:
    """Re-read the request under a row lock, so two people acting at once are serialised."""
    return ServiceRequest.objects.select_for_update().select_related("service", "grid").get(pk=request.pk)


def _move(
    request: ServiceRequest,
    *,
    actor: User | None,
    allowed_from: set[str],
    to: str,
    message: str = "",
    kind: str = RequestEvent.Kind.STATUS,
    fields: dict | None = None,
    data: dict | None = None,
) -> RequestEvent:
    if request.status not in allowed_from:
        raise ValidationError(
            _("This request is %(status)s; that step is not possible now.")
            % {"status": RequestStatus(request.status).label}
        )
    previous = request.status
    request.status = to
    changed = ["status", "updated_at"]
    for name, value in (fields or {}).items():
        setattr(request, name, value)
        changed.append(name)
    request.save(update_fields=changed)
    event = _event(
        request=request, kind=kind, actor=actor, from_status=previous, to_status=to, message=message, data=data or {}
    )
    request_notifications.request_changed(request=request, event=event)
    # Last: the audit chain's lock is held from here to commit (see security.audit.audit_record).
    audit_record(actor=actor, action=f"request.{to}", target=request, details={"from": previous})
    return event


def _store_photos(*, request: ServiceRequest, event: RequestEvent, actor: User, photos: list[CleanPhoto]) -> None:
    for cleaned in photos:
        photo = RequestPhoto(
            request=request,
            event=event,
            content_type=cleaned.content_type,
            width=cleaned.width,
            height=cleaned.height,
            size=cleaned.content.size,
            uploaded_by=actor,
        )
        photo.image.save("photo", cleaned.content, save=False)
        photo.save()
