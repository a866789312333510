"""The reads behind Open311: public requests and their public status changes, for anyone.

They take no user because they show only what is public by design: requests the resident let
neighbours see (`is_public`), and of those only the columns `documents` puts out — the personal
ones (contact name and phone, requester, exact position, address, answers) are not even read.
"""

from datetime import datetime

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404

from directory.models import Area
from services.models import Channel, RequestEvent, RequestPhoto, Service, ServiceRequest
from services.open311.arguments import MAX_PAGE_SIZE, Page
from services.selectors import services_active

# What a public request shows; everything else stays in the database.
_PUBLIC_COLUMNS = (
    "public_id",
    "status",
    "description",
    "public_text_hidden_at",
    "created_at",
    "updated_at",
    "resolve_due_at",
    "resolved_at",
    "closed_at",
    "service",
    "service__code",
    "service__name_zh",
    "service__name_en",
    "grid",
    "grid__code",
    "grid__name_zh",
    "grid__name_en",
    "grid__centre_lat",
    "grid__centre_lng",
    "handling_organisation",
    "handling_organisation__name_zh",
    "handling_organisation__name_en",
)
_EVENT_COLUMNS = ("id", "request", "kind", "to_status", "message", "created_at")
FIRST_PAGE = Page(number=1, size=MAX_PAGE_SIZE)


def status_changes() -> QuerySet[RequestEvent]:
    """Timeline events that moved a request and that its requester sees too (internal notes and
    escalations are never public), less those a moderator hid, oldest first."""
    return (
        RequestEvent.objects.filter(is_public=True, hidden_at__isnull=True)
        .exclude(to_status="")
        .order_by("created_at", "id")
    )


def _public_requests(*, with_notes: bool = False) -> QuerySet[ServiceRequest]:
    last_change = status_changes().filter(request=OuterRef("pk")).order_by("-created_at", "-id")
    first_fit_photo = RequestPhoto.objects.filter(request=OuterRef("pk"), public_fit_at__isnull=False).order_by(
        "created_at", "id"
    )
    requests = (
        ServiceRequest.objects.filter(is_public=True)
        .select_related("service", "grid", "handling_organisation")
        .only(*_PUBLIC_COLUMNS)
        .annotate(
            open311_status_notes=Subquery(last_change.values("message")[:1]),
            # `media_url`: the first photo staff marked fit for the public page, if any.
            open311_photo_id=Subquery(first_fit_photo.values("public_id")[:1]),
        )
    )
    if with_notes:
        requests = requests.prefetch_related(
            Prefetch("events", queryset=status_changes().only(*_EVENT_COLUMNS), to_attr="open311_notes")
        )
    return requests


def public_requests_search(
    *,
    ids: list[str] = (),
    service_codes: list[str] = (),
    statuses: set[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: Page = FIRST_PAGE,
    with_notes: bool = False,
) -> list[ServiceRequest]:
    """GET requests: by id (which overrides every other filter), else by requested time, service
    and status; newest first, one page."""
    requests = _public_requests(with_notes=with_notes)
    if ids:
        requests = requests.filter(public_id__in=ids)
    else:
        if start is not None:
            requests = requests.filter(created_at__gte=start)
        if end is not None:
            requests = requests.filter(created_at__lte=end)
        if service_codes:
            requests = requests.filter(service__code__in=service_codes)
        if statuses is not None:
            requests = requests.filter(status__in=statuses)
    first, last = page.bounds
    return list(requests.order_by("-created_at", "-pk")[first:last])


def public_request_get(*, public_id: str, with_notes: bool = False) -> ServiceRequest:
    """One public request; 404 alike for a missing and a private one."""
    try:
        return _public_requests(with_notes=with_notes).get(public_id=public_id)
    except ServiceRequest.DoesNotExist:
        raise Http404 from None


def open311_request_by_token(*, token: str) -> ServiceRequest:
    """The request filed from the POST that answered with `token` (the request's number). Public
    or not: the caller holds the number already, and the answer shows nothing else of it."""
    try:
        return ServiceRequest.objects.only("public_id").get(public_id=token, channel=Channel.OPEN311)
    except ServiceRequest.DoesNotExist:
        raise Http404 from None


def public_updates(*, start: datetime, end: datetime, page: Page) -> list[RequestEvent]:
    """FixMyStreet's updates: public requests' status changes made in the window (their filing
    is not one: it is in GET requests), oldest first so a client can apply them in order."""
    updates = (
        status_changes()
        .exclude(kind=RequestEvent.Kind.SUBMITTED)
        .filter(request__is_public=True, created_at__gte=start, created_at__lte=end)
        .select_related("request")
        .only(*_EVENT_COLUMNS, "request__public_id")
    )
    first, last = page.bounds
    return list(updates[first:last])


def services_listed() -> QuerySet[Service]:
    return services_active()


def service_defined(*, code: str) -> Service:
    service = services_active().filter(code=code).first()
    if service is None:
        raise Http404
    return service


def service_for_filing(*, code: str) -> Service | None:
    """The service a POST names, active or not: filing says itself when one takes no requests."""
    return Service.objects.prefetch_related("attributes").filter(code=code).first()


def grid_by_code(*, code: str) -> Area | None:
    return Area.objects.filter(code=code, kind=Area.Kind.GRID).first()


def catalogue_changed_at() -> datetime | None:
    """When the catalogue last changed: Open311 discovery's `changeset`, telling clients to
    refresh their cached service list and definitions."""
    return Service.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
