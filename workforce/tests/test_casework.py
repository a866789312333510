"""Each worker's casework over a period: requests resolved (late, rated), visits made, courses done."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from residents.models import Household, ResidentProfile
from services.models import RequestStatus, ServiceRequest
from workforce.casework import WorkerFigures, worker_figures
from workforce.models import WorkerProfile
from workforce.models_training import Course, Enrolment
from workforce.models_visits import Visit

pytestmark = pytest.mark.django_db
START, END = date(2026, 1, 1), date(2026, 12, 31)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def resolved(service, grid, assignee, day, *, late=False, rating=None, status=RequestStatus.RESOLVED):
    """A request assigned to `assignee`, resolved on `day` (after its deadline when `late`)."""
    due = at(day) + (timedelta(hours=-1) if late else timedelta(days=1))
    return ServiceRequest.objects.create(
        service=service,
        description="路灯坏了",
        grid=grid,
        filed_by=assignee,
        status=status,
        assignee=assignee,
        accept_due_at=due,
        resolve_due_at=due,
        resolved_at=None if status not in (RequestStatus.RESOLVED, RequestStatus.CLOSED) else at(day),
        rating=rating,
    )


def visits(user, grid, days):
    home = Household.objects.create(address="幸福路1号", grid=grid)
    elder = ResidentProfile.objects.create(household=home, full_name="老人", is_elderly=True)
    for day in days:
        Visit.objects.create(resident=elder, visitor=user, visited_on=day, mode="in_person", condition="good")


def completion(profile, title, day, score, creator):
    course = Course.objects.create(title=title, kind=Course.Kind.ONLINE, created_by=creator)
    return Enrolment.objects.create(course=course, profile=profile, completed_on=day, score=score)


def test_each_workers_figures_count_only_their_own_casework_within_the_period(crew, catalogue, tree):
    repair = catalogue.repair
    resolved(repair, tree.g1, crew.w1, date(2026, 3, 1), rating=5)
    resolved(repair, tree.g1, crew.w1, date(2026, 4, 1), rating=4, status=RequestStatus.CLOSED)
    resolved(repair, tree.g1, crew.w1, date(2026, 5, 1), late=True)
    resolved(repair, tree.g1, crew.w1, date(2025, 12, 31), rating=1)  # before the period
    resolved(repair, tree.g1, crew.w1, date(2026, 6, 1), status=RequestStatus.IN_PROGRESS)  # not resolved
    resolved(repair, tree.g1b, crew.w1b, date(2026, 12, 31), late=True, rating=2)  # last day counts
    visits(crew.w1, tree.g1, [date(2026, 2, 1), date(2026, 2, 8), date(2027, 1, 1)])
    completion(crew.p1, "急救", date(2026, 7, 1), 90, crew.civil)
    completion(crew.p1, "法律", date(2026, 8, 1), 40, crew.civil)
    completion(crew.p1b, "旧课", date(2025, 8, 1), 90, crew.civil)

    figures = worker_figures([crew.p1, crew.p1b, crew.p2], start=START, end=END)

    assert figures[crew.p1.pk] == WorkerFigures(
        resolved=3,
        resolved_late=1,
        rated=2,
        average_rating=Decimal("4.5"),
        visits=2,
        courses_completed=2,
        courses_passed=1,
    )
    assert figures[crew.p1.pk].on_time == 2
    assert figures[crew.p1b.pk] == WorkerFigures(resolved=1, resolved_late=1, rated=1, average_rating=Decimal("2.0"))
    assert figures[crew.p2.pk] == WorkerFigures()


def test_a_queryset_of_profiles_is_read_in_a_constant_number_of_queries(
    crew, catalogue, tree, django_assert_max_num_queries
):
    profiles = WorkerProfile.objects.filter(pk__in=[crew.p1.pk, crew.p1b.pk])
    with django_assert_max_num_queries(4):
        few = worker_figures(profiles, start=START, end=END)
    for day in range(1, 20):
        resolved(catalogue.repair, tree.g1, crew.w1, date(2026, 3, day), rating=3)
        resolved(catalogue.repair, tree.g1b, crew.w1b, date(2026, 3, day), late=True)
    visits(crew.w1, tree.g1, [date(2026, 2, day) for day in range(1, 20)])
    with django_assert_max_num_queries(4):
        many = worker_figures(WorkerProfile.objects.all(), start=START, end=END)
    assert few[crew.p1.pk] == WorkerFigures()
    assert many[crew.p1.pk].resolved == 19 and many[crew.p1.pk].visits == 19
    assert many[crew.p1b.pk].resolved_late == 19
    assert set(many) == set(WorkerProfile.objects.values_list("pk", flat=True))


def test_no_profiles_or_an_empty_period_gives_no_queries_and_zeros(crew, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert worker_figures([], start=START, end=END) == {}
        assert worker_figures([crew.p1], start=END, end=START) == {crew.p1.pk: WorkerFigures()}
