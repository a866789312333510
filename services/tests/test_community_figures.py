"""The requests' figures by community that the programme's assessment reads: local days, both ends
included, summed from grids to their community."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from services import services as steps
from services.models import ServiceRequest
from services.selectors import resolution_figures_by_community

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 31)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def resolved_at(request, worker, moment: datetime, *, rating=None, rater=None):
    steps.request_accept(request=request, actor=worker)
    steps.request_assign(request=request, actor=worker, assignee=worker)
    steps.request_start(request=request, actor=worker)
    steps.request_resolve(request=request, actor=worker, note="修好了")
    if rating:
        steps.request_rate(request=ServiceRequest.objects.get(pk=request.pk), actor=rater, score=rating)
    ServiceRequest.objects.filter(pk=request.pk).update(resolved_at=moment, resolve_due_at=local(DAY, 12))


def test_the_period_is_local_days_with_both_ends_included(file_request, people, tree):
    worker, resident = people.worker, people.resident
    resolved_at(file_request(), worker, local(DAY, 0, 5), rating=3, rater=resident)  # first minutes of the day
    resolved_at(file_request(), worker, local(DAY, 23, 55), rating=5, rater=resident)  # late: after noon
    resolved_at(file_request(), worker, local(DAY + timedelta(days=1), 0, 5))  # the next day
    resolved_at(file_request(), worker, local(DAY - timedelta(days=1), 23, 55))  # the day before
    resolved_at(file_request(grid=tree.g1b), people.worker_g1b, local(DAY, 8))  # C1's other grid

    figures = resolution_figures_by_community(communities=[tree.c1, tree.c2], start=DAY, end=DAY)

    assert figures == {
        tree.c1.pk: {"resolved": 3, "on_time": 2, "rated": 2, "rating_sum": 8},
        tree.c2.pk: {"resolved": 0, "on_time": 0, "rated": 0, "rating_sum": 0},
    }
    assert resolution_figures_by_community(communities=[tree.c1], start=DAY, end=DAY - timedelta(days=1)) == {
        tree.c1.pk: {"resolved": 0, "on_time": 0, "rated": 0, "rating_sum": 0}
    }
