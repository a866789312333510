"""A person's event sign-ups in their data export, and what account deletion does to them
(registered with residents.data_rights from ParticipationConfig.ready())."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from participation.events import event_signups_erase
from participation.models import EventSignup
from residents.data_rights import register_section
from security.models import User


def export_event_signups(user: User) -> list[dict]:
    return [
        {
            "event": signup.event.title,
            "kind": signup.event.get_kind_display(),
            "starts_at": signup.event.starts_at,
            "place": signup.event.place,
            "area": signup.event.area.name,
            # The organisation running the event (a social organisation's operators see who signed up).
            "organiser": signup.event.organiser.name if signup.event.organiser else None,
            "status": signup.get_status_display(),
            "signed_up_at": signup.created_at,
            "checked_in_at": signup.checked_in_at,
            "check_in_code": signup.code,
        }
        for signup in EventSignup.objects.filter(user=user)
        .select_related("event", "event__area", "event__organiser")
        .order_by("pk")
    ]


def erase_event_signups(user: User) -> dict:
    return event_signups_erase(user=user)


def register_data_rights() -> None:
    register_section(
        "event_signups",
        title=_("Events I signed up for"),
        export=export_event_signups,
        erase=erase_event_signups,
        labels={
            "event": _("Event"),
            "kind": _("Kind"),
            "starts_at": _("Starts"),
            "place": _("Place"),
            "area": _("For residents of"),
            "organiser": _("Organiser"),
            "status": _("Status"),
            "signed_up_at": _("Signed up"),
            "checked_in_at": _("Checked in"),
            "check_in_code": _("Check-in code"),
        },
        kept_after_deletion=_(
            "Nothing: your sign-ups are deleted. A place you held at an event still to come goes to the first "
            "person on its waiting list."
        ),
    )
