"""Two yearly runs at once (the beat's and a manual one) leave one pending proposal per worker:
the second waits for the first and then finds its proposals."""

import threading
from datetime import date

import pytest
from django.db import connection

from workforce.models import LevelProposal
from workforce.services import level_proposals_run

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_runs_at_once_propose_each_step_once(crew):
    barrier = threading.Barrier(2, timeout=10)
    made, errors = [], []

    def run():
        try:
            barrier.wait()
            made.append(len(level_proposals_run(today=date(2026, 12, 7))))
        except Exception as error:  # noqa: BLE001 - the test reports what went wrong
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(made) == [0, 6]
    assert LevelProposal.objects.filter(status=LevelProposal.Status.PENDING).count() == 6
