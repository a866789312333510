"""What of a public request the public pages and Open311 may show, as moderators decide it.

Participation's moderation calls these to apply a decision (services never imports participation):
hide a request's description or one public message of its timeline, and choose which photos are fit
for the public page. Only staff over the request's grid decide (grid worker, community staff,
subdistrict officer): the people who know the place. The requester and the staff handling the
request still read everything on the request's own page.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.area_alerts import area_alert_withdraw
from security.audit import audit_record
from security.models import User
from security.roles import REQUEST_HANDLER_ROLES
from security.scoping import covers_area
from services.models import RequestEvent, ServiceRequest
from services.request_notifications import request_alert_key
from services.services.rules import _locked

MAX_REASON = 1000


def can_moderate(*, actor: User, request: ServiceRequest) -> bool:
    """Staff over the request's grid; an organisation handling it does not decide what the public sees."""
    return covers_area(actor, request.grid, REQUEST_HANDLER_ROLES)


def _require_moderator(actor: User, request: ServiceRequest) -> None:
    if not can_moderate(actor=actor, request=request):
        raise PermissionDenied(_("Only the staff over this request's grid may decide what the public sees of it."))


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason; the author will read it.")]})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": [_("At most %(limit)d characters.") % {"limit": MAX_REASON}]})
    return reason


def _require_public(request: ServiceRequest) -> None:
    if not request.is_public:
        raise ValidationError(_("This request is not public."))


@transaction.atomic
def request_public_text_hide(*, request: ServiceRequest, actor: User, reason: str) -> ServiceRequest:
    """Hide the description from the public pages and Open311. Hiding it again keeps the first time
    and updates the reason."""
    request = _locked(request)
    _require_moderator(actor, request)
    _require_public(request)
    reason = _clean_reason(reason)
    request.public_text_hidden_at = request.public_text_hidden_at or timezone.now()
    request.public_text_hidden_reason = reason
    request.save(update_fields=["public_text_hidden_at", "public_text_hidden_reason", "updated_at"])
    # Digests not yet sent leave it out (an alert sent at once cannot be called back).
    area_alert_withdraw(key=request_alert_key(request))
    audit_record(actor=actor, action="request.public_text_hide", target=request, details={"reason": reason})
    return request


@transaction.atomic
def request_event_hide(*, event: RequestEvent, actor: User, reason: str) -> RequestEvent:
    """Hide one public message of a request's timeline from the public page and Open311."""
    request = _locked(event.request)
    _require_moderator(actor, request)
    _require_public(request)
    event = RequestEvent.objects.select_for_update().get(pk=event.pk, request=request)
    if not event.is_public:
        raise ValidationError(_("This message is not public."))
    reason = _clean_reason(reason)
    event.hidden_at = event.hidden_at or timezone.now()
    event.hidden_reason = reason
    event.save(update_fields=["hidden_at", "hidden_reason"])
    audit_record(
        actor=actor,
        action="request.event_hide",
        target=request,
        details={"event": event.pk, "reason": reason},
    )
    return event


@transaction.atomic
def request_photos_public_set(
    *, request: ServiceRequest, actor: User, fit_photo_ids=(), reason: str = ""
) -> ServiceRequest:
    """Choose which of a public request's photos the public page shows: those in `fit_photo_ids`
    (their `public_id`s); every other photo goes off it. An empty choice hides them all (a
    moderator's "hide photos" then gives a reason). A photo of another request is a forged choice."""
    request = _locked(request)
    _require_moderator(actor, request)
    _require_public(request)
    photos = {photo.public_id: photo for photo in request.photos.select_for_update().order_by("id")}
    wanted = set()
    for value in fit_photo_ids:
        match = next((key for key in photos if str(key) == str(value)), None)
        if match is None:
            raise ValidationError({"photos": [_("Choose from this request's photos.")]})
        wanted.add(match)
    now = timezone.now()
    shown, hidden = [], []
    for key, photo in photos.items():
        fit_at = (photo.public_fit_at or now) if key in wanted else None
        if fit_at != photo.public_fit_at:
            photo.public_fit_at = fit_at
            photo.save(update_fields=["public_fit_at"])
        (shown if fit_at else hidden).append(str(key))
    request.save(update_fields=["updated_at"])
    details = {"shown": shown, "hidden": hidden}
    if reason.strip():
        details["reason"] = reason.strip()[:MAX_REASON]
    audit_record(actor=actor, action="request.photos_public", target=request, details=details)
    return request
