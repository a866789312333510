"""A person's service requests in their data export, and what deleting their account does to them
(registered with residents.data_rights from ServicesConfig.ready())."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from residents.data_rights import register_section
from security import personal_data
from security.models import User
from services.models import RequestEvent, RequestSupport, ServiceRequest


def export_requests(user: User) -> dict:
    """The requests the person asked for, each with the timeline they can see (not staff's internal
    notes), their answers and rating; and the requests they said "me too" to. Not the requests a
    member of staff typed in for others: those are other people's data."""
    public_events = Prefetch(
        "events", queryset=RequestEvent.objects.filter(is_public=True).order_by("created_at", "id"), to_attr="shown"
    )
    requests = (
        ServiceRequest.objects.filter(requester=user)
        .select_related("service", "grid")
        .prefetch_related(public_events)
        .order_by("created_at", "id")
    )
    supported = RequestSupport.objects.filter(user=user).select_related("request").order_by("created_at")
    return {
        "requests": [
            {
                "number": request.public_id,
                "service": request.service.name,
                "description": request.description,
                "answers": request.attributes,
                "address": request.address,
                "grid": request.grid.name,
                "contact_name": request.contact_name,
                "contact_phone": (
                    personal_data.decrypt(request.contact_phone_encrypted) if request.contact_phone_encrypted else ""
                ),
                "status": request.get_status_display(),
                "filed_at": request.created_at,
                "rating": request.rating,
                "rating_comment": request.rating_comment,
                "timeline": [
                    {"at": event.created_at, "kind": event.get_kind_display(), "message": event.message}
                    for event in request.shown
                ],
            }
            for request in requests
        ],
        "me_too": [{"number": support.request.public_id, "at": support.created_at} for support in supported],
    }


def erase_requests(user: User) -> dict:
    # The requests are the record of a public service the community gave, kept under archives
    # rules: they stay, with no account to reach them through. A "me too" is only the person's
    # wish to follow someone else's request, so it goes.
    unlinked = ServiceRequest.objects.filter(requester=user).update(requester=None)
    supports = RequestSupport.objects.filter(user=user).delete()[0]
    return {"requests_unlinked": unlinked, "me_too_deleted": supports}


def register() -> None:
    register_section(
        "service_requests",
        title=_("Service requests"),
        export=export_requests,
        erase=erase_requests,
        labels={
            "requests": _("Requests"),
            "number": _("Request number"),
            "service": _("Service"),
            "description": _("Description"),
            "answers": _("Answers"),
            "address": _("Address"),
            "grid": _("Grid"),
            "contact_name": _("Contact name"),
            "contact_phone": _("Contact phone"),
            "status": _("Status"),
            "filed_at": _("Filed"),
            "rating": _("Rating"),
            "rating_comment": _("Rating comment"),
            "timeline": _("Timeline"),
            "at": _("When"),
            "kind": _("What happened"),
            "message": _("Message"),
            "me_too": _("Requests I said “me too” to"),
        },
        kept_after_deletion=_(
            "Your service requests stay, with their timeline, photos and rating, as the record of the public "
            "service you received (record-keeping rules for public services); they are no longer linked to "
            "any account. Your “me too” marks are deleted."
        ),
    )
