"""Every write to a service request: filing it and each step of its life.

Each transition names the states it may start from, checks the actor's right, locks the row,
records a timeline event and an audit event, and queues notifications on commit.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from directory.selectors import area_ancestor_paths, grid_for_point
from security import personal_data
from security.audit import audit_record
from security.models import Role, User
from security.roles import REQUEST_HANDLER_ROLES
from security.scoping import covers_area, has_role, organisation_ids
from services import notices
from services.answers import answers_validate
from services.models import (
    OPEN_STATUSES,
    Channel,
    RequestEvent,
    RequestPhoto,
    RequestStatus,
    RequestSupport,
    RoutingRule,
    Service,
    ServiceRequest,
)
from services.photos import CleanPhoto, photos_clean
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


# --- filing ------------------------------------------------------------------------------------
def routing_resolve(*, service: Service, grid: Area) -> Organisation | None:
    """The organisation that handles `service` in `grid`: the rule on the deepest area above it."""
    rule = (
        RoutingRule.objects.filter(service=service, area__path__in=area_ancestor_paths(area=grid))
        .select_related("organisation")
        .order_by("-area__depth")
        .first()
    )
    return rule.organisation if rule else None


def _place(*, grid: Area | None, lat: Decimal | None, lng: Decimal | None) -> Area:
    if (lat is None) != (lng is None):
        raise ValidationError({"location": [_("Give both latitude and longitude, or neither.")]})
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError({"location": [_("That position is not on the map.")]})
    if grid is not None:
        if grid.kind != Area.Kind.GRID:
            raise ValidationError({"location": [_("Choose a grid.")]})
        return grid
    if lat is None:
        raise ValidationError({"location": [_("Say where: choose your community, or share your position.")]})
    found = grid_for_point(lat=float(lat), lng=float(lng))
    if found is None:
        raise ValidationError({"location": [_("That position is outside Shunqing District.")]})
    return found


def _check_filer(*, actor: User, requester: User | None, grid: Area, channel: str) -> None:
    if requester is not None and requester.pk == actor.pk:
        return
    # Filing for someone else: staff over the grid (a phone call, a visit) or a partner's API.
    if covers_area(actor, grid, REQUEST_HANDLER_ROLES):
        return
    if channel in (Channel.API, Channel.OPEN311) and has_role(actor, {Role.PARTNER_OPERATOR}):
        return
    raise PermissionDenied(_("You may file requests only for yourself, or as staff for residents of your area."))


@transaction.atomic
def request_file(
    *,
    actor: User,
    service: Service,
    description: str,
    answers: dict | None = None,
    grid: Area | None = None,
    lat: Decimal | None = None,
    lng: Decimal | None = None,
    address: str = "",
    requester: User | None = None,
    channel: str = Channel.WEB,
    is_public: bool = True,
    contact_name: str = "",
    contact_phone: str = "",
    submission_key: str = "",
    photos=(),
) -> ServiceRequest:
    """File a request: validate it, place it in a grid, route it, set its deadlines.

    With a `submission_key` (a form's one-time token) filing the same form twice returns the
    request the first submit made.
    """
    if submission_key:
        existing = ServiceRequest.objects.filter(filed_by=actor, submission_key=submission_key).first()
        if existing is not None:
            return existing
    errors: dict[str, list[str]] = {}
    if not service.is_active:
        errors["service"] = [_("This service is not taking requests.")]
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Please describe what is wrong.")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("At most %(limit)d characters.") % {"limit": MAX_DESCRIPTION}]
    try:
        cleaned_answers = answers_validate(service=service, raw=answers or {})
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned_answers = {}
    try:
        placed = _place(grid=grid, lat=lat, lng=lng)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        placed = None
    try:
        cleaned_photos = photos_clean(photos)
    except ValidationError as exc:
        errors["photos"] = exc.messages
    phone = ""
    if contact_phone.strip():
        try:
            phone = personal_data.normalise_phone(contact_phone)
        except ValidationError as exc:
            errors["contact_phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    _check_filer(actor=actor, requester=requester, grid=placed, channel=channel)

    now = timezone.now()
    request = ServiceRequest.objects.create(
        service=service,
        description=description,
        attributes=cleaned_answers,
        grid=placed,
        lat=lat,
        lng=lng,
        address=address.strip()[:255],
        requester=requester,
        filed_by=actor,
        contact_name=contact_name.strip()[:100],
        contact_phone_encrypted=personal_data.encrypt(phone) if phone else "",
        contact_phone_masked=personal_data.mask_phone(phone) if phone else "",
        channel=channel,
        is_public=is_public,
        submission_key=submission_key,
        handling_organisation=routing_resolve(service=service, grid=placed),
        accept_due_at=now + timedelta(hours=service.accept_within_hours),
        resolve_due_at=now + timedelta(days=service.resolve_within_days),
    )
    event = _event(request=request, kind=RequestEvent.Kind.SUBMITTED, actor=actor, to_status=S.SUBMITTED)
    _store_photos(request=request, event=event, actor=actor, photos=cleaned_photos)
    audit_record(actor=actor, action="request.file", target=request, details={"channel": channel})
    notices.request_filed(request=request, event=event)
    return request


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


# --- transitions -------------------------------------------------------------------------------
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
    event = _event(request=request, kind=kind, actor=actor, from_status=previous, to_status=to, message=message)
    audit_record(actor=actor, action=f"request.{to}", target=request, details={"from": previous})
    notices.request_changed(request=request, event=event)
    return event


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
        notices.request_commented(request=request, event=event)
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
    notices.request_escalated(request=request, event=event)
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
