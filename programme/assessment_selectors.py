"""The assessment's scoped reads: who sees which round, league, breakdown and report.

- A round is seen by the programme's readers (officials, auditors, administrators, community staff)
  whose area lies in its district.
- The league (all communities' scores) is for officials — subdistrict officers, district leaders,
  auditors and administrators — and holds only the communities of their subtree.
- A community's breakdown: that community's staff and the officials over it.
- A report and its evidence: the community's staff and the officials over it.
Anything else is a 404, the same whether it is missing or forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, QuerySet, When
from django.http import Http404

from directory.models import Area
from programme import scoring
from programme.models import (
    AssessmentRound,
    CommunityScore,
    Indicator,
    IndicatorReport,
    IndicatorSystem,
    IndicatorValue,
)
from security.models import Role
from security.roles import (
    ASSESSMENT_CHECK_ROLES,
    ASSESSMENT_REPORT_ROLES,
    PROGRAMME_DISTRICT_ROLES,
    PROGRAMME_READER_ROLES,
)
from security.scoping import area_paths, area_q, covers_area, role_assignments

# Officials who read a subtree's league and any of its communities' breakdowns.
LEAGUE_ROLES = frozenset({Role.SUBDISTRICT_OFFICER, Role.DISTRICT_LEADER, Role.AUDITOR, Role.ADMIN})


def _district_path(path: str) -> str:
    return path.split("/", 1)[0] + "/"


def leader_district(user) -> Area | None:
    """The district a district leader defines the system and runs rounds for (None: not a leader)."""
    for assignment in role_assignments(user):
        if assignment.role in PROGRAMME_DISTRICT_ROLES and assignment.area.kind == Area.Kind.DISTRICT:
            return assignment.area
    return None


def system_versions(district: Area) -> dict[str, IndicatorSystem | None]:
    """The version in force and the draft, each with its indicators loaded (three queries)."""
    systems = list(
        IndicatorSystem.objects.filter(
            district=district, status__in=[IndicatorSystem.Status.IN_FORCE, IndicatorSystem.Status.DRAFT]
        ).prefetch_related("indicators")
    )
    by_status = {s.status: s for s in systems}
    return {
        "in_force": by_status.get(IndicatorSystem.Status.IN_FORCE),
        "draft": by_status.get(IndicatorSystem.Status.DRAFT),
    }


def draft_indicator_for_leader(*, user, pk: int) -> Indicator:
    """An indicator of the leader's district's draft, or 404."""
    district = leader_district(user)
    if district is None:
        raise Http404
    indicator = (
        Indicator.objects.filter(pk=pk, system__district=district, system__status=IndicatorSystem.Status.DRAFT)
        .select_related("system__district")
        .first()
    )
    if indicator is None:
        raise Http404
    return indicator


def rounds_for(user) -> QuerySet[AssessmentRound]:
    """The rounds of the districts the user reads the programme in, newest period first."""
    districts = {_district_path(path) for path in area_paths(user, PROGRAMME_READER_ROLES)}
    if not districts:
        return AssessmentRound.objects.none()
    return AssessmentRound.objects.filter(district__path__in=districts).select_related("district", "system")


def round_get_for_user(*, user, public_id) -> AssessmentRound:
    round_ = rounds_for(user).filter(public_id=public_id).first()
    if round_ is None:
        raise Http404
    return round_


def reads_league(user) -> bool:
    return bool(area_paths(user, LEAGUE_ROLES))


@dataclass
class League:
    round: AssessmentRound
    scores: list[CommunityScore]  # with community and subdistrict loaded, best first


def league_for(user, round: AssessmentRound | None = None) -> League | None:
    """The league of `round` (default: the latest closed round the user sees) for the communities of
    the user's subtree: an official's view. None when there is no such round or the user reads no
    league. Three queries at most (roles, round, scores), whatever the number of communities."""
    condition = area_q(user, "community__path", LEAGUE_ROLES)
    if condition is None:
        return None
    if round is None:
        round = rounds_for(user).filter(status=AssessmentRound.Status.CLOSED).first()
        if round is None:
            return None
    elif round.status != AssessmentRound.Status.CLOSED:
        return League(round=round, scores=[])
    scores = list(
        CommunityScore.objects.filter(condition, round=round)
        .select_related("community", "subdistrict")
        .order_by("rank_in_district", "community__path")
    )
    return League(round=round, scores=scores)


@dataclass
class BreakdownRow:
    indicator: Indicator
    value: Decimal | None
    score: Decimal | None
    weight: int
    effective_weight: Decimal
    pull: Decimal
    inputs: dict


@dataclass
class Results:
    round: AssessmentRound
    community: Area
    score: CommunityScore | None  # None while the round is open
    rows: list[BreakdownRow]  # what pulls the total down most first


def may_read_community(user, community: Area) -> bool:
    return covers_area(user, community, LEAGUE_ROLES | ASSESSMENT_REPORT_ROLES)


def round_results(user, *, round: AssessmentRound, community_id: int) -> Results:
    """A community's score, ranks, change and breakdown in a round: its staff and the officials over
    it; 404 for anyone else. A constant number of queries."""
    community = Area.objects.filter(
        pk=community_id, kind=Area.Kind.COMMUNITY, path__startswith=round.district.path
    ).first()
    if community is None or not may_read_community(user, community):
        raise Http404
    score = (
        CommunityScore.objects.filter(round=round, community=community).select_related("subdistrict").first()
        if round.status == AssessmentRound.Status.CLOSED
        else None
    )
    indicators = list(round.system.indicators.all())
    values = {v.indicator_id: v for v in IndicatorValue.objects.filter(round=round, community=community)}
    pairs = []
    for indicator in indicators:
        value = values.get(indicator.pk)
        pairs.append((indicator.weight, value.score if value is not None else None))
    parts = scoring.breakdown(pairs)
    rows = []
    for indicator, part in zip(indicators, parts, strict=True):
        value = values.get(indicator.pk)
        rows.append(
            BreakdownRow(
                indicator=indicator,
                value=value.value if value else None,
                score=part.score,
                weight=indicator.weight,
                effective_weight=part.effective_weight,
                pull=part.pull,
                inputs=value.inputs if value else {},
            )
        )
    rows.sort(key=lambda row: (-row.pull, row.indicator.order, row.indicator.pk))
    return Results(round=round, community=community, score=score, rows=rows)


def results_community_for(user, round: AssessmentRound) -> Area | None:
    """The community whose results a community staff member lands on (their first one in the
    round's district)."""
    communities = reporting_communities(user, round)
    return communities[0] if communities else None


# --- reports -------------------------------------------------------------------------------------
def reporting_communities(user, round: AssessmentRound) -> list[Area]:
    """The communities of the round's district the user reports for (community staff)."""
    condition = area_q(user, "path", ASSESSMENT_REPORT_ROLES)
    if condition is None:
        return []
    return list(
        Area.objects.filter(condition, kind=Area.Kind.COMMUNITY, path__startswith=round.district.path).order_by("path")
    )


def community_report_rows(round: AssessmentRound, community: Area) -> list[tuple[Indicator, IndicatorReport | None]]:
    """Each reported indicator of the round's system with the community's report, if any (two
    queries)."""
    indicators = list(round.system.indicators.filter(source=Indicator.Source.REPORTED))
    reports = {
        r.indicator_id: r
        for r in IndicatorReport.objects.filter(round=round, community=community).select_related("checked_by")
    }
    return [(indicator, reports.get(indicator.pk)) for indicator in indicators]


def check_queue(user, round: AssessmentRound) -> QuerySet[IndicatorReport]:
    """The reports of the round the user's subdistrict checks: those waiting first, then the rest."""
    condition = area_q(user, "community__path", ASSESSMENT_CHECK_ROLES)
    if condition is None:
        return IndicatorReport.objects.none()
    waiting = When(status__in=[IndicatorReport.Status.SUBMITTED, IndicatorReport.Status.APPEALED], then=0)
    return (
        IndicatorReport.objects.filter(condition, round=round)
        .select_related("community", "indicator", "reported_by")
        .annotate(settled=Case(waiting, default=1, output_field=IntegerField()))
        .order_by("settled", "community__path", "indicator__order", "pk")
    )


def report_get_for_user(*, user, pk: int) -> IndicatorReport:
    """A report for its community's staff and the officials over it; 404 for anyone else."""
    report = (
        IndicatorReport.objects.filter(pk=pk)
        .select_related("round__district", "round__system", "community", "indicator", "reported_by", "checked_by")
        .first()
    )
    if report is None or not may_read_community(user, report.community):
        raise Http404
    return report


def may_check(user, report: IndicatorReport) -> bool:
    return covers_area(user, report.community, ASSESSMENT_CHECK_ROLES)


def may_report(user, community: Area) -> bool:
    return covers_area(user, community, ASSESSMENT_REPORT_ROLES)
