"""The beat task, run by a real Celery worker on the real broker."""

import json

import pytest
from django.utils import timezone

from dashboards.models import DailySummary, SummaryState
from dashboards.services import local_today
from dashboards.tasks import summaries_refresh_task
from dashboards.tests.generate import generate, world
from services.models import ServiceRequest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_refreshes_the_summaries(celery_worker_thread, tree, orgs, catalogue, people, make_user):
    w = world(tree=tree, orgs=orgs, catalogue=catalogue, people=people, make_user=make_user)
    generate(w, n=8, now=timezone.now(), max_days_ago=10)
    before_today = ServiceRequest.objects.exclude(created_at__date=timezone.localdate()).count()
    result = summaries_refresh_task.delay().get(timeout=60)
    assert result["summarised_until"] == local_today().isoformat()
    assert SummaryState.objects.get().summarised_until == local_today()
    assert sum(DailySummary.objects.values_list("requests", flat=True)) == before_today
    # A second run (it looks a margin behind its watermark, so it recomputes the days just changed)
    # leaves the rows as they were.
    rows = sorted(DailySummary.objects.values_list("day", "grid_id", "service_id", "requests"))
    summaries_refresh_task.delay().get(timeout=60)
    assert sorted(DailySummary.objects.values_list("day", "grid_id", "service_id", "requests")) == rows


@pytest.mark.django_db
def test_the_task_returns_what_json_carries_unchanged(tree, orgs, catalogue, people, make_user):
    """Run in-process, where no serializer stands between the task and its caller: a date, a tuple
    or a Decimal in the result would come back from the real result backend as something else."""
    w = world(tree=tree, orgs=orgs, catalogue=catalogue, people=people, make_user=make_user)
    generate(w, n=3, now=timezone.now(), max_days_ago=5)
    result = summaries_refresh_task()
    assert json.loads(json.dumps(result)) == result
