"""Reads for the partner API and the partners' key pages.

An API call acts as its key: it reaches the work orders of the key's organisation and nothing
else, and only while the person who made the key still acts for that organisation (the queryset
starts from `security.scoping.restrict` on that person).
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from security.api_keys import KEY_MANAGER_ROLES
from security.models import ApiKey, Role, RoleAssignment, User
from security.scoping import organisation_ids, restrict
from services.models import RequestEvent, ServiceRequest


def work_orders_for_key(*, key: ApiKey) -> QuerySet[ServiceRequest]:
    """The requests routed to the key's organisation."""
    scoped = restrict(ServiceRequest.objects.all(), key.created_by, organisation="handling_organisation")
    return scoped.filter(handling_organisation_id=key.organisation_id).select_related("service", "grid")


def work_order_list(
    *,
    key: ApiKey,
    status: str = "",
    service_code: str = "",
    area_code: str = "",
    updated_since: datetime | None = None,
) -> QuerySet[ServiceRequest]:
    """The key's work orders, filtered; the caller orders and pages them. An unknown area code is
    an error (a typo should not look like "no work"); an unknown service code simply matches none."""
    orders = work_orders_for_key(key=key)
    if status:
        orders = orders.filter(status=status)
    if service_code:
        orders = orders.filter(service__code=service_code)
    if area_code:
        area = Area.objects.filter(code=area_code).only("path").first()
        if area is None:
            raise ValidationError({"area": [_("No area has this code.")]})
        orders = orders.filter(grid__path__startswith=area.path)
    if updated_since is not None:
        orders = orders.filter(updated_at__gte=updated_since)
    return orders


def work_order_get(*, key: ApiKey, public_id: str) -> ServiceRequest:
    """One of the key's work orders; 404 alike whether it is missing or another organisation's."""
    try:
        return work_orders_for_key(key=key).get(public_id=public_id)
    except ServiceRequest.DoesNotExist:
        raise Http404 from None


def _operators_of(organisation_id: int) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(role=Role.PARTNER_OPERATOR, organisation_id=organisation_id)


def work_order_timeline(*, key: ApiKey, request: ServiceRequest) -> QuerySet[RequestEvent]:
    """What a partner sees of a work order's history: the public events, and the internal notes
    its own operators wrote (not other organisations' notes, nor the district's escalations).
    Each event says whether one of the partner's operators recorded it (`by_partner`)."""
    operators = _operators_of(key.organisation_id)
    own_notes = Q(kind=RequestEvent.Kind.NOTE, actor_id__in=operators.values("user_id"))
    return (
        request.events.filter(Q(is_public=True) | own_notes)
        .annotate(
            by_partner=Exists(operators.filter(user_id=OuterRef("actor_id"))),
            photo_count=Count("photos"),
        )
        .order_by("created_at", "id")
    )


def work_order_event_get(*, key: ApiKey, request: ServiceRequest, event_id: int) -> RequestEvent:
    """One event of the work order's timeline as the partner sees it; 404 if it is not there."""
    try:
        return work_order_timeline(key=key, request=request).get(pk=event_id)
    except RequestEvent.DoesNotExist:
        raise Http404 from None


# --- key pages ---------------------------------------------------------------------------------
def partner_organisation_ids(*, user: User) -> list[int]:
    """The organisations whose keys `user` manages: those they are a partner operator or a
    department officer of (security.api_keys.KEY_MANAGER_ROLES)."""
    return organisation_ids(user, KEY_MANAGER_ROLES)


def partner_organisations_for_user(*, user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(pk__in=partner_organisation_ids(user=user)).order_by("code")


def api_keys_for_user(*, user: User) -> QuerySet[ApiKey]:
    """Every key of the user's partner organisations, newest first, revoked ones included."""
    return (
        ApiKey.objects.filter(organisation_id__in=partner_organisation_ids(user=user))
        .select_related("organisation")
        .order_by("-created_at", "-id")
    )


def api_key_get_for_user(*, user: User, prefix: str) -> ApiKey:
    """One of the user's organisations' keys by its prefix; 404 alike for missing and forbidden."""
    try:
        return api_keys_for_user(user=user).get(prefix=prefix)
    except ApiKey.DoesNotExist:
        raise Http404 from None
