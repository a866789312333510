"""Filing a request: validating it, placing it in a grid, routing it, setting its deadlines."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from directory.selectors import area_ancestor_paths, grid_for_point
from security import personal_data
from security.audit import audit_record
from security.models import Role, User
from security.roles import REQUEST_HANDLER_ROLES
from security.scoping import covers_area, has_role
from services import request_notifications
from services.answers import answers_validate
from services.models import (
    Channel,
    RequestEvent,
    RoutingRule,
    Service,
    ServiceRequest,
)
from services.photos import photos_clean
from services.services.rules import (
    MAX_DESCRIPTION,
    S,
    _event,
    _store_photos,
)


# --- filing ------------------------------------------------------------------------------------
def routing_resolve(*, service: Service, grid: Area) -> Organisation | None:
    """The organisation that handles `service` in `grid`: the rule on the deepest area above it.
    Read on every filing, so a changed rule routes the next request (the rules' unique index on
    service and area, the areas' on path)."""
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


@dataclass(frozen=True)
class Filing:
    """A request that passed every check but the filer's right: what filing it records."""

    service: Service
    description: str
    answers: dict
    grid: Area
    lat: Decimal | None
    lng: Decimal | None
    address: str
    contact_name: str
    contact_phone: str  # normalised, or ""
    photos: list

    def stored_fields(self) -> dict:
        """What the request keeps of it: the phone encrypted, and masked for display."""
        phone = self.contact_phone
        return {
            "description": self.description,
            "attributes": self.answers,
            "grid": self.grid,
            "lat": self.lat,
            "lng": self.lng,
            "address": self.address,
            "contact_name": self.contact_name,
            "contact_phone_encrypted": personal_data.encrypt(phone) if phone else "",
            "contact_phone_masked": personal_data.mask_phone(phone) if phone else "",
        }


def filing_validate(
    *,
    service: Service,
    description: str,
    answers: dict | None = None,
    grid: Area | None = None,
    lat: Decimal | None = None,
    lng: Decimal | None = None,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    photos=(),
) -> Filing:
    """Check a request before it is filed; a ValidationError names every field that is wrong."""
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
    cleaned_photos = []
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
    return Filing(
        service=service,
        description=description,
        answers=cleaned_answers,
        grid=placed,
        lat=lat,
        lng=lng,
        address=address.strip()[:255],
        contact_name=contact_name.strip()[:100],
        contact_phone=phone,
        photos=cleaned_photos,
    )


def filer_check(*, actor: User, requester: User | None, grid: Area, channel: str) -> None:
    """May `actor` file a request for `requester` in `grid`? PermissionDenied if not."""
    if requester is not None and requester.pk == actor.pk:
        return
    # Filing for someone else: staff over the grid (a phone call, a visit) or a partner's API.
    if covers_area(actor, grid, REQUEST_HANDLER_ROLES):
        return
    if channel in (Channel.API, Channel.OPEN311) and has_role(actor, {Role.PARTNER_OPERATOR}):
        return
    raise PermissionDenied(_("You may file requests only for yourself, or as staff for residents of your area."))


def deadlines_from(*, service: Service, start: datetime) -> dict[str, datetime]:
    """When a request made at `start` must be accepted and resolved."""
    return {
        "accept_due_at": start + timedelta(hours=service.accept_within_hours),
        "resolve_due_at": start + timedelta(days=service.resolve_within_days),
    }


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
    api_key=None,
) -> ServiceRequest:
    """File a request: validate it, place it in a grid, route it, set its deadlines.

    With a `submission_key` (a form's one-time token) filing the same form twice returns the
    request the first submit made. A request filed through an API names its `api_key` (a
    security.models.ApiKey) in the audit event, which then stands for the API call too.
    """
    if submission_key:
        existing = ServiceRequest.objects.filter(filed_by=actor, submission_key=submission_key).first()
        if existing is not None:
            return existing
    filing = filing_validate(
        service=service,
        description=description,
        answers=answers,
        grid=grid,
        lat=lat,
        lng=lng,
        address=address,
        contact_name=contact_name,
        contact_phone=contact_phone,
        photos=photos,
    )
    filer_check(actor=actor, requester=requester, grid=filing.grid, channel=channel)

    request = ServiceRequest.objects.create(
        service=service,
        **filing.stored_fields(),
        requester=requester,
        filed_by=actor,
        channel=channel,
        is_public=is_public,
        submission_key=submission_key,
        handling_organisation=routing_resolve(service=service, grid=filing.grid),
        **deadlines_from(service=service, start=timezone.now()),
    )
    event = _event(request=request, kind=RequestEvent.Kind.SUBMITTED, actor=actor, to_status=S.SUBMITTED)
    _store_photos(request=request, event=event, actor=actor, photos=filing.photos)
    request_notifications.request_filed(request=request, event=event)
    # Last: the audit chain's lock is held from here to commit, so it serialises as little as possible.
    audit_record(actor=actor, action="request.file", target=request, details=filed_details(channel, api_key))
    return request


def filed_details(channel: str, api_key) -> dict:
    """The details of a filing's audit event: its channel, and the API key it came through."""
    details = {"channel": channel}
    if api_key is not None:
        details["api_key"] = api_key.prefix
    return details
