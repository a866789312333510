"""Reads of the exchange, scoped to the acting user (or API key) through security.scoping.

Department officers see the agreements their organisation provides or consumes; district leaders,
auditors and administrators see those whose provider works in their area; a resident sees the
exchanges and staff reads that included them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from exchange.models import Dataset, DatasetField, ExchangeJob, MessageLogEntry, MessageLogResident, SharingAgreement
from residents.selectors import resident_own_profile
from security.models import ApiKey, AuditEvent, RoleAssignment, User
from security.roles import EXCHANGE_OVERSIGHT_ROLES, EXCHANGE_ROLES
from security.scoping import has_role, restrict

# The audit actions that show a resident's full ID number and phone to a member of staff.
STAFF_READ_ACTIONS = ("resident.reveal",)


def datasets_for_user(*, user: User) -> QuerySet[Dataset]:
    """The catalogue: what departments offer and how sensitive each field is (no data in it)."""
    if not has_role(user, EXCHANGE_ROLES):
        return Dataset.objects.none()
    return (
        Dataset.objects.filter(is_active=True)
        .select_related("provider")
        .prefetch_related(Prefetch("fields", queryset=DatasetField.objects.order_by("position")))
        .order_by("code")
    )


def dataset_get_for_user(*, user: User, code: str) -> Dataset:
    try:
        return datasets_for_user(user=user).get(code=code)
    except Dataset.DoesNotExist:
        raise Http404 from None


def agreements_for_user(*, user: User) -> QuerySet[SharingAgreement]:
    base = SharingAgreement.objects.all()
    visible = (
        restrict(base, user, organisation="provider")
        | restrict(base, user, organisation="consumer")
        | restrict(base, user, area_path="provider__area__path", area_roles=EXCHANGE_OVERSIGHT_ROLES)
    )
    return visible.select_related("dataset", "provider", "consumer").order_by("-created_at", "-id")


def agreement_get_for_user(*, user: User, public_id) -> SharingAgreement:
    """One agreement the user may see; the same 404 whether it is missing or not theirs."""
    try:
        return agreements_for_user(user=user).get(public_id=public_id)
    except (SharingAgreement.DoesNotExist, ValidationError):
        raise Http404 from None


def jobs_for_agreement(*, agreement: SharingAgreement) -> QuerySet[ExchangeJob]:
    """The runs of an agreement the caller already got through agreement_get_for_user."""
    return agreement.jobs.select_related("log_entry", "requested_by").order_by("-created_at", "-id")


def entries_for_user(*, user: User) -> QuerySet[MessageLogEntry]:
    """The message log as far as the user's agreements reach."""
    agreements = agreements_for_user(user=user).values("pk")
    return (
        MessageLogEntry.objects.filter(agreement__in=agreements)
        .select_related("job", "agreement__dataset", "agreement__provider", "agreement__consumer", "signing_key")
        .order_by("-id")
    )


def entries_for_key(*, key: ApiKey, agreement: str = "") -> QuerySet[MessageLogEntry]:
    """What a consumer's system may fetch: entries of agreements its organisation consumes."""
    scoped = restrict(MessageLogEntry.objects.all(), key.created_by, organisation="agreement__consumer")
    entries = scoped.filter(agreement__consumer_id=key.organisation_id)
    if agreement:
        try:
            entries = entries.filter(agreement__public_id=agreement)
        except ValidationError:
            return entries.none()
    return entries.select_related(
        "job", "agreement__dataset", "agreement__provider", "agreement__consumer", "signing_key"
    ).order_by("-id")


def agreement_get_for_key(*, key: ApiKey, public_id) -> SharingAgreement | None:
    """An agreement the key's organisation is party to, or None."""
    party = Q(provider_id=key.organisation_id) | Q(consumer_id=key.organisation_id)
    try:
        return (
            SharingAgreement.objects.select_related("dataset", "provider", "consumer")
            .filter(party, public_id=public_id)
            .first()
        )
    except ValidationError:
        return None


# --- "who used my data" ------------------------------------------------------------------------
@dataclass(frozen=True)
class DataUse:
    at: datetime
    kind: str  # "exchange" or "staff_read"
    who: str  # the department, or the staff member's role and where they work
    agreement: SharingAgreement | None = None
    dataset: str = ""
    purpose: str = ""


def _staff_descriptions(user_ids: set[int]) -> dict[int, str]:
    descriptions: dict[int, list[str]] = {}
    assignments = RoleAssignment.objects.filter(user_id__in=user_ids).select_related("area", "organisation")
    for assignment in assignments.order_by("user_id", "role"):
        place = assignment.organisation.name if assignment.organisation else assignment.area.name
        descriptions.setdefault(assignment.user_id, []).append(f"{assignment.get_role_display()} · {place}")
    return {user_id: "; ".join(parts) for user_id, parts in descriptions.items()}


def data_uses_for_resident(*, user: User, limit: int = 200) -> list[DataUse]:
    """Every exchange that included the signed-in resident, and every time a member of staff saw
    their full ID number and phone; newest first. Empty for someone without a resident profile."""
    profile = resident_own_profile(user=user)
    if profile is None:
        return []
    entry_ids = MessageLogResident.objects.filter(resident=profile).values("entry_id")
    entries = (
        MessageLogEntry.objects.filter(pk__in=entry_ids)
        .select_related("agreement__dataset", "agreement__consumer")
        .order_by("-created_at")[:limit]
    )
    uses = [
        DataUse(
            at=entry.created_at,
            kind="exchange",
            who=entry.agreement.consumer.name,
            agreement=entry.agreement,
            dataset=entry.agreement.dataset.name,
            purpose=entry.agreement.purpose,
        )
        for entry in entries
    ]
    reads = list(
        AuditEvent.objects.filter(
            action__in=STAFF_READ_ACTIONS, object_type="residents.ResidentProfile", object_id=str(profile.pk)
        )
        .exclude(actor_id=user.pk)
        .order_by("-id")
        .values_list("occurred_at", "actor_id")[:limit]
    )
    staff = _staff_descriptions({actor_id for _at, actor_id in reads if actor_id})
    uses += [DataUse(at=at, kind="staff_read", who=staff.get(actor_id, "")) for at, actor_id in reads]
    return sorted(uses, key=lambda use: use.at, reverse=True)[:limit]
