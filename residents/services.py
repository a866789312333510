from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area
from residents.models import Household, ResidentProfile
from security import personal_data
from security.audit import audit_record
from security.models import User
from security.roles import RESIDENT_REGISTRAR_ROLES, UNMASK_ROLES
from security.scoping import covers_area


class SealedValue(NamedTuple):
    """How a resident's ID-card number or phone is stored: the keyed hash that finds it, the
    ciphertext, and the masked form shown by default (the columns of ResidentProfile)."""

    hash: str
    encrypted: str
    masked: str


def seal_id_card(normalised: str, *, known_hash: str = "") -> SealedValue:
    """The stored form of an already normalised ID-card number (personal_data.normalise_id_card).
    Shared by registration and bulk imports, so both write exactly the same columns; an import
    that already looked the number up passes its hash instead of computing it twice."""
    return SealedValue(
        known_hash or personal_data.lookup_hash("id_card", normalised),
        personal_data.encrypt(normalised),
        personal_data.mask_id_card(normalised),
    )


def seal_phone(normalised: str, *, known_hash: str = "") -> SealedValue:
    """The stored form of an already normalised phone number (personal_data.normalise_phone)."""
    return SealedValue(
        known_hash or personal_data.lookup_hash("phone", normalised),
        personal_data.encrypt(normalised),
        personal_data.mask_phone(normalised),
    )


def _check_registrar(actor: User | None, grid: Area) -> None:
    # actor=None is a trusted system process (demo data, imports); people must hold a registrar
    # role over the grid.
    if actor is not None and not covers_area(actor, grid, RESIDENT_REGISTRAR_ROLES):
        raise PermissionDenied(_("You may register residents only in your own grid or community."))


@transaction.atomic
def household_create(*, actor: User | None, address: str, grid: Area) -> Household:
    if grid.kind != Area.Kind.GRID:
        raise ValidationError(_("A household belongs to a grid."))
    if not address.strip():
        raise ValidationError(_("A household needs an address."))
    _check_registrar(actor, grid)
    household = Household.objects.create(address=address.strip(), grid=grid)
    audit_record(actor=actor, action="household.create", target=household, details={"grid": grid.code})
    return household


@transaction.atomic
def resident_register(
    *,
    actor: User | None,
    household: Household,
    full_name: str,
    id_card_number: str = "",
    phone: str = "",
    is_elderly: bool = False,
    lives_alone: bool = False,
    consent_given: bool = False,
    user: User | None = None,
) -> ResidentProfile:
    """Register a resident in a household; validates and encrypts the ID-card number and phone."""
    _check_registrar(actor, household.grid)
    if not full_name.strip():
        raise ValidationError(_("A resident needs a name."))
    profile = ResidentProfile(
        household=household,
        full_name=full_name.strip(),
        is_elderly=is_elderly,
        lives_alone=lives_alone,
        consent_given_at=timezone.now() if consent_given else None,
        user=user,
        registered_by=actor,
    )
    if id_card_number.strip():
        sealed = seal_id_card(personal_data.normalise_id_card(id_card_number))
        if ResidentProfile.objects.filter(id_card_hash=sealed.hash).exists():
            raise ValidationError(_("A resident with this ID-card number is already registered."))
        profile.id_card_hash, profile.id_card_encrypted, profile.id_card_masked = sealed
    if phone.strip():
        profile.phone_hash, profile.phone_encrypted, profile.phone_masked = seal_phone(
            personal_data.normalise_phone(phone)
        )
    if user is not None and ResidentProfile.objects.filter(user=user).exists():
        raise ValidationError(_("This account already has a resident profile."))
    profile.save()
    audit_record(
        actor=actor, action="resident.register", target=profile, details={"household": str(household.public_id)}
    )
    return profile


@dataclass(frozen=True)
class RevealedIdentity:
    id_card_number: str
    phone: str


def can_reveal(*, actor: User, profile: ResidentProfile) -> bool:
    """The resident themself, or a grid worker or community staff member over their grid."""
    if profile.user_id is not None and profile.user_id == actor.pk:
        return True
    return covers_area(actor, profile.household.grid, UNMASK_ROLES)


@transaction.atomic
def resident_identity_reveal(*, actor: User, profile: ResidentProfile) -> RevealedIdentity:
    """Decrypt a resident's ID-card number and phone for someone whose work needs them, and record
    that they did. The only code path that returns these values in full."""
    if not can_reveal(actor=actor, profile=profile):
        raise PermissionDenied(_("Your role does not allow seeing this resident's full details."))
    audit_record(actor=actor, action="resident.reveal", target=profile)
    return RevealedIdentity(
        id_card_number=personal_data.decrypt(profile.id_card_encrypted) if profile.id_card_encrypted else "",
        phone=personal_data.decrypt(profile.phone_encrypted) if profile.phone_encrypted else "",
    )
