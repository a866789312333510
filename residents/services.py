from dataclasses import dataclass

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
        id_card = personal_data.normalise_id_card(id_card_number)
        profile.id_card_hash = personal_data.lookup_hash("id_card", id_card)
        if ResidentProfile.objects.filter(id_card_hash=profile.id_card_hash).exists():
            raise ValidationError(_("A resident with this ID-card number is already registered."))
        profile.id_card_encrypted = personal_data.encrypt(id_card)
        profile.id_card_masked = personal_data.mask_id_card(id_card)
    if phone.strip():
        phone_number = personal_data.normalise_phone(phone)
        profile.phone_hash = personal_data.lookup_hash("phone", phone_number)
        profile.phone_encrypted = personal_data.encrypt(phone_number)
        profile.phone_masked = personal_data.mask_phone(phone_number)
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
