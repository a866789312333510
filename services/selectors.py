from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from directory.geo import distance_m
from directory.models import Area
from directory.selectors import area_ancestor_paths
from security.models import RoleAssignment, User
from security.roles import ORGANISATION_ROLES, REQUEST_HANDLER_ROLES
from security.scoping import restrict
from services.models import (
    OPEN_STATUSES,
    RequestEvent,
    RequestPhoto,
    RequestStatus,
    RoutingRule,
    Service,
    ServiceRequest,
)
from services.services import can_handle

_LIST_RELATED = ("service", "grid", "handling_organisation", "assignee")


def services_active() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).prefetch_related("attributes").order_by("group", "order", "code")


def requests_for_user(*, user: User) -> QuerySet[ServiceRequest]:
    """Requests the user may open in full: in their area subtree, routed to their organisation, or
    their own. A "me too" opens none: anyone may say it, so a supporter gets only the public view
    (`request_public_view_for_supporter`)."""
    return restrict(
        ServiceRequest.objects.select_related(*_LIST_RELATED),
        user,
        area_path="grid__path",
        organisation="handling_organisation",
        owner="requester",
    )


def request_get_for_user(*, user: User, public_id: str) -> ServiceRequest:
    """One request, or 404 alike whether it is missing or out of the user's reach."""
    try:
        return requests_for_user(user=user).get(public_id=public_id)
    except (ServiceRequest.DoesNotExist, ValidationError):
        raise Http404 from None


def requests_of_requester(*, user: User) -> QuerySet[ServiceRequest]:
    """A resident's own requests, newest first ("my requests")."""
    if not user.is_authenticated:
        return ServiceRequest.objects.none()
    return ServiceRequest.objects.filter(requester=user).select_related("service").order_by("-created_at")


def request_queue(
    *,
    user: User,
    status: str = "",
    service: Service | None = None,
    area: Area | None = None,
    overdue: bool = False,
    assignee: User | None = None,
    query: str = "",
) -> QuerySet[ServiceRequest]:
    """The staff workbench: requests in the user's area or organisation (not merely their own),
    filtered. Without a status filter it shows the open ones, most urgent first."""
    requests = restrict(
        ServiceRequest.objects.select_related(*_LIST_RELATED),
        user,
        area_path="grid__path",
        organisation="handling_organisation",
    )
    if status == "all":
        pass
    elif status:
        requests = requests.filter(status=status)
    else:
        requests = requests.filter(status__in=OPEN_STATUSES)
    if service is not None:
        requests = requests.filter(service=service)
    if area is not None:
        requests = requests.filter(grid__path__startswith=area.path)
    if overdue:
        now = timezone.now()
        requests = requests.filter(
            Q(status=RequestStatus.SUBMITTED, accept_due_at__lt=now)
            | Q(status__in=OPEN_STATUSES - {RequestStatus.SUBMITTED}, resolve_due_at__lt=now)
        )
    if assignee is not None:
        requests = requests.filter(assignee=assignee)
    query = query.strip()
    if query:
        requests = requests.filter(Q(public_id__iexact=query) | Q(description__icontains=query))
    return requests.order_by("resolve_due_at", "pk")


def request_timeline(*, user: User, request: ServiceRequest) -> QuerySet[RequestEvent]:
    """The request's events; internal notes and escalations only for the staff handling it."""
    events = request.events.select_related("actor").prefetch_related("photos").order_by("created_at", "id")
    if not can_handle(actor=user, request=request):
        events = events.filter(is_public=True)
    return events


def grid_by_id(*, pk: int | None) -> Area | None:
    return Area.objects.filter(pk=pk, kind=Area.Kind.GRID).first() if pk else None


def grid_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Every grid, grouped under its community, for the "where" question (one query)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for grid in Area.objects.filter(kind=Area.Kind.GRID).select_related("parent__parent").order_by("path"):
        community = grid.parent
        label = f"{community.parent.name} · {community.name}"
        groups.setdefault(label, []).append((grid.pk, grid.name))
    return list(groups.items())


def assignee_choices(*, request: ServiceRequest) -> QuerySet[User]:
    """People who may be given the work: front-line staff over the request's grid and the
    members of the organisation handling it."""
    over_grid = Q(role__in=REQUEST_HANDLER_ROLES, area__path__in=area_ancestor_paths(area=request.grid))
    in_organisation = Q(role__in=ORGANISATION_ROLES, organisation_id=request.handling_organisation_id)
    user_ids = RoleAssignment.objects.filter(over_grid | in_organisation).values("user_id")
    return User.objects.filter(is_active=True, pk__in=user_ids).order_by("username")


# "Nearby" for a "me too": the same grid, or within this distance of the position given.
NEARBY_METRES = 200


def nearby_open_requests(
    *, service: Service, grid: Area | None, lat=None, lng=None, exclude_requester: User | None = None, limit: int = 5
) -> list[ServiceRequest]:
    """Open, public requests for the same service near a place, newest first, to offer a "me too"
    instead of a second request."""
    # A description a moderator hid is not offered to other residents either.
    candidates = ServiceRequest.objects.filter(
        service=service,
        status__in=OPEN_STATUSES,
        is_public=True,
        merged_into__isnull=True,
        public_text_hidden_at__isnull=True,
    ).select_related("grid")
    if exclude_requester is not None:
        candidates = candidates.exclude(requester=exclude_requester)
    near = Q(grid=grid) if grid is not None else Q(pk__in=[])
    if lat is not None and lng is not None:
        # A cheap bounding box first (about 0.002 degrees ≈ 200 m here), exact distance after.
        box = Decimal("0.0025")
        near |= Q(lat__range=(lat - box, lat + box), lng__range=(lng - box, lng + box))
    found = []
    for request in candidates.filter(near).order_by("-created_at")[: limit * 4]:
        in_grid = grid is not None and request.grid_id == grid.pk
        close = (
            lat is not None
            and request.lat is not None
            and distance_m(float(lat), float(lng), float(request.lat), float(request.lng)) <= NEARBY_METRES
        )
        if in_grid or close:
            found.append(request)
    return found[:limit]


def request_supportable_get(*, public_id: str) -> ServiceRequest:
    """An open public request anyone signed in may say "me too" to; 404 for any other."""
    try:
        return ServiceRequest.objects.get(
            public_id=public_id, status__in=OPEN_STATUSES, is_public=True, merged_into__isnull=True
        )
    except ServiceRequest.DoesNotExist:
        raise Http404 from None


# What neighbours may see of a public request, the same as Open311's public reads: never the
# requester, contact, address, exact position, answers or who acted; photos only once staff
# marked them fit; nothing a moderator hid (`public_text_hidden_at`: the description is withheld).
_PUBLIC_COLUMNS = (
    "public_id",
    "status",
    "description",
    "public_text_hidden_at",
    "created_at",
    "resolve_due_at",
    "service__name_zh",
    "service__name_en",
    "grid__name_zh",
    "grid__name_en",
    "handling_organisation__name_zh",
    "handling_organisation__name_en",
)


@dataclass(frozen=True)
class PublicStatusChange:
    at: datetime
    status_label: str
    message: str
    # The timeline event's id, so a public message can be reported to the moderators.
    event_id: int = 0


@dataclass(frozen=True)
class RequestPublicView:
    """A public request as a supporter sees it. A plain record rather than the model, so no page
    can reach a private field by accident."""

    public_id: str
    service_name: str
    status: str
    status_label: str
    is_open: bool
    description: str
    grid_name: str
    handling_organisation_name: str
    created_at: datetime
    resolve_due_at: datetime
    status_changes: list[PublicStatusChange]
    # A moderator hid the description: `description` is then empty and the page says so.
    description_hidden: bool = False
    # The `public_id`s of the photos staff marked fit for the public page.
    photo_ids: tuple = ()


def requests_public(*, community: Area | None = None, service: Service | None = None, status: str = "") -> QuerySet:
    """Requests their residents agreed to publish, for anyone (signed in or not), newest first.
    Only the public columns are loaded, so a page built on them cannot show a private field."""
    requests = (
        ServiceRequest.objects.filter(is_public=True)
        .select_related("service", "grid", "handling_organisation")
        .only(*_PUBLIC_COLUMNS)
        .order_by("-created_at", "-id")
    )
    if community is not None:
        requests = requests.filter(grid__path__startswith=community.path)
    if service is not None:
        requests = requests.filter(service=service)
    if status:
        requests = requests.filter(status=status)
    return requests


def public_request_grid_points(requests: QuerySet) -> list[dict]:
    """How many of these public requests each grid has, at the grid's centre: the public map shows
    no position finer than the grid. Grids without a centre are left off the map (the list has them)."""
    counts = dict(
        requests.order_by().values_list("grid_id").annotate(total=Count("id")).values_list("grid_id", "total")
    )
    grids = Area.objects.filter(pk__in=counts, centre_lat__isnull=False, centre_lng__isnull=False).only(
        "name_zh", "name_en", "centre_lat", "centre_lng"
    )
    return [
        {"name": grid.name, "lat": float(grid.centre_lat), "lng": float(grid.centre_lng), "count": counts[grid.pk]}
        for grid in grids.order_by("path")
    ]


def request_public_get(*, public_id: str) -> RequestPublicView:
    """The public view of one public request; 404 alike for a private or a missing one."""
    return _public_view(_public_get(requests_public(), public_id))


def request_public_view_for_supporter(*, user: User, public_id: str) -> RequestPublicView:
    """The public view of a public request the user said "me too" to; 404 alike for any other."""
    if not user.is_authenticated:
        raise Http404
    return _public_view(_public_get(requests_public().filter(supports__user=user), public_id))


def _public_get(requests: QuerySet, public_id: str) -> ServiceRequest:
    try:
        return requests.get(public_id=public_id)
    except ServiceRequest.DoesNotExist:
        raise Http404 from None


def public_status_changes() -> QuerySet[RequestEvent]:
    """The public timeline: status changes the requester sees too, less any a moderator hid."""
    return RequestEvent.objects.filter(is_public=True, hidden_at__isnull=True).exclude(to_status="")


def public_photos() -> QuerySet[RequestPhoto]:
    """Photos staff marked fit for the public page, of requests that are public."""
    return RequestPhoto.objects.filter(public_fit_at__isnull=False, request__is_public=True)


def _public_view(request: ServiceRequest) -> RequestPublicView:
    changes = (
        public_status_changes()
        .filter(request=request)
        .only("to_status", "message", "created_at")
        .order_by("created_at", "id")
    )
    photo_ids = tuple(
        public_photos().filter(request=request).order_by("created_at", "id").values_list("public_id", flat=True)
    )
    hidden = request.public_text_hidden_at is not None
    organisation = request.handling_organisation
    return RequestPublicView(
        public_id=request.public_id,
        service_name=request.service.name,
        status=request.status,
        status_label=request.get_status_display(),
        is_open=request.is_open,
        description="" if hidden else request.description,
        description_hidden=hidden,
        photo_ids=photo_ids,
        grid_name=request.grid.name,
        handling_organisation_name=organisation.name if organisation else "",
        created_at=request.created_at,
        resolve_due_at=request.resolve_due_at,
        status_changes=[
            PublicStatusChange(
                at=event.created_at, status_label=event.to_status_label, message=event.message, event_id=event.pk
            )
            for event in changes
        ],
    )


def request_public_row_get(*, public_id: str) -> ServiceRequest:
    """A public request's row with its grid, for moderation (which needs the grid's area, not the
    page); 404 alike for a private or a missing one."""
    try:
        return ServiceRequest.objects.select_related("grid").get(public_id=public_id, is_public=True)
    except ServiceRequest.DoesNotExist:
        raise Http404 from None


def request_public_photo_get(*, public_id: str, photo_public_id) -> RequestPhoto:
    """A photo for the public page: of a public request, marked fit; 404 alike for any other."""
    try:
        return public_photos().get(request__public_id=public_id, public_id=photo_public_id)
    except (RequestPhoto.DoesNotExist, ValidationError):
        raise Http404 from None


def request_public_event_get(*, public_id: str, event_id) -> RequestEvent:
    """A message on a public request's public timeline (one a resident may report); 404 alike
    for any other."""
    try:
        return (
            public_status_changes()
            .exclude(message="")
            .select_related("request__grid")
            .get(pk=int(event_id), request__public_id=public_id, request__is_public=True)
        )
    except (RequestEvent.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def requests_supported_by(*, user: User) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(supports__user=user).select_related("service").order_by("-created_at")


def photo_get_for_user(*, user: User, request_public_id: str, photo_public_id) -> RequestPhoto:
    """A photo of a request the user may open; 404 alike for missing and forbidden."""
    service_request = request_get_for_user(user=user, public_id=request_public_id)
    try:
        return service_request.photos.get(public_id=photo_public_id)
    except (RequestPhoto.DoesNotExist, ValidationError):
        raise Http404 from None


def areas_routed_to(*, organisation_ids) -> QuerySet[Area]:
    """The areas whose requests (for some active service) are routed to these organisations: the
    roots of the subtrees the organisations work in."""
    rules = RoutingRule.objects.filter(organisation_id__in=list(organisation_ids), service__is_active=True)
    return Area.objects.filter(pk__in=rules.values("area_id")).order_by("path")


# --- figures by community for the programme's assessment (issue 19) ---
# Read by a district-scope batch run (programme.indicators), not for a user: the caller names the
# communities. A constant number of queries whatever their number: the requests are grouped by their
# grid (no join on the big table) and the grids summed up to their communities here.
def resolution_figures_by_community(*, communities: list[Area], start: date, end: date) -> dict[int, dict[str, int]]:
    """{community id: figures} of the requests resolved from `start` to `end` (local days, both
    included) in the community's grids: `resolved`, `on_time` (resolved by their resolve-by time),
    `rated` (of those, rated by the resident) and `rating_sum` (their ratings added up). A request
    reopened since counts only if resolved again within the period (resolved_at is cleared on
    reopening); rejected and merged requests are never resolved. Every community is in the result."""
    figures = {community.pk: {"resolved": 0, "on_time": 0, "rated": 0, "rating_sum": 0} for community in communities}
    if not figures or end < start:
        return figures
    community_of = dict(
        Area.objects.filter(parent_id__in=list(figures), kind=Area.Kind.GRID).values_list("pk", "parent_id")
    )
    if not community_of:
        return figures
    zone = timezone.get_default_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    rows = (
        ServiceRequest.objects.filter(resolved_at__gte=since, resolved_at__lt=until, grid_id__in=list(community_of))
        .order_by()
        .values("grid_id")
        .annotate(
            resolved=Count("pk"),
            on_time=Count("pk", filter=Q(resolved_at__lte=F("resolve_due_at"))),
            rated=Count("rating"),
            rating_sum=Sum("rating"),
        )
    )
    for row in rows:
        counts = figures[community_of[row["grid_id"]]]
        for name in ("resolved", "on_time", "rated", "rating_sum"):
            counts[name] += row[name] or 0
    return figures
