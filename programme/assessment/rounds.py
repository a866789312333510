"""Assessment rounds (考核轮次): opening, computing every community's computed indicators (a batch run),
and closing with scores and ranks (see programme.assessment)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import Area
from programme import indicators, scoring
from programme.assessment.systems import check_leader, system_in_force
from programme.models import (
    AssessmentRound,
    CommunityScore,
    Indicator,
    IndicatorReport,
    IndicatorValue,
)
from security.audit import audit_record
from security.models import User

ACCEPTED_REPORTS = (IndicatorReport.Status.ACCEPTED, IndicatorReport.Status.APPEAL_ACCEPTED)
AWAITING_CHECK = (IndicatorReport.Status.SUBMITTED, IndicatorReport.Status.APPEALED)


# --- rounds --------------------------------------------------------------------------------------
def _queue_compute(round_: AssessmentRound) -> None:
    from programme.tasks import round_compute_task

    round_pk = round_.pk
    transaction.on_commit(lambda: round_compute_task.delay(round_pk))


@transaction.atomic
def round_open(
    *, district: Area, name: str, period_start: date, period_end: date, report_due: date, actor: User
) -> AssessmentRound:
    """Open a round on the system in force; its computation is queued once this commits."""
    check_leader(actor, district)
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("Give the round a name.")
    elif len(name) > 100:
        errors["name"] = _("Keep the name under 100 characters.")
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = _("The period must end on or after its first day.")
    if period_end and report_due and report_due < period_end:
        errors["report_due"] = _("Reports are due on or after the period's last day.")
    if report_due and report_due < timezone.localdate():
        errors["report_due"] = _("The due date for reports has already passed.")
    system = system_in_force(district)
    if system is None:
        errors["__all__"] = _("Publish an indicator system before opening a round.")
    if (
        not errors
        and AssessmentRound.objects.filter(district=district, period_start=period_start, period_end=period_end).exists()
    ):
        errors["period_start"] = _("A round for this period exists already.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            round_ = AssessmentRound.objects.create(
                district=district,
                system=system,
                name=name,
                period_start=period_start,
                period_end=period_end,
                report_due=report_due,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError({"period_start": _("A round for this period exists already.")}) from None
    _queue_compute(round_)
    audit_record(
        actor=actor,
        action="programme.round_open",
        target=round_,
        area=district,
        details={
            "system_version": system.version,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "report_due": report_due.isoformat(),
        },
    )
    return round_


def check_open(round_: AssessmentRound) -> None:
    if round_.status != AssessmentRound.Status.OPEN:
        raise ValidationError(_("This round is closed: its results are final."))


@transaction.atomic
def round_recompute(*, round: AssessmentRound, actor: User) -> AssessmentRound:
    """Ask for the computed indicators again (the page shows "computing…" until the run is done)."""
    check_leader(actor, round.district)
    round_ = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    check_open(round_)
    round_.computed_at = None
    round_.save(update_fields=["computed_at", "updated_at"])
    _queue_compute(round_)
    audit_record(actor=actor, action="programme.round_recompute", target=round_, area=round_.district)
    return round_


def district_communities(district: Area) -> list[Area]:
    return list(
        Area.objects.filter(kind=Area.Kind.COMMUNITY, path__startswith=district.path)
        .only("id", "code", "path", "parent_id", "name_zh", "name_en")
        .order_by("path")
    )


def _plain(inputs: dict) -> dict:
    """The counts a value came from as JSON holds them (a Decimal or a date becomes its text)."""
    return json.loads(json.dumps(inputs, default=str))


def _computed_values(round_: AssessmentRound, communities: list[Area]) -> list[IndicatorValue]:
    """Every community's value and score on every computed indicator: one call of each computation
    over all the communities."""
    rows = []
    by_key: dict[str, dict] = {}
    for indicator in round_.system.indicators.filter(source=Indicator.Source.COMPUTED):
        if indicator.computation not in by_key:
            by_key[indicator.computation] = indicators.compute(
                indicator.computation, communities=communities, start=round_.period_start, end=round_.period_end
            )
        measured = by_key[indicator.computation]
        for community in communities:
            found = measured.get(community.pk)
            value = None if found is None or found.value is None else Decimal(found.value)
            rows.append(
                IndicatorValue(
                    round=round_,
                    community_id=community.pk,
                    indicator=indicator,
                    value=value,
                    score=scoring.indicator_score(value, target=indicator.target, direction=indicator.direction),
                    inputs=_plain(found.inputs) if found is not None else {},
                )
            )
    return rows


def _upsert(values: list[IndicatorValue]) -> None:
    IndicatorValue.objects.bulk_create(
        values,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["round", "community", "indicator"],
        update_fields=["value", "score", "inputs"],
    )


@transaction.atomic
def round_compute(*, round: AssessmentRound) -> int:
    """The batch run: compute every computed indicator of an open round for every community of its
    district (a constant number of queries besides the computations' own), upsert the values and
    mark the round computed. Safe to run twice. Returns how many values it wrote (0: round closed)."""
    round_ = round_locked(round.pk)
    if round_.status != AssessmentRound.Status.OPEN:
        return 0
    communities = district_communities(round_.district)
    values = _computed_values(round_, communities)
    _upsert(values)
    round_.computed_at = timezone.now()
    round_.save(update_fields=["computed_at", "updated_at"])
    audit_record(
        actor=None,
        action="programme.round_compute",
        target=round_,
        area=round_.district,
        details={"run": "programme.round_compute", "communities": len(communities), "values": len(values)},
    )
    return len(values)


def round_locked(pk: int) -> AssessmentRound:
    return AssessmentRound.objects.select_for_update(of=("self",)).select_related("system", "district").get(pk=pk)


def _previous_round(round_: AssessmentRound) -> AssessmentRound | None:
    return (
        AssessmentRound.objects.filter(
            district_id=round_.district_id, status=AssessmentRound.Status.CLOSED, period_end__lt=round_.period_end
        )
        .exclude(pk=round_.pk)
        .order_by("-period_end", "-pk")
        .first()
    )


@transaction.atomic
def round_close(*, round: AssessmentRound, actor: User) -> AssessmentRound:
    """Compute once more, take the accepted reports, score and rank every community: final."""
    check_leader(actor, round.district)
    round_ = round_locked(round.pk)
    check_open(round_)
    waiting = IndicatorReport.objects.filter(round=round_, status__in=AWAITING_CHECK).count()
    if waiting:
        raise ValidationError(
            ngettext(
                "%(count)d report still waits for the subdistrict's check: the round closes once it is decided.",
                "%(count)d reports still wait for the subdistrict's check: the round closes once they are decided.",
                waiting,
            )
            % {"count": waiting}
        )
    communities = district_communities(round_.district)
    values = _computed_values(round_, communities)
    indicators = list(round_.system.indicators.all())
    reported = [i for i in indicators if i.source == Indicator.Source.REPORTED]
    accepted = {
        (r.community_id, r.indicator_id): r.value
        for r in IndicatorReport.objects.filter(round=round_, status__in=ACCEPTED_REPORTS).only(
            "community_id", "indicator_id", "value"
        )
    }
    for community in communities:
        for indicator in reported:
            value = accepted.get((community.pk, indicator.pk))
            # Not shown (missing or rejected) scores 0 with its full weight: see programme.scoring.
            score = (
                Decimal("0.00")
                if value is None
                else scoring.indicator_score(value, target=indicator.target, direction=indicator.direction)
            )
            values.append(
                IndicatorValue(
                    round=round_,
                    community_id=community.pk,
                    indicator=indicator,
                    value=value,
                    score=score,
                    inputs={"report": "accepted" if value is not None else "not_accepted"},
                )
            )
    _upsert(values)
    weights = {i.pk: i.weight for i in indicators}
    parts: dict[int, list] = {c.pk: [] for c in communities}
    for value in values:
        parts[value.community_id].append((weights[value.indicator_id], value.score))
    totals = {pk: scoring.total_score(pairs) for pk, pairs in parts.items()}
    in_district = scoring.competition_ranks(totals.items())
    by_subdistrict: dict[int, list] = {}
    for community in communities:
        by_subdistrict.setdefault(community.parent_id, []).append((community.pk, totals[community.pk]))
    in_subdistrict: dict = {}
    for pairs in by_subdistrict.values():
        in_subdistrict.update(scoring.competition_ranks(pairs))
    previous = _previous_round(round_)
    before = (
        dict(CommunityScore.objects.filter(round=previous).values_list("community_id", "total")) if previous else {}
    )
    CommunityScore.objects.filter(round=round_).delete()
    CommunityScore.objects.bulk_create(
        [
            CommunityScore(
                round=round_,
                community_id=c.pk,
                subdistrict_id=c.parent_id,
                total=totals[c.pk],
                rank_in_district=in_district[c.pk],
                rank_in_subdistrict=in_subdistrict[c.pk],
                previous_total=before.get(c.pk),
            )
            for c in communities
        ],
        batch_size=2000,
    )
    now = timezone.now()
    round_.status = AssessmentRound.Status.CLOSED
    round_.closed_at = now
    round_.computed_at = now
    round_.save(update_fields=["status", "closed_at", "computed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="programme.round_close",
        target=round_,
        area=round_.district,
        details={
            "communities": len(communities),
            "values": len(values),
            "reports_accepted": len(accepted),
            "previous_round": previous.pk if previous else None,
        },
    )
    return round_
