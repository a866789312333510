import re
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import Area
from residents.data_rights import DataUse, data_use_sources, sections
from residents.models import (
    CorrectionRequest,
    Household,
    RegisterConflict,
    ResidencyVerification,
    ResidentProfile,
    RevealPurpose,
)
from security import personal_data
from security.audit import audit_record
from security.models import RoleAssignment, User
from security.roles import RESIDENT_REGISTRAR_ROLES
from security.scoping import is_staff_member, restrict, role_assignments
from security.selectors import audit_events_about_subject

_DIGITS_RE = re.compile(r"^[\d\sX+-]+$", re.IGNORECASE)


def residents_for_user(*, user: User) -> QuerySet[ResidentProfile]:
    """Residents in the user's area subtrees, and the user's own profile."""
    queryset = ResidentProfile.objects.select_related("household__grid")
    return restrict(queryset, user, area_path="household__grid__path", owner="user")


def resident_get_for_user(*, user: User, public_id) -> ResidentProfile:
    """One resident the user may see; the same 404 whether it is missing or out of scope."""
    try:
        return residents_for_user(user=user).get(public_id=public_id)
    except (ResidentProfile.DoesNotExist, ValidationError):
        raise Http404 from None


def resident_own_profile(*, user: User) -> ResidentProfile | None:
    if not user.is_authenticated:
        return None
    return ResidentProfile.objects.select_related("household__grid").filter(user=user).first()


def resident_query_is_a_number(query: str) -> bool:
    """Whether a search is by ID-card or mobile number (or a piece of one), which must not travel in
    a URL: addresses end up in access logs, proxies and browser histories."""
    return bool(_DIGITS_RE.match(query.strip()))


def resident_search(*, user: User, query: str) -> QuerySet[ResidentProfile]:
    """Search the user's residents by name, or exactly by ID-card number or phone.

    Numbers are matched through their keyed hash, so the table is never decrypted to search it. A
    search by number looks a person up, so it is recorded in the audit log.
    """
    residents = residents_for_user(user=user)
    query = query.strip()
    if not query:
        return residents
    if not resident_query_is_a_number(query):
        return residents.filter(full_name__icontains=query)
    for kind, normalise in (("id_card", personal_data.normalise_id_card), ("phone", personal_data.normalise_phone)):
        try:
            value = normalise(query)
        except ValidationError:
            continue
        audit_record(actor=user, action="resident.lookup", details={"by": kind})
        field = "id_card_hash" if kind == "id_card" else "phone_hash"
        return residents.filter(**{field: personal_data.lookup_hash(kind, value)})
    raise ValidationError(_("Enter a name, a full 18-character ID-card number, or a full 11-digit mobile number."))


def households_for_user(*, user: User) -> QuerySet[Household]:
    return restrict(Household.objects.select_related("grid"), user, area_path="grid__path")


def register_grids(*, user: User) -> list[Area]:
    """The grids a member of staff keeps the register of: their grid, or their community's grids."""
    grids = restrict(
        Area.objects.filter(kind=Area.Kind.GRID), user, area_path="path", area_roles=RESIDENT_REGISTRAR_ROLES
    )
    return list(grids.order_by("path"))


def household_get_for_registrar(*, user: User, public_id) -> Household:
    """A household of the staff member's grids; the same 404 whether missing or someone else's."""
    households = restrict(
        Household.objects.select_related("grid"), user, area_path="grid__path", area_roles=RESIDENT_REGISTRAR_ROLES
    )
    try:
        return households.get(public_id=public_id)
    except (Household.DoesNotExist, ValidationError):
        raise Http404 from None


def resident_get_for_registrar(*, user: User, public_id) -> ResidentProfile:
    """A resident of the staff member's grids, for editing; 404 otherwise (also for their own entry)."""
    profiles = restrict(
        ResidentProfile.objects.select_related("household__grid"),
        user,
        area_path="household__grid__path",
        area_roles=RESIDENT_REGISTRAR_ROLES,
    )
    try:
        return profiles.get(public_id=public_id)
    except (ResidentProfile.DoesNotExist, ValidationError):
        raise Http404 from None


def register_conflicts_for_user(*, user: User) -> QuerySet[RegisterConflict]:
    """The open import conflicts of households in the grids the user keeps the register of, oldest first."""
    return restrict(
        RegisterConflict.objects.filter(status=RegisterConflict.Status.OPEN).select_related(
            "household__grid", "profile"
        ),
        user,
        area_path="household__grid__path",
        area_roles=RESIDENT_REGISTRAR_ROLES,
    ).order_by("created_at", "id")


def register_conflict_get_for_user(*, user: User, public_id) -> RegisterConflict:
    try:
        return register_conflicts_for_user(user=user).get(public_id=public_id)
    except (RegisterConflict.DoesNotExist, ValidationError):
        raise Http404 from None


def resident_counts_by_grid(*, user: User) -> dict[str, dict[str, int]]:
    """Per grid path in the user's scope: households, residents, and elderly residents living alone.
    Two grouped queries, however many grids there are."""
    counts: dict[str, dict[str, int]] = {}
    for row in (
        households_for_user(user=user)
        .order_by()
        .values("grid__path")
        .annotate(n=Count("id"))
        .values_list("grid__path", "n")
    ):
        counts.setdefault(row[0], {"households": 0, "residents": 0, "elderly_alone": 0})["households"] = row[1]
    resident_rows = (
        restrict(ResidentProfile.objects.living(), user, area_path="household__grid__path")
        .order_by()
        .values("household__grid__path")
        .annotate(n=Count("id"), elderly_alone=Count("id", filter=Q(is_elderly=True, lives_alone=True)))
        .values_list("household__grid__path", "n", "elderly_alone")
    )
    for path, residents, elderly_alone in resident_rows:
        entry = counts.setdefault(path, {"households": 0, "residents": 0, "elderly_alone": 0})
        entry["residents"] = residents
        entry["elderly_alone"] = elderly_alone
    return counts


# --- a resident's rights over their data --------------------------------------------------------
def own_corrections(*, user: User) -> QuerySet[CorrectionRequest]:
    """The correction requests the user made, newest first."""
    return restrict(CorrectionRequest.objects.all(), user, owner="requested_by").order_by("-created_at", "-id")


def corrections_for_user(*, user: User, status: str = CorrectionRequest.Status.PENDING) -> QuerySet[CorrectionRequest]:
    """The staff queue: corrections asked by residents of the grids the user registers residents in."""
    corrections = restrict(
        CorrectionRequest.objects.select_related("profile__household__grid", "decided_by"),
        user,
        area_path="profile__household__grid__path",
        area_roles=RESIDENT_REGISTRAR_ROLES,
    )
    if status:
        corrections = corrections.filter(status=status)
    return corrections.order_by("created_at", "id")


def correction_get_for_user(*, user: User, public_id) -> CorrectionRequest:
    """One correction the user may decide; the same 404 whether missing or someone else's."""
    try:
        return corrections_for_user(user=user, status="").get(public_id=public_id)
    except (CorrectionRequest.DoesNotExist, ValidationError):
        raise Http404 from None


def staff_descriptions(user_ids: set[int]) -> dict[int, str]:
    """For each user, their roles and where they work (organisation, else area): what a resident is
    told about who used their data. Not the person's name: the community or department is the
    one responsible to the resident (PIPL art. 44 and 50), staff are its hands, and naming them
    invites pressure on individuals; auditors see the name in the audit log."""
    descriptions: dict[int, list[str]] = {}
    assignments = RoleAssignment.objects.filter(user_id__in=user_ids).select_related("area", "organisation")
    for assignment in assignments.order_by("user_id", "role"):
        place = assignment.organisation.name if assignment.organisation else assignment.area.name
        descriptions.setdefault(assignment.user_id, []).append(f"{assignment.get_role_display()} · {place}")
    return {user_id: "；".join(parts) for user_id, parts in descriptions.items()}


# Audit actions in which someone other than the resident used the resident's register record.
_AUDITED_USES = {
    "resident.reveal": ("reveal", gettext_lazy("Opened your full ID-card number and phone")),
    "resident.view": ("view", gettext_lazy("Opened your record in the register")),
    "correction.view": ("correction", gettext_lazy("Read the correction you asked for")),
    "correction.apply": ("correction", gettext_lazy("Corrected your record as you asked")),
    "correction.refuse": ("correction", gettext_lazy("Decided not to correct your record")),
    "resident.update": ("change", gettext_lazy("Changed your record in the register")),
    "register.conflict_keep": ("change", gettext_lazy("Kept your record as it was against an import")),
    "register.conflict_take": ("change", gettext_lazy("Changed your record as an import said")),
    "resident.end_undo": ("change", gettext_lazy("Took back a moving out or death recorded by mistake")),
}


def _purpose_text(details: dict) -> str:
    purpose = details.get("purpose", "")
    label = str(RevealPurpose(purpose).label) if purpose in RevealPurpose.values else purpose
    note = details.get("purpose_note", "")
    return f"{label}：{note}" if label and note else (label or note)


def audited_uses_of_profile(*, user: User, profile: ResidentProfile, limit: int) -> list[DataUse]:
    """Staff reads and changes of the resident's record, from the audit log."""
    events = audit_events_about_subject(subject=profile, actions=_AUDITED_USES, exclude_actor=user, limit=limit)
    who = staff_descriptions({event.actor_id for event in events if event.actor_id})
    return [
        DataUse(
            at=event.occurred_at,
            kind=_AUDITED_USES[event.action][0],
            # Someone whose roles have since been taken away is still named as staff, not left blank.
            who=who.get(event.actor_id) or _("A member of staff") if event.actor_id else _("The portal itself"),
            what=str(_AUDITED_USES[event.action][1]),
            purpose=_purpose_text(event.details),
        )
        for event in events
    ]


def data_uses_of_user(*, user: User, limit: int = 200) -> list[DataUse]:
    """Every registered use of the person's data by others, newest first ("who used my data")."""
    profile = resident_own_profile(user=user)
    if profile is None:
        return []
    uses = []
    for source in data_use_sources():
        uses += source.uses(user=user, profile=profile, limit=limit)
    return sorted(uses, key=lambda use: use.at, reverse=True)[:limit]


def personal_data_of(*, user: User) -> dict:
    """Everything the portal holds about the user, section by section (see residents.data_rights),
    as JSON-ready values (datetimes are encoded by the caller)."""
    data: dict = {"generated_at": timezone.now()}
    for section in sections():
        data[section.name] = section.export(user)
    return data


# --- residency verification ----------------------------------------------------------------------
def verifications_own(*, user: User) -> list[ResidencyVerification]:
    """The account's own verification requests and tries, newest first (the person's status page)."""
    if not user.is_authenticated:
        return []
    return list(
        ResidencyVerification.objects.filter(user=user).select_related("community", "profile__household__grid")[:20]
    )


def _communities_worked_in(user: User) -> list[int]:
    ids = set()
    for assignment in role_assignments(user):
        if assignment.role not in RESIDENT_REGISTRAR_ROLES:
            continue
        area = assignment.area
        ids.add(area.pk if area.kind == Area.Kind.COMMUNITY else area.parent_id)
    return sorted(ids)


def verifications_pending_for_user(*, user: User) -> QuerySet[ResidencyVerification]:
    """In-person requests waiting in the communities the user works in (community staff, and the
    grid workers of that community, who also see people at the office)."""
    return ResidencyVerification.objects.filter(
        status=ResidencyVerification.Status.PENDING, community_id__in=_communities_worked_in(user)
    ).select_related("user", "community")


def verification_failed_tries_for_user(*, user: User, days: int = 14) -> QuerySet[ResidencyVerification]:
    """Refused code tries that named a real household in the user's area: an ID number may have
    leaked, so the grid's staff hear of it."""
    since = timezone.now() - timedelta(days=days)
    tries = ResidencyVerification.objects.filter(
        method=ResidencyVerification.Method.CODE,
        status=ResidencyVerification.Status.REFUSED,
        household__isnull=False,
        created_at__gte=since,
    ).select_related("user", "household__grid")
    return restrict(tries, user, area_path="household__grid__path", area_roles=RESIDENT_REGISTRAR_ROLES)


def verification_get_for_user(*, user: User, public_id) -> ResidencyVerification:
    """A pending request the user may decide; the same 404 whether missing, decided or elsewhere."""
    return get_object_or_404(verifications_pending_for_user(user=user), public_id=public_id)


def verification_communities() -> QuerySet[Area]:
    """The communities a person may ask to be checked in (any: they say where they live)."""
    return Area.objects.filter(kind=Area.Kind.COMMUNITY).select_related("parent").order_by("path")


def verification_household_in_community(*, user: User, verification: ResidencyVerification, household_code: str):
    """The household, by its number, in the request's community and the user's area; None if not."""
    if not household_code.strip():
        return None
    households = restrict(
        Household.objects.select_related("grid"),
        user,
        area_path="grid__path",
        area_roles=RESIDENT_REGISTRAR_ROLES,
    )
    return households.filter(
        household_code=household_code.strip(), grid__path__startswith=verification.community.path
    ).first()


def verification_desk_grids(*, user: User, verification: ResidencyVerification) -> list[Area]:
    """The grids a member of staff may register a new household in at the desk: those of the
    request's community that lie in their own area."""
    grids = restrict(
        Area.objects.filter(kind=Area.Kind.GRID, path__startswith=verification.community.path),
        user,
        area_path="path",
        area_roles=RESIDENT_REGISTRAR_ROLES,
    )
    return list(grids.order_by("path"))


def _ancestor_paths(path: str) -> list[str]:
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def verification_failure_recipients(*, grid: Area) -> list[User]:
    """The active grid workers and community staff whose area covers `grid`: the people told when
    someone tries a household of the grid with an ID number that does not match. One query."""
    assignments = RoleAssignment.objects.filter(
        role__in=RESIDENT_REGISTRAR_ROLES, area__path__in=_ancestor_paths(grid.path)
    ).values("user_id")
    return list(User.objects.filter(is_active=True, pk__in=assignments).order_by("pk"))


def verification_prompt_for_user(*, user: User) -> dict | None:
    """What to tell a signed-in person who is not yet a verified resident (home page, My profile):
    None for the verified, for staff and for anonymous visitors; else their waiting in-person
    request, if any."""
    if not user.is_authenticated or is_staff_member(user):
        return None
    if ResidentProfile.objects.filter(user=user).exists():
        return None
    pending = (
        ResidencyVerification.objects.filter(user=user, status=ResidencyVerification.Status.PENDING)
        .select_related("community")
        .first()
    )
    return {"pending": pending}


# --- figures by community for the programme's assessment (issue 19) ---
# Read by a district-scope batch run (programme.indicators), not for a user: the caller names the
# communities. One grouped query, whatever their number.
def register_figures_by_community(*, communities: list[Area], end: date) -> dict[int, dict[str, int]]:
    """{community id: figures} of the register as it stood at the end of the day `end`, in the
    community's grids: `residents` (entered by then and not recorded as moved out or deceased by
    then), `households` (those with at least one such resident) and `verified` (such residents whose
    entry is linked to an account, i.e. verified as residents).

    The register keeps no history of links: a link made after `end` through a verification is left
    out (its decision time says when), a link ended since (the resident's verification ended) is not
    counted. Every community is in the result."""
    figures = {community.pk: {"residents": 0, "households": 0, "verified": 0} for community in communities}
    if not figures:
        return figures
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=timezone.get_default_timezone())
    linked_later = ResidencyVerification.objects.filter(
        profile=OuterRef("pk"), status=ResidencyVerification.Status.APPROVED, decided_at__gte=until
    )
    rows = (
        ResidentProfile.objects.filter(
            household__grid__parent_id__in=list(figures),
            household__grid__kind=Area.Kind.GRID,
            created_at__lt=until,
        )
        .filter(Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=end), Q(died_on__isnull=True) | Q(died_on__gt=end))
        .order_by()
        .values("household__grid__parent_id")
        .annotate(
            residents=Count("pk"),
            households=Count("household_id", distinct=True),
            verified=Count("pk", filter=Q(user__isnull=False) & ~Exists(linked_later)),
        )
    )
    for row in rows:
        figures[row["household__grid__parent_id"]].update(
            residents=row["residents"], households=row["households"], verified=row["verified"]
        )
    return figures
