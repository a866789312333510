"""A person's volunteering and points in their data export, and what deleting their account does
to them (registered with residents.data_rights from ParticipationConfig.ready()).

Deletion keeps confirmed hours and the whole points ledger, attached to the account's tombstone,
which no longer names anyone: the community's volunteer hours stay right, and the ledger is
append-only by design (a trigger refuses UPDATE and DELETE), so no code path rewrites it. What the
entries say is not personal (an activity's title and hours, an item's name, a staff member's
reason). Sign-ups for activities that have not started are cancelled, freeing the places."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participation.models import PointsAccount, PointsEntry, Redemption, VolunteerSignup
from residents.data_rights import register_section
from security.models import User


def export_volunteering(user: User) -> dict:
    account = PointsAccount.objects.filter(user=user).first()
    return {
        "volunteer_signups": [
            {
                "activity": signup.activity.title,
                "starts_at": signup.activity.starts_at,
                "ends_at": signup.activity.ends_at,
                "place": signup.activity.place,
                # A social organisation running the activity saw the volunteer's name: the export says which.
                "organiser": signup.activity.organiser.name if signup.activity.organiser else None,
                "status": signup.get_status_display(),
                "hours": str(signup.hours) if signup.hours is not None else None,
                "confirmed_at": signup.confirmed_at,
                "signed_up_at": signup.created_at,
            }
            for signup in VolunteerSignup.objects.filter(user=user)
            .select_related("activity__organiser")
            .order_by("created_at", "id")
        ],
        "points_balance": account.balance if account else 0,
        "points_ledger": [
            {
                "at": entry.created_at,
                "kind": entry.get_kind_display(),
                "amount": entry.amount,
                "reason": entry.reason,
                "balance_after": entry.balance_after,
            }
            for entry in PointsEntry.objects.filter(user=user).order_by("sequence")
        ],
        "redemptions": [
            {
                "item": redemption.item.name,
                "points": redemption.points,
                "status": redemption.get_status_display(),
                "at": redemption.created_at,
                "handed_over_at": redemption.handed_over_at,
            }
            for redemption in Redemption.objects.filter(user=user).select_related("item").order_by("created_at", "id")
        ],
    }


def erase_volunteering(user: User) -> dict:
    cancelled = VolunteerSignup.objects.filter(
        user=user, status=VolunteerSignup.Status.SIGNED_UP, activity__starts_at__gt=timezone.now()
    ).update(status=VolunteerSignup.Status.CANCELLED, updated_at=timezone.now())
    return {
        "volunteer_signups_cancelled": cancelled,
        "points_entries_kept": PointsEntry.objects.filter(user=user).count(),
        "volunteer_hours_kept": VolunteerSignup.objects.filter(
            user=user, status=VolunteerSignup.Status.CONFIRMED
        ).count(),
    }


def register_data_rights() -> None:
    register_section(
        "volunteering",
        title=_("Volunteering and points"),
        export=export_volunteering,
        erase=erase_volunteering,
        labels={
            "volunteer_signups": _("Volunteer sign-ups"),
            "points_balance": _("Points balance"),
            "points_ledger": _("Points history"),
            "redemptions": _("Redemptions"),
            "activity": _("Activity"),
            "starts_at": _("Starts"),
            "ends_at": _("Ends"),
            "place": _("Place"),
            "organiser": _("Organiser"),
            "status": _("Status"),
            "hours": _("Hours"),
            "confirmed_at": _("Hours confirmed"),
            "signed_up_at": _("Signed up"),
            "at": _("Date"),
            "kind": _("Kind"),
            "amount": _("Points"),
            "reason": _("What"),
            "balance_after": _("Balance"),
            "item": _("Item"),
            "points": _("Points"),
            "handed_over_at": _("Collected"),
        },
        kept_after_deletion=_(
            "Confirmed volunteer hours and the points history stay, attached to the deleted account, which no "
            "longer names you: your community's volunteer totals stay right, and the points history is never "
            "changed. Sign-ups for activities that have not started are cancelled."
        ),
    )
