"""Each step of a request's life after filing, and the duplicates it may have."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Organisation
from security.audit import audit_record
from security.models import User
from security.roles import REQUEST_HANDLER_ROLES
from security.scoping import covers_area, organisation_ids
from services import request_notifications
from services.models import (
    OPEN_STATUSES,
    RequestEvent,
    RequestSupport,
    ServiceRequest,
)
from services.photos import photos_clean
from services.services.rules import (
    MAX_DESCRIPTION,
    STEPS,
    S,
    _event,
    _locked,
    _move,
    _require_handler,
    _require_requester,
    _store_photos,
    can_handle,
    is_requester,
)


# --- transitions -------------------------------------------------------------------------------
@transaction.atomic
def request_accept(*, request: ServiceRequest, actor: User, note: str = "") -> ServiceRequest:
    request = _locked(request)
    _require_handler(actor, request)
    _move(
        request,
        actor=actor,
        allowed_from=STEPS["accept"][0],
        to=S.ACCEPTED,
        message=note,
        fields={"accepted_at": timezone.now(), "is_overdue": False},
    )
    return request


@transaction.atomic
def request_reject(*, request: ServiceRequest, actor: User, reason: str) -> ServiceRequest:
    request = _locked(request)
    _require_handler(actor, request)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the request is rejected; the resident will read it.")]})
    _move(
        request,
        actor=actor,
        allowed_from=STEPS["reject"][0],
        to=S.REJECTED,
        message=reason.strip(),
        fields={"closed_at": timezone.now()},
    )
    return request


@transaction.atomic
def request_assign(
    *,
    request: ServiceRequest,
    actor: User,
    organisation: Organisation | None = None,
    assignee: User | None = None,
    note: str = "",
) -> ServiceRequest:
    """Hand the work to an organisation and/or a person (a grid worker, a partner's operator)."""
    request = _locked(request)
    _require_handler(actor, request)
    if organisation is None and assignee is None:
        raise ValidationError({"assignee": [_("Choose an organisation or a person.")]})
    if assignee is not None and not (
        covers_area(assignee, request.grid, REQUEST_HANDLER_ROLES)
        or (organisation is not None and organisation.pk in organisation_ids(assignee))
    ):
        raise ValidationError({"assignee": [_("That person does not work in this area or organisation.")]})
    fields = {"assignee": assignee}
    if organisation is not None:
        fields["handling_organisation"] = organisation
    _move(
        request,
        actor=actor,
        allowed_from=STEPS["assign"][0],
        to=S.ASSIGNED,
        message=note,
        kind=RequestEvent.Kind.ASSIGNMENT,
        fields=fields,
    )
    return request


@transaction.atomic
def request_start(*, request: ServiceRequest, actor: User, note: str = "") -> ServiceRequest:
    request = _locked(request)
    _require_handler(actor, request)
    fields = {"assignee": actor} if request.assignee_id is None else {}
    _move(request, actor=actor, allowed_from=STEPS["start"][0], to=S.IN_PROGRESS, message=note, fields=fields)
    return request


@transaction.atomic
def request_resolve(*, request: ServiceRequest, actor: User, note: str, photos=()) -> ServiceRequest:
    request = _locked(request)
    _require_handler(actor, request)
    if not note.strip():
        raise ValidationError({"note": [_("Say what was done; the resident will read it.")]})
    cleaned_photos = photos_clean(photos)
    event = _move(
        request,
        actor=actor,
        allowed_from=STEPS["resolve"][0],
        to=S.RESOLVED,
        message=note.strip(),
        fields={"resolved_at": timezone.now(), "is_overdue": False},
    )
    _store_photos(request=request, event=event, actor=actor, photos=cleaned_photos)
    return request


# --- answered by a community project (participation.projects) ---------------------------------
def _checked_link(link: str) -> str:
    # Only a path of the portal: the timeline renders it as a link the resident follows.
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError(f"not a path of the portal: {link!r}")
    return link


@transaction.atomic
def request_project_link(*, request: ServiceRequest, actor: User, title: str, link: str) -> RequestEvent:
    """Record on the request's public timeline that it is now answered by a community project or
    proposal, with its link (the caller, participation.projects, tells the requester)."""
    request = _locked(request)
    _require_handler(actor, request)
    if request.status not in OPEN_STATUSES:
        raise ValidationError(_("Request %(number)s is no longer open.") % {"number": request.public_id})
    event = _event(
        request=request,
        kind=RequestEvent.Kind.COMMENT,
        actor=actor,
        message=_("This request is now part of a community project: %(title)s") % {"title": title},
        data={"link": _checked_link(link), "link_text": title},
    )
    request.save(update_fields=["updated_at"])
    return event


@transaction.atomic
def request_resolve_by_project(*, request: ServiceRequest, actor: User, title: str, link: str, note: str):
    """Resolve an open request because the community project answering it is done: from any open
    status (the project, not an assignee, did the work), the project named as the reason. The requester
    and supporters are told as for any resolution. Returns the request."""
    request = _locked(request)
    _require_handler(actor, request)
    _move(
        request,
        actor=actor,
        allowed_from=OPEN_STATUSES,
        to=S.RESOLVED,
        message=_("Resolved by the community project %(title)s: %(note)s") % {"title": title, "note": note.strip()},
        fields={"resolved_at": timezone.now(), "is_overdue": False},
        data={"link": _checked_link(link), "link_text": title},
    )
    return request


@transaction.atomic
def request_close(*, request: ServiceRequest, actor: User | None, note: str = "") -> ServiceRequest:
    """Close a resolved request: the resident confirming the fix, staff, or (actor None) the
    system once the reopen window has passed."""
    request = _locked(request)
    if actor is not None and not (
        is_requester(actor=actor, request=request) or can_handle(actor=actor, request=request)
    ):
        raise PermissionDenied(_("Only the resident or the staff handling this request may close it."))
    _move(
        request,
        actor=actor,
        allowed_from=STEPS["close"][0],
        to=S.CLOSED,
        message=note,
        fields={"closed_at": timezone.now()},
    )
    return request


@transaction.atomic
def request_reopen(*, request: ServiceRequest, actor: User, reason: str) -> ServiceRequest:
    """The resident says it is not fixed: back to the people assigned, with a fresh deadline."""
    request = _locked(request)
    _require_requester(actor, request)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say what is still wrong.")]})
    if (
        request.status == S.RESOLVED
        and request.resolved_at + timedelta(days=request.service.reopen_window_days) < timezone.now()
    ):
        raise ValidationError(_("The time to reopen this request has passed; please file a new one."))
    _move(
        request,
        actor=actor,
        allowed_from=STEPS["reopen"][0],
        to=S.ASSIGNED,
        message=reason.strip(),
        kind=RequestEvent.Kind.REOPENED,
        fields={
            "resolved_at": None,
            "resolve_due_at": timezone.now() + timedelta(days=request.service.resolve_within_days),
            "is_overdue": False,
        },
    )
    return request


@transaction.atomic
def request_comment(*, request: ServiceRequest, actor: User, message: str, internal: bool = False) -> RequestEvent:
    """A public comment (requester or staff) or, for staff, an internal note."""
    request = _locked(request)
    staff = can_handle(actor=actor, request=request)
    if not (staff or is_requester(actor=actor, request=request)):
        raise PermissionDenied(_("Only the resident or the staff handling this request may comment."))
    if internal and not staff:
        raise PermissionDenied(_("Only staff write internal notes."))
    message = message.strip()
    if not message:
        raise ValidationError({"message": [_("Write something first.")]})
    if len(message) > MAX_DESCRIPTION:
        raise ValidationError({"message": [_("At most %(limit)d characters.") % {"limit": MAX_DESCRIPTION}]})
    event = _event(
        request=request,
        kind=RequestEvent.Kind.NOTE if internal else RequestEvent.Kind.COMMENT,
        actor=actor,
        message=message,
        is_public=not internal,
    )
    request.save(update_fields=["updated_at"])
    audit_record(actor=actor, action="request.note" if internal else "request.comment", target=request)
    if not internal:
        request_notifications.request_commented(request=request, event=event)
    return event


@transaction.atomic
def request_rate(*, request: ServiceRequest, actor: User, score: int, comment: str = "") -> ServiceRequest:
    request = _locked(request)
    _require_requester(actor, request)
    if request.status not in STEPS["rate"][0]:
        raise ValidationError(_("You can rate a request once it is resolved."))
    if request.rating is not None:
        raise ValidationError(_("You have already rated this request."))
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Choose from 1 to 5 stars.")]})
    request.rating, request.rating_comment = score, comment.strip()[:500]
    request.save(update_fields=["rating", "rating_comment", "updated_at"])
    _event(
        request=request,
        kind=RequestEvent.Kind.RATING,
        actor=actor,
        message=request.rating_comment,
        data={"score": score},
    )
    audit_record(actor=actor, action="request.rate", target=request, details={"score": score})
    return request


@transaction.atomic
def request_photos_add(*, request: ServiceRequest, actor: User, photos) -> RequestEvent:
    """More photos, from the resident or the staff handling the request."""
    request = _locked(request)
    if not (is_requester(actor=actor, request=request) or can_handle(actor=actor, request=request)):
        raise PermissionDenied(_("Only the resident or the staff handling this request may add photos."))
    if request.status not in STEPS["photos"][0]:
        raise ValidationError(_("This request is finished; photos can no longer be added."))
    cleaned = photos_clean(photos)
    if not cleaned:
        raise ValidationError({"photos": [_("Choose at least one photo.")]})
    event = _event(request=request, kind=RequestEvent.Kind.PHOTO, actor=actor)
    _store_photos(request=request, event=event, actor=actor, photos=cleaned)
    request.save(update_fields=["updated_at"])
    audit_record(actor=actor, action="request.photos", target=request, details={"count": len(cleaned)})
    return event


@transaction.atomic
def request_support(*, request: ServiceRequest, actor: User) -> bool:
    """A resident's "me too" on an open public request; they then follow it. Returns whether it
    was new (supporting twice changes nothing)."""
    request = _locked(request)
    if request.status not in OPEN_STATUSES or not request.is_public or request.merged_into_id:
        raise ValidationError(_("This request is not open for support."))
    if is_requester(actor=actor, request=request):
        raise ValidationError(_("This is your own request."))
    _support, created = RequestSupport.objects.get_or_create(request=request, user=actor)
    if created:
        _event(request=request, kind=RequestEvent.Kind.SUPPORT, actor=actor)
        audit_record(actor=actor, action="request.support", target=request)
    return created


@transaction.atomic
def request_merge(*, request: ServiceRequest, into: ServiceRequest, actor: User, note: str = "") -> ServiceRequest:
    """Close a duplicate into another open request; its requester and supporters follow that one."""
    if request.pk == into.pk:
        raise ValidationError(_("A request cannot be merged into itself."))
    # Lock both rows in primary-key order, so two merges of the same pair cannot deadlock.
    locked = {
        r.pk: r for r in ServiceRequest.objects.select_for_update().filter(pk__in=[request.pk, into.pk]).order_by("pk")
    }
    request, into = locked[request.pk], locked[into.pk]
    if not (can_handle(actor=actor, request=request) and can_handle(actor=actor, request=into)):
        raise PermissionDenied(_("Only the staff handling both requests may merge them."))
    if into.status not in OPEN_STATUSES or into.merged_into_id:
        raise ValidationError(_("Merge into a request that is still open."))
    followers = {s.user_id for s in request.supports.all()}
    if request.requester_id:
        followers.add(request.requester_id)
    followers.discard(into.requester_id)
    RequestSupport.objects.bulk_create(
        [RequestSupport(request=into, user_id=user_id) for user_id in sorted(followers)], ignore_conflicts=True
    )
    _move(
        request,
        actor=actor,
        allowed_from=STEPS["merge"][0],
        to=S.CLOSED,
        message=note or _("Merged into %(number)s, which handles the same problem.") % {"number": into.public_id},
        kind=RequestEvent.Kind.MERGED,
        fields={"merged_into": into, "closed_at": timezone.now()},
    )
    return request
