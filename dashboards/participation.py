"""Participation on the dashboards: how the residents of each area take part, over a period.

Read for an area overseer only (their subtree; see docs/dashboards.md, "Participation"), at the
drill-down area and below, with a constant number of grouped queries however many rows the
participation tables hold. Every figure is counted at a grid (where the person lives, or the
volunteer's grid when they signed up) or, for proposals, at their community, and then rolled up
in Python to the areas one level down and to the communities, by path.

Definitions (the period is local days, both included, as on the other pages):
- verified residents: register entries linked to an account (`ResidentProfile.user`, as the
  proposals' default threshold counts them), now;
- proposals: published in the period; supports: given in the period;
- answered on time: of the proposals that reached their threshold in the period, in their state
  now, those answered by their deadline, over those whose answer is given or due;
- poll turnout: for the polls that opened in the period, ballots over the verified residents (now)
  of the part of each poll's area inside the row, summed over the polls;
- event attendances: check-ins at events that started in the period;
- volunteer hours: confirmed hours of activities that started in the period;
- residents taking part: verified residents counted in any of the figures above, each once; the
  participation rate is their share of the verified residents, and what communities are ranked by
  unless another column is chosen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboards.figures import Filters
from dashboards.services import day_start
from directory.models import Area
from participation.models import (
    Event,
    EventSignup,
    EventSignupStatus,
    Poll,
    PollVoter,
    Proposal,
    ProposalSupport,
    VolunteerActivity,
    VolunteerSignup,
)
from residents.models import Household, ResidentProfile


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Participation:
    """The participation figures of one area (or of the whole drill-down area)."""

    verified: int = 0
    active: int = 0
    proposals: int = 0
    supports: int = 0
    reached: int = 0
    answered_on_time: int = 0
    answer_due: int = 0
    poll_eligible: int = 0
    poll_voters: int = 0
    attended: int = 0
    volunteer_hours: Decimal = Decimal(0)

    def add(self, other: Participation) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    @property
    def participation_rate(self) -> float | None:
        return _share(self.active, self.verified)

    @property
    def on_time_share(self) -> float | None:
        return _share(self.answered_on_time, self.answer_due)

    @property
    def turnout(self) -> float | None:
        return _share(self.poll_voters, self.poll_eligible)


@dataclass
class ParticipationRow:
    area: Area
    figures: Participation


@dataclass
class ParticipationFigures:
    area: Area
    total: Participation
    children: list[ParticipationRow]
    communities: list[ParticipationRow]


# How communities may be ranked: the figure, best first. Rates without a denominator go last.
RANKINGS = {
    "rate": (_("Participation rate"), lambda p: p.participation_rate),
    "proposals": (_("Proposals"), lambda p: p.proposals),
    "supports": (_("Supports"), lambda p: p.supports),
    "on_time": (_("Answered on time"), lambda p: p.on_time_share),
    "turnout": (_("Poll turnout"), lambda p: p.turnout),
    "attended": (_("Event attendances"), lambda p: p.attended),
    "hours": (_("Volunteer hours"), lambda p: p.volunteer_hours),
}
DEFAULT_RANKING = "rate"


def ranked(rows: list[ParticipationRow], ranking: str = DEFAULT_RANKING) -> list[ParticipationRow]:
    value = RANKINGS[ranking][1]

    def key(row: ParticipationRow):
        figure = value(row.figures)
        return (figure is None, -(figure or 0), -row.figures.active, row.area.path)

    return sorted(rows, key=key)


# The verified residents taking part, each once: the area's verified residents (placed where they
# live now) who are among the people of at least one act counted on the page. PostgreSQL hashes
# each set of the period's people once (rather than probing per resident or joining the acts
# one by one, both of which measured slower on a district of 70,000 verified residents).
_ACTIVE_SQL = """
SELECT g.path, COUNT(*) FROM {resident} rp
  JOIN {household} h ON h.id = rp.household_id
  JOIN {area} g ON g.id = h.grid_id
 WHERE rp.user_id IS NOT NULL AND g.path LIKE %(like)s
   AND (rp.user_id IN (SELECT p.author_id FROM {proposal} p
                        WHERE p.created_at >= %(start)s AND p.created_at < %(end)s)
        OR rp.user_id IN (SELECT s.user_id FROM {support} s
                           WHERE s.created_at >= %(start)s AND s.created_at < %(end)s)
        OR rp.id IN (SELECT v.resident_id FROM {voter} v JOIN {poll} pl ON pl.id = v.poll_id
                      WHERE pl.opens_at >= %(start)s AND pl.opens_at < %(end)s)
        OR rp.user_id IN (SELECT es.user_id FROM {signup} es JOIN {event} ev ON ev.id = es.event_id
                           WHERE es.status = %(attended)s AND ev.starts_at >= %(start)s AND ev.starts_at < %(end)s)
        OR rp.user_id IN (SELECT vs.user_id FROM {volunteer} vs JOIN {activity} a ON a.id = vs.activity_id
                           WHERE vs.status = %(confirmed)s AND a.starts_at >= %(start)s AND a.starts_at < %(end)s))
 GROUP BY g.path
"""

# Per grid, the verified residents the polls opened in the period were open to: each poll counts
# the grids of its area's subtree (inside the drill-down area), with their verified residents now.
_POLL_ELIGIBLE_SQL = """
WITH verified AS (
    SELECT g.id, g.path, COUNT(*) AS n FROM {resident} rp
      JOIN {household} h ON h.id = rp.household_id
      JOIN {area} g ON g.id = h.grid_id
     WHERE rp.user_id IS NOT NULL AND g.path LIKE %(like)s
     GROUP BY g.id, g.path
)
SELECT verified.path, SUM(verified.n) FROM {poll} pl
  JOIN {area} pa ON pa.id = pl.area_id
  JOIN verified ON starts_with(verified.path, pa.path)
 WHERE pl.opens_at >= %(start)s AND pl.opens_at < %(end)s
 GROUP BY verified.path
"""


def _tables() -> dict[str, str]:
    return {
        "proposal": Proposal._meta.db_table,
        "support": ProposalSupport._meta.db_table,
        "resident": ResidentProfile._meta.db_table,
        "household": Household._meta.db_table,
        "voter": PollVoter._meta.db_table,
        "poll": Poll._meta.db_table,
        "signup": EventSignup._meta.db_table,
        "event": Event._meta.db_table,
        "volunteer": VolunteerSignup._meta.db_table,
        "activity": VolunteerActivity._meta.db_table,
        "area": Area._meta.db_table,
    }


def _grouped_sql(template: str, params: dict) -> list[tuple[str, object]]:
    with connection.cursor() as cursor:
        cursor.execute(template.format(**_tables()), params)
        return cursor.fetchall()


def _by_path(*, prefix: str, start: datetime, end: datetime, now: datetime) -> dict[str, Participation]:
    """Every figure at the path it is counted at: grids, and communities for proposals."""
    at: dict[str, Participation] = defaultdict(Participation)
    # The subtree as a LIKE prefix pattern, escaped as the ORM's startswith does it.
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    period = {"start": start, "end": end, "like": like}

    for path, n in (
        ResidentProfile.objects.filter(user__isnull=False, household__grid__path__startswith=prefix)
        .order_by()
        .values("household__grid__path")
        .annotate(n=Count("id"))
        .values_list("household__grid__path", "n")
    ):
        at[path].verified = n

    reached = Q(threshold_reached_at__gte=start, threshold_reached_at__lt=end)
    for row in (
        Proposal.objects.filter(Q(created_at__gte=start, created_at__lt=end) | reached)
        .filter(community__path__startswith=prefix)
        .order_by()
        .values("community__path")
        .annotate(
            proposals=Count("id", filter=Q(created_at__gte=start, created_at__lt=end)),
            reached=Count("id", filter=reached),
            on_time=Count("id", filter=reached & Q(answered_at__lte=F("answer_due_at"))),
            due=Count("id", filter=reached & (Q(answered_at__isnull=False) | Q(answer_due_at__lte=now))),
        )
    ):
        figures = at[row["community__path"]]
        figures.proposals, figures.reached = row["proposals"], row["reached"]
        figures.answered_on_time, figures.answer_due = row["on_time"], row["due"]

    for path, n in (
        ProposalSupport.objects.filter(
            created_at__gte=start, created_at__lt=end, proposal__community__path__startswith=prefix
        )
        .order_by()
        .values("proposal__community__path")
        .annotate(n=Count("id"))
        .values_list("proposal__community__path", "n")
    ):
        at[path].supports = n

    for path, n in _grouped_sql(_POLL_ELIGIBLE_SQL, period):
        at[path].poll_eligible = int(n)

    for path, n in (
        PollVoter.objects.filter(
            poll__opens_at__gte=start, poll__opens_at__lt=end, resident__household__grid__path__startswith=prefix
        )
        .order_by()
        .values("resident__household__grid__path")
        .annotate(n=Count("id"))
        .values_list("resident__household__grid__path", "n")
    ):
        at[path].poll_voters = n

    lives = "user__resident_profile__household__grid__path"
    for path, n in (
        EventSignup.objects.filter(
            status=EventSignupStatus.ATTENDED,
            event__starts_at__gte=start,
            event__starts_at__lt=end,
            **{f"{lives}__startswith": prefix},
        )
        .order_by()
        .values(lives)
        .annotate(n=Count("id"))
        .values_list(lives, "n")
    ):
        at[path].attended = n

    for path, hours in (
        VolunteerSignup.objects.filter(
            status=VolunteerSignup.Status.CONFIRMED,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
            grid__path__startswith=prefix,
        )
        .order_by()
        .values("grid__path")
        .annotate(hours=Sum("hours"))
        .values_list("grid__path", "hours")
    ):
        at[path].volunteer_hours = hours or Decimal(0)

    active_params = period | {"attended": EventSignupStatus.ATTENDED, "confirmed": VolunteerSignup.Status.CONFIRMED}
    for path, n in _grouped_sql(_ACTIVE_SQL, active_params):
        at[path].active = n
    return at


def _ancestor(path: str, depth: int) -> str:
    """The path of the area `depth` levels deep (the district is 1) that `path` lies in."""
    return "/".join(path.split("/")[:depth]) + "/"


def participation_figures(*, area: Area, filters: Filters, now: datetime | None = None) -> ParticipationFigures:
    """The participation figures of `area` (already checked to be in the viewer's scope), of the
    areas one level below it and of every community in it, for the period of `filters`."""
    now = now or timezone.now()
    start, end = day_start(filters.start), day_start(filters.end + timedelta(days=1))
    at = _by_path(prefix=area.path, start=start, end=end, now=now)
    below = list(
        Area.objects.filter(path__startswith=area.path)
        .filter(Q(parent=area) | Q(kind=Area.Kind.COMMUNITY))
        .exclude(kind=Area.Kind.GRID)
        .order_by("path")
    )
    children = {a.path: ParticipationRow(a, Participation()) for a in below if a.parent_id == area.pk}
    # (A community chosen as the area is among them: its subtree holds its own path.)
    communities = {a.path: ParticipationRow(a, Participation()) for a in below if a.kind == Area.Kind.COMMUNITY}
    total = Participation()
    depth = area.path.count("/")
    community_depth = next(iter(communities)).count("/") if communities else None
    for path, figures in at.items():
        total.add(figures)
        child = children.get(_ancestor(path, depth + 1))
        if child is not None:
            child.figures.add(figures)
        community = communities.get(_ancestor(path, community_depth)) if community_depth else None
        if community is not None:
            community.figures.add(figures)
    return ParticipationFigures(
        area=area, total=total, children=list(children.values()), communities=list(communities.values())
    )
