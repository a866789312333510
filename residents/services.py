import uuid
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area
from residents.data_rights import consent_purpose, sections
from residents.models import (
    CorrectionRequest,
    Household,
    RegisterConflict,
    ResidencyVerification,
    ResidentProfile,
    RevealPurpose,
)
from residents.selectors import personal_data_of
from security import personal_data
from security.audit import audit_record
from security.models import Role, RoleAssignment, User
from security.roles import RESIDENT_REGISTRAR_ROLES, UNMASK_ROLES
from security.scoping import covers_area, forget_role_assignments, role_assignments
from security.services import role_grant, role_revoke


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


HOUSEHOLD_CODE_MAX = 64
HOUSEHOLD_ADDRESS_MAX = 255


def _household_code_checked(household_code: str) -> str | None:
    """The household number as imports accept it (no spaces, at most 64 characters, unique), or
    None for a household registered without one."""
    code = household_code.strip()
    if not code:
        return None
    if any(ch.isspace() for ch in code):
        raise ValidationError({"household_code": _("A household number has no spaces.")})
    if len(code) > HOUSEHOLD_CODE_MAX:
        raise ValidationError({"household_code": _("A household number has at most 64 characters.")})
    if Household.objects.filter(household_code=code).exists():
        raise ValidationError({"household_code": _("A household with this number is already registered.")})
    return code


@transaction.atomic
def household_create(*, actor: User | None, address: str, grid: Area, household_code: str = "") -> Household:
    if grid.kind != Area.Kind.GRID:
        raise ValidationError(_("A household belongs to a grid."))
    if not address.strip():
        raise ValidationError(_("A household needs an address."))
    if len(address.strip()) > HOUSEHOLD_ADDRESS_MAX:
        raise ValidationError({"address": _("An address has at most 255 characters.")})
    _check_registrar(actor, grid)
    code = _household_code_checked(household_code)
    household = Household.objects.create(address=address.strip(), grid=grid, household_code=code)
    audit_record(actor=actor, action="household.create", target=household, details={"grid": grid.code})
    return household


ELDERLY_AGE = 60


def birth_of(normalised_id_card: str) -> tuple[int, int]:
    """The birth year and month written in an already normalised ID-card number."""
    born = personal_data.id_card_birth_date(normalised_id_card)
    return born.year, born.month


def elderly_by_birth(birth_year: int, birth_month: int, *, today: date | None = None) -> bool:
    """60 or over this month: the register's rule for "elderly" once the birth year and month are
    known (counted in whole months, since the day is not kept)."""
    today = today or timezone.localdate()
    return (today.year - birth_year) * 12 + today.month - birth_month >= ELDERLY_AGE * 12


def _birth_checked(birth_year, birth_month) -> tuple[int | None, int | None]:
    """A birth year and month typed in (a newborn without an ID number yet): both or neither, not
    in the future, not before 1900."""
    if birth_year in (None, "") and birth_month in (None, ""):
        return None, None
    try:
        year, month = int(birth_year), int(birth_month)
    except (TypeError, ValueError):
        raise ValidationError({"birth_year": _("Give both the year and the month of birth.")}) from None
    today = timezone.localdate()
    if not 1 <= month <= 12 or year < 1900 or (year, month) > (today.year, today.month):
        raise ValidationError({"birth_year": _("This is not a possible year and month of birth.")})
    return year, month


def _sealed_id_card_checked(id_card_number: str, *, profile_pk: int | None = None) -> tuple[SealedValue, tuple]:
    """Validate and seal a typed ID-card number, refusing one registered for someone else; with
    the birth year and month it carries."""
    try:
        normalised = personal_data.normalise_id_card(id_card_number)
    except ValidationError as exc:
        raise ValidationError({"id_card_number": exc.messages}) from None
    sealed = seal_id_card(normalised)
    if ResidentProfile.objects.filter(id_card_hash=sealed.hash).exclude(pk=profile_pk).exists():
        raise ValidationError({"id_card_number": _("A resident with this ID-card number is already registered.")})
    return sealed, birth_of(normalised)


def _sealed_phone_checked(phone: str) -> SealedValue:
    try:
        return seal_phone(personal_data.normalise_phone(phone))
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None


@transaction.atomic
def resident_register(
    *,
    actor: User | None,
    household: Household,
    full_name: str,
    id_card_number: str = "",
    phone: str = "",
    is_elderly: bool | None = None,
    lives_alone: bool = False,
    consent_given: bool = False,
    user: User | None = None,
    birth_year: int | None = None,
    birth_month: int | None = None,
) -> ResidentProfile:
    """Register a resident in a household (moving in, a birth, at the verification desk); validates
    and encrypts the ID-card number and phone. The birth year and month come from the ID-card
    number, or as given when there is none yet (a newborn); `is_elderly` left as None follows them."""
    _check_registrar(actor, household.grid)
    if not full_name.strip():
        raise ValidationError({"full_name": _("A resident needs a name.")})
    if len(full_name.strip()) > FULL_NAME_MAX:
        raise ValidationError({"full_name": _("A name has at most 100 characters.")})
    profile = ResidentProfile(
        household=household,
        full_name=full_name.strip(),
        lives_alone=lives_alone,
        consent_given_at=timezone.now() if consent_given else None,
        user=user,
        registered_by=actor,
    )
    if id_card_number.strip():
        sealed, (profile.birth_year, profile.birth_month) = _sealed_id_card_checked(id_card_number)
        profile.id_card_hash, profile.id_card_encrypted, profile.id_card_masked = sealed
    else:
        profile.birth_year, profile.birth_month = _birth_checked(birth_year, birth_month)
    if phone.strip():
        profile.phone_hash, profile.phone_encrypted, profile.phone_masked = _sealed_phone_checked(phone)
    if is_elderly is None:
        is_elderly = profile.birth_year is not None and elderly_by_birth(profile.birth_year, profile.birth_month)
    profile.is_elderly = is_elderly
    if user is not None and ResidentProfile.objects.filter(user=user).exists():
        raise ValidationError(_("This account already has a resident profile."))
    profile.save()
    audit_record(
        actor=actor, action="resident.register", target=profile, details={"household": str(household.public_id)}
    )
    return profile


FULL_NAME_MAX = 100
# The fields staff edit in the portal, as recorded in `staff_edited` and in the audit (the names of
# the fields changed, never their values).
EDITABLE_FIELDS = ("full_name", "id_card", "phone", "is_elderly", "lives_alone", "birth")


def can_edit_register(*, actor: User, profile: ResidentProfile) -> bool:
    return covers_area(actor, profile.household.grid, RESIDENT_REGISTRAR_ROLES)


def _registrar_profile(actor: User | None, profile: ResidentProfile) -> ResidentProfile:
    profile = (
        ResidentProfile.objects.select_for_update(of=("self",)).select_related("household__grid").get(pk=profile.pk)
    )
    _check_registrar(actor, profile.household.grid)
    return profile


@transaction.atomic
def resident_update(
    *,
    actor: User,
    profile: ResidentProfile,
    full_name: str | None = None,
    id_card_number: str = "",
    phone: str = "",
    is_elderly: bool | None = None,
    lives_alone: bool | None = None,
    birth_year: int | None = None,
    birth_month: int | None = None,
    because: dict | None = None,
) -> list[str]:
    """Staff over the resident's grid edit their record; None (or an empty number) leaves a field as
    it is. Validated and sealed as at registration. Returns the fields changed, which are recorded
    with the time in `staff_edited` (so imports leave them alone) and named in the audit event,
    never with their values. `because` adds to the audit event (e.g. the correction decided)."""
    profile = _registrar_profile(actor, profile)
    changed: list[str] = []
    if full_name is not None and full_name.strip() != profile.full_name:
        if not full_name.strip():
            raise ValidationError({"full_name": _("A resident needs a name.")})
        if len(full_name.strip()) > FULL_NAME_MAX:
            raise ValidationError({"full_name": _("A name has at most 100 characters.")})
        profile.full_name = full_name.strip()
        changed.append("full_name")
    if id_card_number.strip():
        sealed, birth = _sealed_id_card_checked(id_card_number, profile_pk=profile.pk)
        if sealed.hash != profile.id_card_hash:
            profile.id_card_hash, profile.id_card_encrypted, profile.id_card_masked = sealed
            changed.append("id_card")
            if birth != (profile.birth_year, profile.birth_month):
                profile.birth_year, profile.birth_month = birth
                changed.append("birth")
    elif profile.id_card_hash is None and (birth_year not in (None, "") or birth_month not in (None, "")):
        # Without an ID number the birth year and month are typed in; with one they follow it.
        birth = _birth_checked(birth_year, birth_month)
        if birth != (profile.birth_year, profile.birth_month):
            profile.birth_year, profile.birth_month = birth
            changed.append("birth")
    if phone.strip():
        sealed = _sealed_phone_checked(phone)
        if sealed.hash != profile.phone_hash:
            profile.phone_hash, profile.phone_encrypted, profile.phone_masked = sealed
            changed.append("phone")
    for name, value in (("is_elderly", is_elderly), ("lives_alone", lives_alone)):
        if value is not None and bool(value) != getattr(profile, name):
            setattr(profile, name, bool(value))
            changed.append(name)
    if not changed:
        return []
    now = timezone.now().isoformat()
    profile.staff_edited = {**profile.staff_edited, **dict.fromkeys(changed, now)}
    profile.save()
    audit_record(actor=actor, action="resident.update", target=profile, details={"fields": changed, **(because or {})})
    return changed


@transaction.atomic
def household_update(*, actor: User, household: Household, address: str, because: dict | None = None) -> bool:
    """Staff over the household's grid correct its address (for everyone registered in it)."""
    household = Household.objects.select_for_update().select_related("grid").get(pk=household.pk)
    _check_registrar(actor, household.grid)
    address = address.strip()
    if not address:
        raise ValidationError({"address": _("A household needs an address.")})
    if len(address) > HOUSEHOLD_ADDRESS_MAX:
        raise ValidationError({"address": _("An address has at most 255 characters.")})
    if address == household.address:
        return False
    household.address = address
    household.address_edited_at = timezone.now()
    household.save(update_fields=["address", "address_edited_at", "updated_at"])
    audit_record(
        actor=actor, action="household.update", target=household, details={"fields": ["address"], **(because or {})}
    )
    return True


END_UNDO_REASON_MAX = 500


def _date_checked(value, *, after: date | None = None) -> date:
    if not isinstance(value, date):
        raise ValidationError({"on": _("Give the date.")})
    if value > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    if after is not None and value < after:
        raise ValidationError({"on": _("The date cannot be before the person was born.")})
    return value


def _birth_floor(profile: ResidentProfile) -> date | None:
    return date(profile.birth_year, profile.birth_month, 1) if profile.birth_year else None


def _end_linked_account(actor: User, profile: ResidentProfile) -> None:
    if profile.user_id is not None:
        verification_end(actor=actor, profile=profile)
        profile.refresh_from_db()


@transaction.atomic
def resident_move_out(*, actor: User, profile: ResidentProfile, on: date) -> ResidentProfile:
    """The resident has moved away: the entry stays in the register, marked, and no longer counts
    among the people living here (elderly lists, notices' audiences); a verified account is unlinked."""
    profile = _registrar_profile(actor, profile)
    if not profile.is_living_here:
        raise ValidationError(_("This resident is already recorded as moved out or deceased."))
    profile.moved_out_on = _date_checked(on, after=_birth_floor(profile))
    profile.save(update_fields=["moved_out_on", "updated_at"])
    audit_record(actor=actor, action="resident.move_out", target=profile, details={"on": on.isoformat()})
    _end_linked_account(actor, profile)
    return profile


@transaction.atomic
def household_move_out(*, actor: User, household: Household, on: date) -> int:
    """The whole household moved away: each person still living there is recorded as moved out (as
    `resident_move_out`, each audited). Returns how many."""
    household = Household.objects.select_for_update().select_related("grid").get(pk=household.pk)
    _check_registrar(actor, household.grid)
    staying = list(ResidentProfile.objects.living().filter(household=household).order_by("pk"))
    if not staying:
        raise ValidationError(_("No one is recorded as living in this household."))
    for profile in staying:
        resident_move_out(actor=actor, profile=profile, on=on)
    return len(staying)


@transaction.atomic
def resident_record_death(*, actor: User, profile: ResidentProfile, on: date) -> ResidentProfile:
    """Record a resident's death with its date: the entry stays, and no longer counts among the
    living residents; a verified account is unlinked."""
    profile = _registrar_profile(actor, profile)
    if profile.died_on is not None:
        raise ValidationError(_("This resident's death is already recorded."))
    if profile.moved_out_on is not None:
        raise ValidationError(_("This resident has moved out; their death is recorded where they live now."))
    profile.died_on = _date_checked(on, after=_birth_floor(profile))
    profile.save(update_fields=["died_on", "updated_at"])
    audit_record(actor=actor, action="resident.death", target=profile, details={"on": on.isoformat()})
    _end_linked_account(actor, profile)
    return profile


@transaction.atomic
def resident_end_undo(*, actor: User, profile: ResidentProfile, reason: str) -> ResidentProfile:
    """Take back a moving out or a death recorded by mistake, with the reason: the person counts
    among the residents living here again. An account unlinked then stays unlinked: the resident
    verifies again, as anyone linking an account does."""
    profile = _registrar_profile(actor, profile)
    if profile.is_living_here:
        raise ValidationError(_("This resident is recorded as living here; there is nothing to take back."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the record was a mistake.")})
    if len(reason) > END_UNDO_REASON_MAX:
        raise ValidationError({"reason": _("The reason has at most 500 characters.")})
    was = {"moved_out_on": profile.moved_out_on, "died_on": profile.died_on}
    profile.moved_out_on = profile.died_on = None
    profile.save(update_fields=["moved_out_on", "died_on", "updated_at"])
    details = {name: day.isoformat() for name, day in was.items() if day is not None}
    audit_record(actor=actor, action="resident.end_undo", target=profile, details={**details, "reason": reason})
    return profile


@transaction.atomic
def household_move_in(
    *, actor: User, grid: Area, address: str, household_code: str = "", **resident
) -> ResidentProfile:
    """A household that moved in: the household and its first resident, registered together or not
    at all."""
    household = household_create(actor=actor, address=address, grid=grid, household_code=household_code)
    return resident_register(actor=actor, household=household, **resident)


# --- imports and staff edits ----------------------------------------------------------------------
def register_conflicts_record(conflicts: dict[int, list[tuple[str, str]]], addresses: dict[int, str]) -> None:
    """Called by the household-registration import, in its batch's transaction, for the fields it
    left as staff had edited them: {profile pk: [(field, the import's value encrypted)]} and
    {household pk: the import's address encrypted}. An open conflict on the same field takes the
    newer import's value. The import's own audit event counts them."""
    households = dict(ResidentProfile.objects.filter(pk__in=list(conflicts)).values_list("pk", "household_id"))
    for profile_id, found in conflicts.items():
        for field, encrypted in found:
            RegisterConflict.objects.update_or_create(
                profile_id=profile_id,
                field=field,
                status=RegisterConflict.Status.OPEN,
                defaults={"import_value_encrypted": encrypted, "household_id": households[profile_id]},
            )
    for household_id, encrypted in addresses.items():
        RegisterConflict.objects.update_or_create(
            household_id=household_id,
            field=RegisterConflict.Field.ADDRESS,
            status=RegisterConflict.Status.OPEN,
            defaults={"import_value_encrypted": encrypted},
        )


def register_conflict_values(conflict: RegisterConflict) -> tuple[str, str]:
    """The import's value and the register's, as staff see them (a phone masked)."""
    profile = conflict.profile
    imported = personal_data.decrypt(conflict.import_value_encrypted) if conflict.import_value_encrypted else ""
    if conflict.field == RegisterConflict.Field.ADDRESS:
        return imported, conflict.household.address
    if conflict.field == RegisterConflict.Field.PHONE:
        return (personal_data.mask_phone(imported) if imported else "—"), profile.phone_masked or "—"
    if conflict.field == RegisterConflict.Field.FULL_NAME:
        return imported, profile.full_name
    yes, no = _("Yes"), _("No")
    return (yes if imported == "1" else no), (yes if getattr(profile, conflict.field) else no)


def _settle_address(actor: User, conflict: RegisterConflict, *, take_import: bool, because: dict) -> None:
    """Take the import's address through the register's edit, after which it follows imports again;
    or keep the register's, as an edit of now, so the next import that differs asks again."""
    if take_import:
        address = personal_data.decrypt(conflict.import_value_encrypted)
        household_update(actor=actor, household=conflict.household, address=address, because=because)
        Household.objects.filter(pk=conflict.household_id).update(address_edited_at=None)
    else:
        Household.objects.filter(pk=conflict.household_id).update(address_edited_at=timezone.now())


def _settle_resident_field(actor: User, conflict: RegisterConflict, *, take_import: bool, because: dict) -> None:
    """As `_settle_address`, for a field of the resident (through `resident_update` and `staff_edited`)."""
    field = conflict.field
    if take_import:
        value = personal_data.decrypt(conflict.import_value_encrypted)
        # The conflict's fields are resident_update's arguments; yes/no travel as "1" / "0".
        is_flag = field in (RegisterConflict.Field.IS_ELDERLY, RegisterConflict.Field.LIVES_ALONE)
        resident_update(
            actor=actor, profile=conflict.profile, because=because, **{field: value == "1" if is_flag else value}
        )
        profile = ResidentProfile.objects.select_for_update().get(pk=conflict.profile_id)
        profile.staff_edited = {name: at for name, at in profile.staff_edited.items() if name != field}
    else:
        profile = ResidentProfile.objects.select_for_update().get(pk=conflict.profile_id)
        profile.staff_edited = {**profile.staff_edited, field: timezone.now().isoformat()}
    profile.save(update_fields=["staff_edited", "updated_at"])


@transaction.atomic
def register_conflict_settle(*, actor: User, conflict: RegisterConflict, take_import: bool) -> RegisterConflict:
    """Staff of the household's grid or community settle a conflict: keep the register's value or
    take the import's."""
    conflict = (
        RegisterConflict.objects.select_for_update(of=("self",))
        .select_related("household__grid", "profile")
        .get(pk=conflict.pk)
    )
    _check_registrar(actor, conflict.household.grid)
    if conflict.status != RegisterConflict.Status.OPEN:
        raise ValidationError(_("This conflict has already been settled."))
    because = {"conflict": str(conflict.public_id)}
    settle = _settle_address if conflict.field == RegisterConflict.Field.ADDRESS else _settle_resident_field
    settle(actor, conflict, take_import=take_import, because=because)
    conflict.status = RegisterConflict.Status.TAKEN if take_import else RegisterConflict.Status.KEPT
    conflict.decided_by, conflict.decided_at = actor, timezone.now()
    # The import's value has served its purpose once settled: keep no copy of it.
    conflict.import_value_encrypted = ""
    conflict.save(update_fields=["status", "decided_by", "decided_at", "import_value_encrypted", "updated_at"])
    audit_record(
        actor=actor,
        action="register.conflict_take" if take_import else "register.conflict_keep",
        target=conflict.profile or conflict.household,
        details={"conflict": str(conflict.public_id), "field": conflict.field},
    )
    return conflict


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
def resident_record_view(*, actor: User, profile: ResidentProfile) -> None:
    """Record that someone other than the resident opened their record (masked), so the resident
    can see it on "who used my data"; the caller has already checked the actor may see it."""
    if profile.user_id is not None and profile.user_id == actor.pk:
        return
    audit_record(actor=actor, action="resident.view", target=profile)


@transaction.atomic
def resident_identity_reveal(
    *, actor: User, profile: ResidentProfile, purpose: str = "", purpose_note: str = ""
) -> RevealedIdentity:
    """Decrypt a resident's ID-card number and phone for someone whose work needs them, and record
    that they did and why (the resident sees the purpose on "who used my data"). The only code
    path that returns these values in full. The resident themself gives no purpose."""
    if not can_reveal(actor=actor, profile=profile):
        raise PermissionDenied(_("Your role does not allow seeing this resident's full details."))
    details = {}
    if profile.user_id is None or profile.user_id != actor.pk:
        details = _reveal_purpose_checked(profile=profile, purpose=purpose, note=purpose_note)
    audit_record(actor=actor, action="resident.reveal", target=profile, details=details)
    return RevealedIdentity(
        id_card_number=personal_data.decrypt(profile.id_card_encrypted) if profile.id_card_encrypted else "",
        phone=personal_data.decrypt(profile.phone_encrypted) if profile.phone_encrypted else "",
    )


def contact_consent_given(profile: ResidentProfile) -> bool:
    """Has the resident agreed to be contacted or visited by their community for care?"""
    return profile.consent_given_at is not None and profile.consent_withdrawn_at is None


PURPOSE_NOTE_MAX = 200


def _reveal_purpose_checked(*, profile: ResidentProfile, purpose: str, note: str) -> dict:
    if purpose not in RevealPurpose.values:
        raise ValidationError({"purpose": _("Choose why you need the full ID-card number and phone.")})
    note = " ".join(note.split())
    if len(note) > PURPOSE_NOTE_MAX:
        raise ValidationError({"purpose_note": _("Keep the reason under 200 characters.")})
    if purpose == RevealPurpose.OTHER and not note:
        raise ValidationError({"purpose_note": _("Say why you need the full ID-card number and phone.")})
    if purpose == RevealPurpose.CARE_CONTACT and not contact_consent_given(profile):
        raise ValidationError(
            {
                "purpose": _(
                    "This resident has not agreed (or no longer agrees) to be contacted for care. "
                    "Choose another purpose only if it truly applies."
                )
            }
        )
    return {"purpose": purpose, "purpose_note": note} if note else {"purpose": purpose}


# --- corrections (PIPL art. 46) ------------------------------------------------------------------
CORRECTION_TEXT_MAX = 1000
_BOOLEAN_FIELDS = {CorrectionRequest.Field.IS_ELDERLY, CorrectionRequest.Field.LIVES_ALONE}


def _proposed_value_checked(field: str, value: str) -> str:
    """The value a resident asks for, normalised; invalid values are refused when asked, so the
    resident can fix them at once rather than hear back days later."""
    value = " ".join(value.split())
    if field in _BOOLEAN_FIELDS:
        return ""  # a wrong yes/no has one right answer: the other one
    if not value:
        raise ValidationError({"proposed_value": _("Say what it should be.")})
    if len(value) > 255:
        raise ValidationError({"proposed_value": _("That is too long.")})
    try:
        if field == CorrectionRequest.Field.ID_CARD:
            return personal_data.normalise_id_card(value)
        if field == CorrectionRequest.Field.PHONE:
            return personal_data.normalise_phone(value)
    except ValidationError as exc:
        raise ValidationError({"proposed_value": exc.messages}) from None
    return value


@transaction.atomic
def correction_request_file(*, user: User, field: str, explanation: str, proposed_value: str = "") -> CorrectionRequest:
    """The resident asks their community to correct one field of their record."""
    profile = ResidentProfile.objects.select_related("household__grid").filter(user=user).first()
    if profile is None:
        raise ValidationError(_("Only a registered resident can ask for a correction of the register."))
    if field not in CorrectionRequest.Field.values:
        raise ValidationError({"field": _("Choose what is wrong.")})
    explanation = explanation.strip()
    if not explanation:
        raise ValidationError({"explanation": _("Say what is wrong.")})
    if len(explanation) > CORRECTION_TEXT_MAX:
        raise ValidationError({"explanation": _("Keep it under 1,000 characters.")})
    value = _proposed_value_checked(field, proposed_value)
    if CorrectionRequest.objects.filter(profile=profile, field=field, status=CorrectionRequest.Status.PENDING).exists():
        raise ValidationError(_("You have already asked to correct this; your community has not answered yet."))
    correction = CorrectionRequest.objects.create(
        profile=profile,
        requested_by=user,
        field=field,
        explanation=explanation,
        proposed_value_encrypted=personal_data.encrypt(value) if value else "",
    )
    audit_record(
        actor=user,
        action="correction.request",
        target=profile,
        details={"correction": str(correction.public_id), "field": field},
    )
    return correction


def correction_proposed_value(correction: CorrectionRequest) -> str:
    return personal_data.decrypt(correction.proposed_value_encrypted) if correction.proposed_value_encrypted else ""


def can_decide_correction(*, actor: User, correction: CorrectionRequest) -> bool:
    return covers_area(actor, correction.profile.household.grid, RESIDENT_REGISTRAR_ROLES)


def _correction_for_decision(actor: User, correction: CorrectionRequest) -> CorrectionRequest:
    correction = (
        CorrectionRequest.objects.select_for_update(of=("self",))
        .select_related("profile__household__grid")
        .get(pk=correction.pk)
    )
    if not can_decide_correction(actor=actor, correction=correction):
        raise PermissionDenied(_("Only the staff of the resident's grid or community decide corrections."))
    if correction.status != CorrectionRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return correction


def _apply_to_register(actor: User, correction: CorrectionRequest) -> None:
    """Apply what the resident asked through the register's own edit services (validated, sealed,
    marked as edited by staff, audited)."""
    profile = correction.profile
    value = correction_proposed_value(correction)
    because = {"correction": str(correction.public_id)}
    Field = CorrectionRequest.Field
    if correction.field == Field.ADDRESS:
        # The address is the household's: correcting it corrects it for everyone registered there.
        household_update(actor=actor, household=profile.household, address=value, because=because)
        return
    if correction.field in _BOOLEAN_FIELDS:
        # A wrong yes/no has one right answer: the other one.
        changes = {correction.field: not getattr(profile, correction.field)}
    else:
        changes = {
            Field.FULL_NAME: {"full_name": value},
            Field.ID_CARD: {"id_card_number": value},
            Field.PHONE: {"phone": value},
        }[correction.field]
    try:
        resident_update(actor=actor, profile=profile, because=because, **changes)
    except ValidationError as exc:
        if correction.field == Field.ID_CARD and "already registered" in " ".join(exc.messages):
            raise ValidationError(
                _("Another resident is registered with this ID-card number; check it in person.")
            ) from None
        raise


def _decide(correction: CorrectionRequest, *, actor: User, status: str, reason: str) -> None:
    correction.status = status
    correction.decided_by = actor
    correction.decided_at = timezone.now()
    correction.decision_reason = reason
    # The value asked for has served its purpose once decided: keep no copy of it.
    correction.proposed_value_encrypted = ""
    correction.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "proposed_value_encrypted",
            "updated_at",
        ]
    )


@transaction.atomic
def correction_apply(*, actor: User, correction: CorrectionRequest, reason: str = "") -> CorrectionRequest:
    """Staff over the resident's grid correct the register as the resident asked."""
    correction = _correction_for_decision(actor, correction)
    reason = reason.strip()[:CORRECTION_TEXT_MAX]
    _apply_to_register(actor, correction)
    _decide(correction, actor=actor, status=CorrectionRequest.Status.APPLIED, reason=reason)
    audit_record(
        actor=actor,
        action="correction.apply",
        target=correction.profile,
        details={"correction": str(correction.public_id), "field": correction.field},
    )
    return correction


@transaction.atomic
def correction_refuse(*, actor: User, correction: CorrectionRequest, reason: str) -> CorrectionRequest:
    """Staff refuse a correction, telling the resident why (e.g. the ID card shown says otherwise)."""
    correction = _correction_for_decision(actor, correction)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the resident why their record is not corrected.")})
    if len(reason) > CORRECTION_TEXT_MAX:
        raise ValidationError({"reason": _("Keep it under 1,000 characters.")})
    _decide(correction, actor=actor, status=CorrectionRequest.Status.REFUSED, reason=reason)
    audit_record(
        actor=actor,
        action="correction.refuse",
        target=correction.profile,
        details={"correction": str(correction.public_id), "field": correction.field},
    )
    return correction


@transaction.atomic
def correction_open(*, actor: User, correction: CorrectionRequest) -> str:
    """The value the resident asked for, for the staff deciding it; recorded like a reveal, since
    it may be a full ID-card number or phone."""
    if not can_decide_correction(actor=actor, correction=correction):
        raise PermissionDenied(_("Only the staff of the resident's grid or community decide corrections."))
    value = correction_proposed_value(correction)
    if value:
        audit_record(
            actor=actor,
            action="correction.view",
            target=correction.profile,
            details={"correction": str(correction.public_id), "field": correction.field},
        )
    return value


# --- consents (PIPL art. 15) ---------------------------------------------------------------------
def _consent_definition(purpose: str):
    definition = consent_purpose(purpose)
    if definition is None:
        raise ValidationError(_("There is no such consent."))
    return definition


@transaction.atomic
def consent_withdraw(*, user: User, purpose: str) -> None:
    """Withdraw a consent; as easy as giving it, and effective from now on."""
    definition = _consent_definition(purpose)
    state = definition.given(user)
    if state is None or not state[0]:
        raise ValidationError(_("You have not given this consent, so there is nothing to withdraw."))
    definition.withdraw(user)
    audit_record(actor=user, action="consent.withdraw", target=user, details={"purpose": purpose})


@transaction.atomic
def consent_give(*, user: User, purpose: str) -> None:
    definition = _consent_definition(purpose)
    state = definition.given(user)
    if state is None or definition.give is None:
        raise ValidationError(_("This consent is given on its own page."))
    if state[0]:
        return
    definition.give(user)
    audit_record(actor=user, action="consent.give", target=user, details={"purpose": purpose})


def contact_consent_state(user: User) -> tuple[bool, object] | None:
    profile = ResidentProfile.objects.filter(user=user).only("consent_given_at", "consent_withdrawn_at").first()
    if profile is None:
        return None
    given = contact_consent_given(profile)
    return given, profile.consent_given_at if given else profile.consent_withdrawn_at


def contact_consent_withdraw(user: User) -> None:
    ResidentProfile.objects.filter(user=user).update(consent_withdrawn_at=timezone.now(), updated_at=timezone.now())


def contact_consent_give(user: User) -> None:
    now = timezone.now()
    ResidentProfile.objects.filter(user=user).update(consent_given_at=now, consent_withdrawn_at=None, updated_at=now)


# --- export and deletion (PIPL art. 45 and 47) ---------------------------------------------------
@transaction.atomic
def personal_data_export(*, user: User, fmt: str) -> dict:
    """Everything the portal holds about `user`, for themself; recorded (a copy of one's own ID
    number leaving the portal is worth knowing about if the account was taken over)."""
    data = personal_data_of(user=user)
    audit_record(
        actor=user,
        action="data.export_own",
        target=user,
        details={"format": fmt, "sections": [name for name in data if name != "generated_at"]},
    )
    return data


def account_self_deletable(user: User) -> bool:
    """Residents delete their own accounts; anyone who works with others' data is deactivated by an
    administrator instead, so their actions stay attributable and their hand-over is planned."""
    if user.is_staff or user.is_superuser:
        return False
    return all(assignment.role == Role.RESIDENT for assignment in role_assignments(user))


def _erase_sign_in_secrets(user: User) -> dict:
    from django.apps import apps

    counts = {}
    if apps.is_installed("allauth.account"):
        from allauth.account.models import EmailAddress

        counts["email_addresses"] = EmailAddress.objects.filter(user=user).delete()[0]
    if apps.is_installed("allauth.mfa"):
        from allauth.mfa.models import Authenticator

        counts["authenticators"] = Authenticator.objects.filter(user=user).delete()[0]
    if apps.is_installed("allauth.usersessions"):
        from allauth.usersessions.models import UserSession

        ended = 0
        for session in UserSession.objects.filter(user=user):
            session.end()
            ended += 1
        counts["sessions"] = ended
    return counts


@transaction.atomic
def account_delete(*, user: User, password: str) -> User:
    """Delete a resident's account (PIPL art. 47), keeping what the law makes the portal keep.

    The user row stays as a tombstone, because the audit log (kept at least six months, and
    hash-chained so it cannot be edited) points at it: its name, e-mail, password, authenticators
    and sign-in addresses are erased, the user name becomes a meaningless placeholder and it can
    no longer sign in. Every registered section erases or unlinks its own rows (see
    residents.data_rights). Other sessions end because the password hash they were made with is
    gone and the account is inactive.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise PermissionDenied(_("This account has already been deleted."))
    forget_role_assignments(user)
    if not account_self_deletable(user):
        raise PermissionDenied(_("Staff accounts are not deleted here: ask an administrator to deactivate yours."))
    if not password or not user.check_password(password):
        raise ValidationError({"password": _("That password is not right.")})

    erased = {}
    for section in sections():
        if section.erase is not None:
            erased[section.name] = section.erase(user)
    erased["sign_in"] = _erase_sign_in_secrets(user)
    erased["roles"] = RoleAssignment.objects.filter(user=user).delete()[0]
    forget_role_assignments(user)
    user.username = f"deleted-{uuid.uuid4().hex[:16]}"
    user.email = user.first_name = user.last_name = ""
    user.set_unusable_password()
    user.is_active = False
    user.save(update_fields=["username", "email", "first_name", "last_name", "password", "is_active"])
    audit_record(actor=user, action="account.delete", target=user, details={"erased": erased})
    return user


# --- residency verification ----------------------------------------------------------------------
VERIFICATION_CODE_TRIES_PER_DAY = 5
VERIFICATION_TEXT_MAX = 1000


def _code_refusal() -> str:
    # One message for every failure, so a try reveals neither whether the household number exists
    # nor whether the ID number is registered elsewhere.
    return _(
        "The household number and ID-card number do not match the register. Check both, or ask your "
        "community office to verify you in person."
    )


def _start_of_today():
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def verification_code_tries_today(user: User) -> int:
    return ResidencyVerification.objects.filter(
        user=user, method=ResidencyVerification.Method.CODE, created_at__gte=_start_of_today()
    ).count()


def _check_can_ask(user: User) -> User:
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    # Locking the account serialises one person's tries, so two at once cannot pass the daily limit.
    user = User.objects.select_for_update().get(pk=user.pk)
    if ResidentProfile.objects.filter(user=user).exists():
        raise ValidationError(_("Your account is already verified as a resident."))
    return user


def _link_account(*, verification: ResidencyVerification, profile: ResidentProfile, granted_by: User | None) -> None:
    """Link the account to its register entry and let it act as a resident of the entry's grid,
    which is also where the request form starts."""
    profile.user = verification.user
    profile.save(update_fields=["user", "updated_at"])
    role_grant(user=verification.user, role=Role.RESIDENT, area=profile.household.grid, granted_by=granted_by)


def _close_pending_in_person(user: User, reason: str) -> None:
    ResidencyVerification.objects.filter(user=user, status=ResidencyVerification.Status.PENDING).update(
        status=ResidencyVerification.Status.ENDED, reason=reason, decided_at=timezone.now(), updated_at=timezone.now()
    )


class _DailyTriesUsed(Exception):
    pass


def verification_by_code(*, user: User, household_code: str, id_number: str) -> ResidencyVerification:
    """See _verification_by_code. A try past the daily limit changes nothing, but is still recorded
    in the audit log (someone may be guessing), in a transaction of its own."""
    try:
        return _verification_by_code(user=user, household_code=household_code, id_number=id_number)
    except _DailyTriesUsed:
        with transaction.atomic():
            audit_record(actor=user, action="verification.code_limited", target=user)
        raise ValidationError(
            _("You have tried 5 times today. Try again tomorrow, or ask your community office to verify you in person.")
        ) from None


@transaction.atomic
def _verification_by_code(*, user: User, household_code: str, id_number: str) -> ResidencyVerification:
    """Verify an account by its household number and the holder's ID-card number, matched through
    the register's keyed hash. Returns the try: approved (the account is linked at once) or refused
    with a reason that says nothing about which part was wrong. A refused try on a real household
    stays visible to that household's grid and community staff: someone may hold a leaked ID number."""
    user = _check_can_ask(user)
    household_code = household_code.strip()
    if not household_code:
        raise ValidationError({"household_code": _("Enter your household number.")})
    try:
        normalised = personal_data.normalise_id_card(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    if verification_code_tries_today(user) >= VERIFICATION_CODE_TRIES_PER_DAY:
        raise _DailyTriesUsed
    household = Household.objects.select_related("grid__parent").filter(household_code=household_code).first()
    profile = (
        ResidentProfile.objects.select_for_update(of=("self",))
        .select_related("household__grid")
        .filter(id_card_hash=personal_data.lookup_hash("id_card", normalised))
        .first()
    )
    matched = household is not None and profile is not None and profile.household_id == household.pk
    if matched and profile.user_id is None:
        _close_pending_in_person(user, _("Verified by household number instead."))
        verification = ResidencyVerification.objects.create(
            user=user,
            method=ResidencyVerification.Method.CODE,
            status=ResidencyVerification.Status.APPROVED,
            community=household.grid.parent,
            household=household,
            profile=profile,
            decided_at=timezone.now(),
        )
        _link_account(verification=verification, profile=profile, granted_by=None)
        audit_record(
            actor=user,
            action="verification.code_approve",
            target=profile,
            details={"verification": str(verification.public_id)},
        )
        return verification
    verification = ResidencyVerification.objects.create(
        user=user,
        method=ResidencyVerification.Method.CODE,
        status=ResidencyVerification.Status.REFUSED,
        community=household.grid.parent if household else None,
        household=household,
        reason=_code_refusal(),
        decided_at=timezone.now(),
    )
    audit_record(
        actor=user,
        action="verification.code_refuse",
        target=household,
        details={"verification": str(verification.public_id), "household_matched": household is not None},
    )
    return verification


def verification_failures_claim_untold(*, limit: int = 100) -> list[ResidencyVerification]:
    """Mark up to `limit` failed household-number tries on a real household as told and return
    them, oldest first, with the household and its grid loaded.

    For notifications, which tells the grid's staff (residents does not import notifications): call
    it inside the transaction that writes the messages, so the claim commits or rolls back with
    them; SKIP LOCKED lets a second run take other tries instead of waiting.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            "verification_failures_claim_untold() must run inside the transaction that tells the staff."
        )
    tries = list(
        ResidencyVerification.objects.filter(
            method=ResidencyVerification.Method.CODE,
            status=ResidencyVerification.Status.REFUSED,
            household__isnull=False,
            told_at__isnull=True,
        )
        .select_related("household__grid")
        .order_by("id")
        .select_for_update(skip_locked=True, of=("self",))[:limit]
    )
    if tries:
        now = timezone.now()
        ResidencyVerification.objects.filter(pk__in=[t.pk for t in tries]).update(told_at=now)
        for verification in tries:
            verification.told_at = now
    return tries


@transaction.atomic
def verification_request_in_person(*, user: User, community: Area, note: str = "") -> ResidencyVerification:
    """Ask the community's staff to check in person (at the office, with the ID card)."""
    user = _check_can_ask(user)
    if community is None or community.kind != Area.Kind.COMMUNITY:
        raise ValidationError({"community": _("Choose your community.")})
    note = note.strip()
    if len(note) > 500:
        raise ValidationError({"note": _("Keep the note under 500 characters.")})
    if ResidencyVerification.objects.filter(user=user, status=ResidencyVerification.Status.PENDING).exists():
        raise ValidationError(_("You have already asked; your community has not answered yet."))
    verification = ResidencyVerification.objects.create(
        user=user, method=ResidencyVerification.Method.IN_PERSON, community=community, note=note
    )
    audit_record(
        actor=user,
        action="verification.request",
        target=verification,
        area=community,
        details={"verification": str(verification.public_id)},
    )
    return verification


def works_in_community(actor: User, community: Area | None) -> bool:
    """Community staff of the community, or a grid worker of one of its grids."""
    if community is None:
        return False
    return any(
        assignment.role in RESIDENT_REGISTRAR_ROLES
        and (community.path.startswith(assignment.area.path) or assignment.area.path.startswith(community.path))
        for assignment in role_assignments(actor)
    )


def _verification_for_decision(actor: User, verification: ResidencyVerification) -> ResidencyVerification:
    verification = (
        ResidencyVerification.objects.select_for_update(of=("self",))
        .select_related("community", "user")
        .get(pk=verification.pk)
    )
    if not works_in_community(actor, verification.community):
        raise PermissionDenied(_("Only the staff of the community asked decide this request."))
    if verification.status != ResidencyVerification.Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return verification


@transaction.atomic
def verification_approve(
    *, actor: User, verification: ResidencyVerification, profile: ResidentProfile
) -> ResidencyVerification:
    """Staff who checked the person in person link the account to their register entry."""
    verification = _verification_for_decision(actor, verification)
    profile = (
        ResidentProfile.objects.select_for_update(of=("self",)).select_related("household__grid").get(pk=profile.pk)
    )
    grid = profile.household.grid
    if not grid.path.startswith(verification.community.path) or not covers_area(actor, grid, RESIDENT_REGISTRAR_ROLES):
        raise ValidationError(_("This resident is not registered in your area of this community."))
    if profile.user_id is not None:
        raise ValidationError(_("This resident is already linked to another account; check it in person."))
    if ResidentProfile.objects.filter(user=verification.user).exists():
        raise ValidationError(_("This account is already verified as a resident."))
    verification.status = ResidencyVerification.Status.APPROVED
    verification.profile = profile
    verification.decided_by = actor
    verification.decided_at = timezone.now()
    verification.save(update_fields=["status", "profile", "decided_by", "decided_at", "updated_at"])
    _link_account(verification=verification, profile=profile, granted_by=actor)
    audit_record(
        actor=actor,
        action="verification.approve",
        target=profile,
        details={"verification": str(verification.public_id)},
    )
    return verification


@transaction.atomic
def verification_approve_new_resident(
    *,
    actor: User,
    verification: ResidencyVerification,
    household: Household,
    full_name: str,
    id_card_number: str,
    phone: str = "",
) -> ResidencyVerification:
    """A person not yet in the register: staff register them (with the register's own validation
    and encryption) and approve in one step, so neither happens without the other."""
    _verification_for_decision(actor, verification)
    if not id_card_number.strip():
        raise ValidationError({"id_card_number": _("Enter the ID-card number you checked.")})
    profile = resident_register(
        actor=actor, household=household, full_name=full_name, id_card_number=id_card_number, phone=phone
    )
    return verification_approve(actor=actor, verification=verification, profile=profile)


@transaction.atomic
def verification_approve_new_household(
    *,
    actor: User,
    verification: ResidencyVerification,
    address: str,
    grid: Area,
    full_name: str,
    id_card_number: str,
    household_code: str = "",
    phone: str = "",
) -> ResidencyVerification:
    """A person whose household is not yet in the register either: staff register the household
    (in a grid of the request's community and of their own area), the person in it, and approve, in
    one transaction, so nothing is left half-registered when any part is refused."""
    verification = _verification_for_decision(actor, verification)
    if grid is None or grid.kind != Area.Kind.GRID or not grid.path.startswith(verification.community.path):
        raise ValidationError({"grid": _("Choose a grid of the community the person asked.")})
    if not covers_area(actor, grid, RESIDENT_REGISTRAR_ROLES):
        raise ValidationError({"grid": _("You may register households only in your own grid or community.")})
    if not full_name.strip():
        raise ValidationError({"full_name": _("Enter the person's full name.")})
    if not address.strip():
        raise ValidationError({"address": _("Enter the household's address.")})
    household = household_create(actor=actor, address=address, grid=grid, household_code=household_code)
    return verification_approve_new_resident(
        actor=actor,
        verification=verification,
        household=household,
        full_name=full_name,
        id_card_number=id_card_number,
        phone=phone,
    )


@transaction.atomic
def verification_refuse(*, actor: User, verification: ResidencyVerification, reason: str) -> ResidencyVerification:
    verification = _verification_for_decision(actor, verification)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the person why they are not verified.")})
    if len(reason) > VERIFICATION_TEXT_MAX:
        raise ValidationError({"reason": _("Keep it under 1,000 characters.")})
    verification.status = ResidencyVerification.Status.REFUSED
    verification.reason = reason
    verification.decided_by = actor
    verification.decided_at = timezone.now()
    verification.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
    audit_record(
        actor=actor,
        action="verification.refuse",
        target=verification,
        area=verification.community,
        details={"verification": str(verification.public_id)},
    )
    return verification


def can_end_verification(*, actor: User, profile: ResidentProfile) -> bool:
    return profile.user_id is not None and covers_area(actor, profile.household.grid, RESIDENT_REGISTRAR_ROLES)


@transaction.atomic
def verification_end(*, actor: User, profile: ResidentProfile) -> ResidentProfile:
    """The resident has moved out: the account is no longer theirs to act for the household, and
    loses the resident role over its grid (the register entry itself stays)."""
    profile = (
        ResidentProfile.objects.select_for_update(of=("self",)).select_related("household__grid").get(pk=profile.pk)
    )
    if not covers_area(actor, profile.household.grid, RESIDENT_REGISTRAR_ROLES):
        raise PermissionDenied(_("Only the staff of the resident's grid or community end a verification."))
    if profile.user_id is None:
        raise ValidationError(_("This resident has no verified account."))
    user = profile.user
    ended = ResidencyVerification.objects.filter(user=user, status=ResidencyVerification.Status.APPROVED).update(
        status=ResidencyVerification.Status.ENDED,
        decided_by=actor,
        decided_at=timezone.now(),
        updated_at=timezone.now(),
    )
    profile.user = None
    profile.save(update_fields=["user", "updated_at"])
    for assignment in RoleAssignment.objects.filter(user=user, role=Role.RESIDENT, area=profile.household.grid):
        role_revoke(assignment=assignment, revoked_by=actor)
    audit_record(actor=actor, action="verification.end", target=profile, details={"account": user.pk, "ended": ended})
    return profile
