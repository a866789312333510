"""Reads of the exchange, scoped to the acting user (or API key) through security.scoping.

Department officers see the agreements their organisation provides or consumes; district leaders,
auditors and administrators see those whose provider works in their area; a resident sees the
exchanges that included them (on residents' "who used my data").
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area
from exchange.models import Dataset, DatasetField, ExchangeJob, MessageLogEntry, MessageLogResident, SharingAgreement
from residents.data_rights import DataUse
from residents.models import ResidentProfile
from security.models import ApiKey, User
from security.roles import EXCHANGE_OVERSIGHT_ROLES, EXCHANGE_ROLES
from security.scoping import has_role, restrict


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
def exchange_uses_of_resident(*, user: User, profile: ResidentProfile, limit: int = 200) -> list[DataUse]:
    """Every exchange whose payload named the resident, newest first: registered with
    residents.data_rights, so "who used my data" shows them beside the staff reads."""
    entry_ids = MessageLogResident.objects.filter(resident=profile).values("entry_id")
    entries = (
        MessageLogEntry.objects.filter(pk__in=entry_ids)
        .select_related("agreement__dataset", "agreement__consumer")
        .order_by("-created_at")[:limit]
    )
    return [
        DataUse(
            at=entry.created_at,
            kind="exchange",
            who=entry.agreement.consumer.name,
            what=_("Sent to a department: %(dataset)s") % {"dataset": entry.agreement.dataset.name},
            purpose=entry.agreement.purpose,
            reference=str(entry.agreement.public_id),
        )
        for entry in entries
    ]


# --- figures by community for the programme's assessment (issue 19) ---
# Read by a district-scope batch run (programme.indicators), not for a user: the caller names the
# communities. Two queries, whatever their number; agreements are matched to communities by path.
def exchange_figures_by_community(*, communities: list[Area], start: date, end: date) -> dict[int, dict[str, int]]:
    """{community id: figures} of the exchanges logged from `start` to `end` (local days, both
    included) under sharing agreements that cover the community: an agreement covers it when one
    of its areas is the community, an area above it or a grid in it. `exchanges` counts the signed
    entries of the message log (each one run of an agreement whose payload was published to the
    consumer; a run is logged only while its agreement is approved and in force), `records` adds up
    their records, `agreements` counts the agreements behind them. Every community is in the result."""
    figures = {community.pk: {"exchanges": 0, "records": 0, "agreements": 0} for community in communities}
    if not figures or end < start:
        return figures
    zone = timezone.get_default_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    logged = {
        row["agreement_id"]: row
        for row in MessageLogEntry.objects.filter(created_at__gte=since, created_at__lt=until)
        .order_by()
        .values("agreement_id")
        .annotate(exchanges=Count("pk"), records=Sum("record_count"))
    }
    if not logged:
        return figures
    areas: dict[int, list[str]] = {}
    for agreement_id, path in SharingAgreement.areas.through.objects.filter(
        sharingagreement_id__in=list(logged)
    ).values_list("sharingagreement_id", "area__path"):
        areas.setdefault(agreement_id, []).append(path)
    for community in communities:
        counts = figures[community.pk]
        for agreement_id, paths in areas.items():
            if any(community.path.startswith(path) or path.startswith(community.path) for path in paths):
                counts["exchanges"] += logged[agreement_id]["exchanges"]
                counts["records"] += logged[agreement_id]["records"] or 0
                counts["agreements"] += 1
    return figures
