"""A real Celery worker, fed through the real Redis broker, computes a round queued on commit when it
opens and again when a leader asks (so the task's argument went through the JSON serializer and
back), and a second delivery changes nothing."""

import time
from decimal import Decimal as D

import pytest

from programme.models import IndicatorValue
from programme.tasks import round_compute_task
from programme.tests import test_assessment as base
from programme.tests.test_assessment import open_round
from security.models import AuditEvent

registry, people, system = base.registry, base.people, base.system


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_computes_a_round_queued_on_commit_and_a_redelivery_changes_nothing(
    celery_worker_thread, system, registry, people, tree
):
    registry.values[("on_time", tree.c1.pk)] = D(45)
    round_ = open_round(people, tree)  # commits: the on-commit hook sends the round's id through Redis
    assert wait_for(lambda: IndicatorValue.objects.filter(round=round_).count() == 4)
    round_.refresh_from_db()
    assert wait_for(lambda: type(round_).objects.get(pk=round_.pk).computed_at is not None)
    assert IndicatorValue.objects.get(round=round_, community=tree.c1, indicator__code="on_time").score == D(50)

    assert round_compute_task.delay(round_.pk).get(timeout=30) == 4
    assert IndicatorValue.objects.filter(round=round_).count() == 4
    runs = AuditEvent.objects.filter(action="programme.round_compute", actor=None)
    assert runs.count() == 2 and runs.first().details["run"] == "programme.round_compute"
