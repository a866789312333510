"""What each worker did over a period (their casework): the requests they resolved and how residents
rated them, those resolved late, the elderly visits they made and the courses they completed.

Read by the team's workload page (workforce.workload) and the yearly assessment. Always a constant
number of grouped queries, whatever the number of workers: one per source, grouped by worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils import timezone

from services.models import ServiceRequest
from workforce.models import WorkerProfile
from workforce.models_training import Enrolment
from workforce.models_visits import Visit
from workforce.training import PASS_MARK


@dataclass(frozen=True)
class WorkerFigures:
    """One worker's figures over a period; a worker with no casework has all zeros."""

    resolved: int = 0  # requests assigned to them and resolved in the period
    resolved_late: int = 0  # of those, resolved after their resolve-by time
    rated: int = 0  # of those, how many the resident rated
    average_rating: Decimal | None = None  # 1 to 5, to one decimal; None when none was rated
    visits: int = 0  # elderly visits they made in the period
    courses_completed: int = 0  # course completions recorded in the period
    courses_passed: int = 0  # of those, with a passing score (a certificate earned)

    @property
    def on_time(self) -> int:
        return self.resolved - self.resolved_late


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _ids(profiles: list[WorkerProfile] | QuerySet[WorkerProfile]) -> dict[int, int]:
    """{user id: profile id}; one query for a queryset, none for a list."""
    if isinstance(profiles, QuerySet):
        rows = profiles.prefetch_related(None).order_by().values_list("user_id", "pk")
        return dict(rows)
    return {profile.user_id: profile.pk for profile in profiles}


def worker_figures(
    profiles: list[WorkerProfile] | QuerySet[WorkerProfile], *, start: date, end: date
) -> dict[int, WorkerFigures]:
    """The figures of each profile from `start` to `end` (both days included, in local time), keyed by
    profile pk. Three grouped queries (plus one to read a queryset's ids)."""
    by_user = _ids(profiles)
    if not by_user or end < start:
        return {pk: WorkerFigures() for pk in by_user.values()}
    since, until = _day_start(start), _day_start(end + timedelta(days=1))

    # resolved_at is set on resolution and cleared on reopening, so it alone says "resolved then".
    requests = (
        ServiceRequest.objects.filter(assignee_id__in=list(by_user), resolved_at__gte=since, resolved_at__lt=until)
        .order_by()
        .values("assignee_id")
        .annotate(
            resolved=Count("pk"),
            late=Count("pk", filter=Q(resolved_at__gt=F("resolve_due_at"))),
            rated=Count("rating"),
            average=Avg("rating"),
        )
    )
    visits = (
        Visit.objects.filter(visitor_id__in=list(by_user), visited_on__gte=start, visited_on__lte=end)
        .order_by()
        .values("visitor_id")
        .annotate(n=Count("pk"))
    )
    courses = (
        Enrolment.objects.filter(profile_id__in=list(by_user.values()), completed_on__gte=start, completed_on__lte=end)
        .order_by()
        .values("profile_id")
        .annotate(n=Count("pk"), passed=Count("pk", filter=Q(score__gte=PASS_MARK)))
    )

    fields: dict[int, dict] = {pk: {} for pk in by_user.values()}
    for row in requests:
        average = row["average"]
        fields[by_user[row["assignee_id"]]].update(
            resolved=row["resolved"],
            resolved_late=row["late"],
            rated=row["rated"],
            average_rating=None
            if average is None
            else Decimal(str(average)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        )
    for row in visits:
        fields[by_user[row["visitor_id"]]]["visits"] = row["n"]
    for row in courses:
        fields[row["profile_id"]].update(courses_completed=row["n"], courses_passed=row["passed"])
    return {pk: WorkerFigures(**values) for pk, values in fields.items()}
