from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
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
    RequestSupport,
    Service,
    ServiceRequest,
)
from services.services import can_handle

_LIST_RELATED = ("service", "grid", "handling_organisation", "assignee")


def services_active() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).prefetch_related("attributes").order_by("group", "order", "code")


def requests_for_user(*, user: User) -> QuerySet[ServiceRequest]:
    """Requests the user may open: in their area subtree, routed to their organisation, their own,
    or ones they said "me too" to."""
    scoped = restrict(
        ServiceRequest.objects.all(),
        user,
        area_path="grid__path",
        organisation="handling_organisation",
        owner="requester",
    )
    if not user.is_authenticated:
        return scoped
    supported = RequestSupport.objects.filter(user=user).values("request_id")
    return ServiceRequest.objects.select_related(*_LIST_RELATED).filter(
        Q(pk__in=scoped.values("pk")) | Q(pk__in=supported)
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
    candidates = ServiceRequest.objects.filter(
        service=service, status__in=OPEN_STATUSES, is_public=True, merged_into__isnull=True
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


def requests_supported_by(*, user: User) -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.filter(supports__user=user).select_related("service").order_by("-created_at")


def photo_get_for_user(*, user: User, request_public_id: str, photo_public_id) -> RequestPhoto:
    """A photo of a request the user may open; 404 alike for missing and forbidden."""
    service_request = request_get_for_user(user=user, public_id=request_public_id)
    try:
        return service_request.photos.get(public_id=photo_public_id)
    except (RequestPhoto.DoesNotExist, ValidationError):
        raise Http404 from None
