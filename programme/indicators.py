"""The computed indicators (计算指标) of the indicator system: what each key of an Indicator's
`computation` measures, how, and its default target and direction. The assessment round
(programme.assessment) calls `compute(key, communities=…, start=…, end=…)` once per computed
indicator over every community of the district.

A run acts as a district-scope system actor: it reads the other apps through their selectors
for a list of communities (the `… _by_community` functions at the end of each app's selectors), never
for a user. Each computation is a constant number of grouped queries, whatever the number of
communities. The period is local days (Asia/Shanghai), `start` and `end` both included. A value is
None when there is nothing to measure (no request resolved, nobody on the roster…): the indicator
then drops out of the community's total and its weight is shared among the others. Each value
keeps the counts it came from (`Measured.inputs`), stored with it so a result can be explained.

Cost, measured on 150 communities (900 grids) with a million requests over two years and 330,000
residents: the requests' two computations read the half-year's resolutions in one parallel scan
grouped by grid (about 0.5 s each; no index on resolved_at is needed for that), the register's about
1 s, every other one well under 0.5 s.

What each value means (the key, then the label officials read):

- ``requests_on_time`` — 按时办结率, share of requests resolved on time (%). Of the service
  requests in the community's grids resolved in the period, the share resolved by their resolve-by
  time. A request reopened and resolved again counts once, at its last resolution; rejected and
  merged requests are not resolved. None when none was resolved. Target 90 %, higher is better.
- ``satisfaction`` — 群众满意度, residents' average rating (1–5) of the same requests (those
  resolved in the period) that they rated. None when none was rated. Target 4.5.
- ``verified_per_household`` — 户均认证居民数, verified residents per household: residents
  entered in the community's register by the period's end and still living there then whose entry
  is linked to a verified account, divided by the households with at least one such resident. The
  register keeps no history of links: an account linked after the period by a verification is left
  out, one whose verification has ended since is not counted. None with no household. Target 1.
- ``proposals_answered_on_time`` — 居民提议按时答复率 (%). Of the proposals of the community whose
  answer fell due in the period (the 15 days after reaching their threshold), those answered by
  their deadline; an unanswered one counts once its deadline has passed (during the period, one
  still ahead is not yet missed). None when no answer fell due. Target 90 %.
- ``volunteer_hours`` — 人均志愿服务时长, volunteer hours per resident: the hours staff confirmed
  for activities that started in the period, counted for the community of the grid the volunteer
  lived in when signing up, divided by the community's residents at the period's end (as above).
  None with no resident. Target 0.5 hours per resident.
- ``visit_coverage`` — 独居老人走访覆盖率 (%). Of the residents living alone and elderly (flagged,
  or 60 or over by birth year and month) in the community's register at the period's end, the
  share with at least one visit recorded in the period. None with nobody living alone and elderly.
  Target 95 %.
- ``training_completion`` — 必修培训完成率 (%). For each worker of the community (an active account
  with a worker profile and a grid-worker or community-staff role in the community or its grids,
  as the roles stand when computed), the courses their post requires (created by the period's end);
  the share of all those worker–course pairs the worker passed by the period's end (a completion
  scoring 60 or more, as the yearly assessment counts it). None when no course is required of
  anyone there. Target 90 %.
- ``datasets_shared`` — 数据共享次数, exchanges under data-sharing agreements: the signed entries
  of the exchange log (each a run of an approved agreement in force, its payload published to the
  consumer department) made in the period under an agreement whose areas include the community, an
  area above it or a grid in it. A district-wide agreement counts for every community. Never None
  (0 when nothing was shared). Target 6 (one a month over a half-year).
- ``security_incidents`` — 安全事件数, lower is better: the security alerts raised in the period
  whose area is the community or one of its grids, of every kind (failed sign-in bursts, mass
  exports or reveals, reveals out of working hours, failed audit-chain checks). Alerts about a
  subdistrict or the whole district (as a failed audit-chain check usually is) count for no
  community. Never None. Target 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from directory.models import Area
from exchange.selectors import exchange_figures_by_community
from participation.proposal_selectors import proposal_answer_figures_by_community
from participation.volunteering_selectors import volunteer_hours_by_community
from programme.models import Indicator, IndicatorGroup
from residents.selectors import register_figures_by_community
from security.selectors import security_alert_figures_by_community
from services.selectors import resolution_figures_by_community
from workforce.selectors import training_figures_by_community
from workforce.visit_selectors import alone_elderly_visit_figures_by_community

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Measured:
    """One community's value of a computed indicator (None: nothing to measure), with the counts it
    came from."""

    value: Decimal | None
    inputs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Computation:
    label: Promise  # lazy gettext: what officials read
    unit: str | Promise
    group: str  # an IndicatorGroup value
    direction: str  # an Indicator.Direction value
    target: Decimal
    compute: Callable[[list[Area], date, date], dict[int, Measured]]


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _share(part: int, whole: int) -> Decimal | None:
    """part ÷ whole as a percentage to two decimals; None when whole is 0."""
    return _rounded(HUNDRED * part / whole) if whole else None


def _ratio(part: Decimal | int, whole: int) -> Decimal | None:
    return _rounded(Decimal(part) / whole) if whole else None


# --- the computations ----------------------------------------------------------------------------
def requests_on_time(communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    figures = resolution_figures_by_community(communities=communities, start=start, end=end)
    return {
        pk: Measured(_share(f["on_time"], f["resolved"]), {"resolved": f["resolved"], "on_time": f["on_time"]})
        for pk, f in figures.items()
    }


def satisfaction(communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    figures = resolution_figures_by_community(communities=communities, start=start, end=end)
    return {
        pk: Measured(_ratio(f["rating_sum"], f["rated"]), {"rated": f["rated"], "rating_sum": f["rating_sum"]})
        for pk, f in figures.items()
    }


def verified_per_household(communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    figures = register_figures_by_community(communities=communities, end=end)
    return {
        pk: Measured(_ratio(f["verified"], f["households"]), {"verified": f["verified"], "households": f["households"]})
        for pk, f in figures.items()
    }


def proposals_answered_on_time(communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    figures = proposal_answer_figures_by_community(communities=communities, start=start, end=end)
    return {pk: Measured(_share(f["on_time"], f["due"]), dict(f)) for pk, f in figures.items()}


def volunteer_hours(communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    hours = volunteer_hours_by_community(communities=communities, start=start, end=end)
    register = register_figures_by_community(communities=communities, end=end)
    return {
        pk: Measured(
            _ratio(hours[pk], register[pk]["residents"]),
            {"hours": str(hours[pk]), "residents": register[pk]["residents"]},
        )
        for pk in hours
    }


def visit_coverage(communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    figures = alone_elderly_visit_figures_by_community(communities=communities, start=start, end=end)
    return {pk: Measured(_share(f["visited"], f["alone_elderly"]), dict(f)) for pk, f in figures.items()}


def training_completion(communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    figures = training_figures_by_community(communities=communities, end=end)
    return {pk: Measured(_share(f["passed"], f["required"]), dict(f)) for pk, f in figures.items()}


def datasets_shared(communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    figures = exchange_figures_by_community(communities=communities, start=start, end=end)
    return {pk: Measured(Decimal(f["exchanges"]), dict(f)) for pk, f in figures.items()}


def security_incidents(communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    figures = security_alert_figures_by_community(communities=communities, start=start, end=end)
    return {pk: Measured(Decimal(f["alerts"]), dict(f)) for pk, f in figures.items()}


HIGHER, LOWER = Indicator.Direction.HIGHER.value, Indicator.Direction.LOWER.value

# key → computation, in the order the default indicator system lists them. The key is what an
# Indicator stores in `computation`: never rename one (past systems and rounds name it).
COMPUTATIONS: dict[str, Computation] = {
    "requests_on_time": Computation(
        _("Requests resolved on time"), "%", IndicatorGroup.SERVICE, HIGHER, Decimal(90), requests_on_time
    ),
    "satisfaction": Computation(
        _("Residents' satisfaction (average rating)"),
        _("points of 5"),
        IndicatorGroup.SERVICE,
        HIGHER,
        Decimal("4.5"),
        satisfaction,
    ),
    "verified_per_household": Computation(
        _("Verified residents per household"),
        _("per household"),
        IndicatorGroup.PARTICIPATION,
        HIGHER,
        Decimal(1),
        verified_per_household,
    ),
    "proposals_answered_on_time": Computation(
        _("Proposals answered on time"),
        "%",
        IndicatorGroup.PARTICIPATION,
        HIGHER,
        Decimal(90),
        proposals_answered_on_time,
    ),
    "volunteer_hours": Computation(
        _("Volunteer hours per resident"),
        _("hours per resident"),
        IndicatorGroup.PARTICIPATION,
        HIGHER,
        Decimal("0.5"),
        volunteer_hours,
    ),
    "visit_coverage": Computation(
        _("Visit coverage of elderly residents living alone"),
        "%",
        IndicatorGroup.WORKFORCE,
        HIGHER,
        Decimal(95),
        visit_coverage,
    ),
    "training_completion": Computation(
        _("Required training completed"), "%", IndicatorGroup.WORKFORCE, HIGHER, Decimal(90), training_completion
    ),
    "datasets_shared": Computation(
        _("Data exchanges under sharing agreements"),
        _("exchanges"),
        IndicatorGroup.DATA_SHARING,
        HIGHER,
        Decimal(6),
        datasets_shared,
    ),
    "security_incidents": Computation(
        _("Security incidents"), _("alerts"), IndicatorGroup.SECURITY, LOWER, Decimal(0), security_incidents
    ),
}


def computation_choices() -> list[tuple[str, str]]:
    """(key, label in the reader's language) of every computation, for a form's choices."""
    return [(key, str(computation.label)) for key, computation in COMPUTATIONS.items()]


def compute(key: str, *, communities: list[Area], start: date, end: date) -> dict[int, Measured]:
    """{community id: Measured} of computation `key` over `communities` for the period (local days,
    both included). Every community given is in the result. A key not in COMPUTATIONS raises KeyError."""
    communities = list(communities)
    if not communities:
        return {}
    return COMPUTATIONS[key].compute(communities, start, end)
