import re

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from residents.models import Household, ResidentProfile
from security import personal_data
from security.audit import audit_record
from security.models import User
from security.scoping import restrict

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


def resident_search(*, user: User, query: str) -> QuerySet[ResidentProfile]:
    """Search the user's residents by name, or exactly by ID-card number or phone.

    Numbers are matched through their keyed hash, so the table is never decrypted to search it. A
    search by number looks a person up, so it is recorded in the audit log.
    """
    residents = residents_for_user(user=user)
    query = query.strip()
    if not query:
        return residents
    if not _DIGITS_RE.match(query):
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
        restrict(ResidentProfile.objects.all(), user, area_path="household__grid__path")
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
