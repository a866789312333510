"""Who is due a visit (走访), computed from the register and the visits; never stored.

A resident is on the roster when they still live here and are elderly (flagged, or 60 or over by
their birth year and month) or live alone. Their interval comes from the visit rules in force; they
are overdue when their last visit (or, never visited, their entry in the register) is further back
than their interval. Ages come from birth year and month, so nothing is decrypted. The last visit is
read from LastVisit, which the database keeps with every visit written."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from directory.models import Area
from residents.models import ResidentProfile
from workforce.models_visits import Visit, VisitRules

ELDERLY_AGE = 60


def visit_rules_in_force() -> VisitRules:
    """The newest version of the visit rules; the defaults (unsaved) before anyone set them."""
    return VisitRules.objects.order_by("-id").first() or VisitRules()


def aged_at_least(years: int, today: date) -> Q:
    """Residents whose birth year and month put them at `years` or older this month."""
    year = today.year - years
    return Q(birth_year__lt=year) | Q(birth_year=year, birth_month__lte=today.month)


def roster_condition(today: date) -> Q:
    return Q(is_elderly=True) | Q(lives_alone=True) | aged_at_least(ELDERLY_AGE, today)


def visit_tiers(rules: VisitRules, today: date) -> list[tuple[Q, int]]:
    """(who, days between visits), first match wins."""
    alone_old = Q(lives_alone=True) & aged_at_least(rules.old_age, today)
    return [(alone_old, rules.days_alone_old), (Q(lives_alone=True), rules.days_alone), (Q(), rules.days_other)]


def roster(
    residents: QuerySet[ResidentProfile], *, rules: VisitRules | None = None, today: date | None = None
) -> QuerySet[ResidentProfile]:
    """The roster within `residents` (already scoped by the caller), each annotated with
    `last_visited_on`, `interval_days` and `due_on` (the day the next visit falls due), soonest due
    (most overdue) first."""
    today = today or timezone.localdate()
    tiers = visit_tiers(rules or visit_rules_in_force(), today)
    return (
        residents.living()
        .filter(roster_condition(today))
        .annotate(
            last_visited_on=F("last_visit__visited_on"),
            interval_days=Case(
                *[When(who, then=Value(days)) for who, days in tiers[:-1]],
                default=Value(tiers[-1][1]),
                output_field=IntegerField(),
            ),
            # Never visited: counted from the day they entered the register.
            reckoned_from=Coalesce(F("last_visited_on"), TruncDate("created_at"), output_field=DateField()),
        )
        .annotate(due_on=ExpressionWrapper(F("reckoned_from") + F("interval_days"), output_field=DateField()))
        .order_by("due_on", "pk")
    )


def overdue(
    residents: QuerySet[ResidentProfile], *, rules: VisitRules | None = None, today: date | None = None
) -> QuerySet[ResidentProfile]:
    """The part of the roster whose next visit fell due before today. Written per tier as a date
    comparison (rather than on `due_on`) so PostgreSQL compares plain dates."""
    today = today or timezone.localdate()
    rules = rules or visit_rules_in_force()
    late = None
    matched_before = None
    for who, days in visit_tiers(rules, today):
        in_tier = who if matched_before is None else who & ~matched_before
        term = in_tier & Q(reckoned_from__lt=today - timedelta(days=days))
        late = term if late is None else late | term
        matched_before = who if matched_before is None else matched_before | who
    return roster(residents, rules=rules, today=today).filter(late)


# --- figures by community for the programme's assessment (issue 19) ---
# Read by a district-scope batch run (programme.indicators), not for a user: the caller names the
# communities. One grouped query, whatever their number.
def alone_elderly_visit_figures_by_community(
    *, communities: list[Area], start: date, end: date
) -> dict[int, dict[str, int]]:
    """{community id: figures} of the elderly residents living alone in each community's grids, as
    the register stood at the end of `end`: living alone, elderly (flagged, or 60 or over by their
    birth year and month at `end`), entered by then and not recorded as moved out or deceased by
    then — `alone_elderly` — and how many of them had at least one visit recorded from `start` to
    `end` (both included) — `visited`. Every community is in the result."""
    figures = {community.pk: {"alone_elderly": 0, "visited": 0} for community in communities}
    if not figures or end < start:
        return figures
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=timezone.get_default_timezone())
    visited = Visit.objects.filter(resident=OuterRef("pk"), visited_on__gte=start, visited_on__lte=end)
    rows = (
        ResidentProfile.objects.filter(
            Q(is_elderly=True) | aged_at_least(ELDERLY_AGE, end),
            lives_alone=True,
            household__grid__parent_id__in=list(figures),
            household__grid__kind=Area.Kind.GRID,
            created_at__lt=until,
        )
        .filter(Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=end), Q(died_on__isnull=True) | Q(died_on__gt=end))
        .order_by()
        .values("household__grid__parent_id")
        .annotate(alone_elderly=Count("pk"), visited=Count("pk", filter=Exists(visited)))
    )
    for row in rows:
        figures[row["household__grid__parent_id"]].update(alone_elderly=row["alone_elderly"], visited=row["visited"])
    return figures
