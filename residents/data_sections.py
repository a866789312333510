"""What residents itself contributes to a person's data rights: the account, the register's
profile and household, consents, correction requests and "who used my data", plus the consent to
be contacted by the community. Registered from ResidentsConfig.ready()."""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from residents.data_rights import consent_purposes, register_consent, register_data_uses, register_section
from residents.models import ResidencyVerification, ResidentProfile
from residents.selectors import audited_uses_of_profile, data_uses_of_user, own_corrections
from residents.services import contact_consent_give, contact_consent_state, contact_consent_withdraw
from security import personal_data
from security.models import User


def export_account(user: User) -> dict:
    email_addresses = []
    if apps.is_installed("allauth.account"):
        from allauth.account.models import EmailAddress

        email_addresses = [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("email")
        ]
    authenticators = []
    if apps.is_installed("allauth.mfa"):
        from allauth.mfa.models import Authenticator

        # The kinds and dates only: the secrets are not the person's data but keys to their account.
        authenticators = [
            {"type": authenticator.get_type_display(), "created_at": authenticator.created_at}
            for authenticator in Authenticator.objects.filter(user=user).order_by("created_at")
        ]
    return {
        "username": user.get_username(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "email_addresses": email_addresses,
        "authenticators": authenticators,
        "roles": [
            {"role": assignment.get_role_display(), "area": assignment.area.name}
            for assignment in user.role_assignments.select_related("area").order_by("role")
        ],
    }


def export_profile(user: User) -> dict | None:
    """The register's record in full, ID-card number and phone included: it is the person's own,
    the law gives them a copy (PIPL art. 45), and a masked copy could not be checked for errors."""
    profile = ResidentProfile.objects.select_related("household__grid__parent").filter(user=user).first()
    if profile is None:
        return None
    household = profile.household
    return {
        "full_name": profile.full_name,
        "id_card_number": personal_data.decrypt(profile.id_card_encrypted) if profile.id_card_encrypted else "",
        "phone": personal_data.decrypt(profile.phone_encrypted) if profile.phone_encrypted else "",
        "is_elderly": profile.is_elderly,
        "lives_alone": profile.lives_alone,
        "birth_year": profile.birth_year,
        "birth_month": profile.birth_month,
        "moved_out_on": profile.moved_out_on,
        "died_on": profile.died_on,
        "registered_at": profile.created_at,
        "household": {
            "address": household.address,
            "household_number": household.household_code or "",
            "grid": household.grid.name,
            "community": household.grid.parent.name if household.grid.parent else "",
        },
    }


def unlink_profile(user: User) -> dict:
    # The register is the community's record under its statutory duties, not the account's: it
    # stays, no longer tied to a way of signing in.
    return {"unlinked": ResidentProfile.objects.filter(user=user).update(user=None)}


def export_consents(user: User) -> list[dict]:
    rows = []
    for consent in consent_purposes():
        state = consent.given(user)
        if state is not None:
            rows.append({"purpose": str(consent.title), "given": state[0], "since": state[1]})
    return rows


def export_corrections(user: User) -> list[dict]:
    return [
        {
            "asked_at": correction.created_at,
            "field": correction.get_field_display(),
            "explanation": correction.explanation,
            "status": correction.get_status_display(),
            "decided_at": correction.decided_at,
            "reason": correction.decision_reason,
        }
        for correction in own_corrections(user=user)
    ]


def export_verifications(user: User) -> list[dict]:
    return [
        {
            "asked_at": verification.created_at,
            "method": verification.get_method_display(),
            "status": verification.get_status_display(),
            "community": verification.community.name if verification.community else "",
            "note": verification.note,
            "decided_at": verification.decided_at,
            "reason": verification.reason,
            "grid_staff_told_at": verification.told_at,
        }
        for verification in ResidencyVerification.objects.filter(user=user).select_related("community")
    ]


def erase_verifications(user: User) -> dict:
    """Failed household-number tries on a real household stay (without the person's note): they
    warn that household's grid staff that its ID numbers may have leaked. Everything else goes."""
    warning = ResidencyVerification.objects.filter(
        user=user,
        method=ResidencyVerification.Method.CODE,
        status=ResidencyVerification.Status.REFUSED,
        household__isnull=False,
    )
    kept = warning.update(note="")
    deleted = ResidencyVerification.objects.filter(user=user).exclude(pk__in=warning.values("pk")).delete()[0]
    return {"deleted": deleted, "kept": kept}


def export_data_uses(user: User) -> list[dict]:
    return [
        {"at": use.at, "who": use.who, "what": use.what, "purpose": use.purpose, "reference": use.reference}
        for use in data_uses_of_user(user=user)
    ]


def register() -> None:
    register_section(
        "account",
        title=_("Account"),
        export=export_account,
        labels={
            "username": _("User name"),
            "first_name": _("Given name"),
            "last_name": _("Family name"),
            "email": _("E-mail"),
            "date_joined": _("Registered on"),
            "last_login": _("Last signed in"),
            "email_addresses": _("E-mail addresses"),
            "verified": _("Verified"),
            "primary": _("Primary"),
            "authenticators": _("Two-step sign-in"),
            "type": _("Kind"),
            "created_at": _("Added"),
            "roles": _("Roles"),
            "role": _("Role"),
            "area": _("Area"),
        },
        kept_after_deletion=_(
            "An empty account row with a meaningless name stays, because the audit log points at it; "
            "it holds no name, e-mail or password and cannot sign in."
        ),
    )
    register_section(
        "resident_profile",
        title=_("Resident register and household"),
        export=export_profile,
        erase=unlink_profile,
        labels={
            "full_name": _("Name"),
            "id_card_number": _("ID-card number"),
            "phone": _("Mobile number"),
            "is_elderly": _("Elderly (60 or over)"),
            "lives_alone": _("Lives alone"),
            "birth_year": _("Year of birth"),
            "birth_month": _("Month of birth"),
            "moved_out_on": _("Moved out on"),
            "died_on": _("Died on"),
            "registered_at": _("Registered"),
            "household": _("Household"),
            "address": _("Address"),
            "household_number": _("Household number"),
            "grid": _("Grid"),
            "community": _("Community"),
        },
        kept_after_deletion=_(
            "Your record in the resident register stays with your community, which keeps the register "
            "under its legal duties; it is only no longer linked to this account. Ask your community "
            "office to correct it, or to remove it when you move away."
        ),
    )
    register_section(
        "consents",
        title=_("Consents"),
        export=export_consents,
        labels={"purpose": _("Purpose"), "given": _("Given"), "since": _("Since")},
    )
    register_section(
        "correction_requests",
        title=_("Correction requests"),
        export=export_corrections,
        labels={
            "asked_at": _("Asked"),
            "field": _("What is wrong"),
            "explanation": _("What you said"),
            "status": _("Status"),
            "decided_at": _("Decided"),
            "reason": _("Reason"),
        },
        kept_after_deletion=_("Correction requests stay with the register record they concern."),
    )
    register_section(
        "residency_verifications",
        title=_("Residency verification"),
        export=export_verifications,
        erase=erase_verifications,
        labels={
            "asked_at": _("Asked"),
            "method": _("method"),
            "status": _("Status"),
            "community": _("Community"),
            "note": _("Note"),
            "decided_at": _("Decided"),
            "reason": _("Reason"),
            "grid_staff_told_at": _("Grid staff told of the failed try"),
        },
        kept_after_deletion=_(
            "Failed tries with a household number stay, without your note, so that household's grid "
            "worker knows its ID numbers may have been misused."
        ),
    )
    register_section(
        "data_uses",
        title=_("Who used my data"),
        export=export_data_uses,
        labels={"at": _("When"), "who": _("Who"), "what": _("What"), "purpose": _("Why"), "reference": _("Reference")},
    )
    register_data_uses("register", uses=audited_uses_of_profile)
    register_consent(
        "community_contact",
        title=_("Being contacted by my community"),
        description=_(
            "Your grid worker and community staff may phone or visit you, using the number and address in "
            "the register, for care visits (e.g. for the elderly) and to follow up on your needs."
        ),
        withdrawing_changes=_(
            "Staff can no longer open your full phone number for a care call or visit; they still can to "
            "handle a request you filed, to check your identity when you ask them to, or to answer your "
            "correction request."
        ),
        given=contact_consent_state,
        withdraw=contact_consent_withdraw,
        give=contact_consent_give,
    )
