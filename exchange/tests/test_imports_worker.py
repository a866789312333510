"""A real Celery worker, fed through the real Redis broker, runs an import queued on commit (so the
task's arguments went through the JSON serializer and back), and a second delivery of the same message changes
nothing. A worker killed (SIGKILL) in the middle of an import leaves its message unacknowledged; the
restarted worker gets it again and finishes the import, writing no batch twice."""

import signal
import time

import pytest

from exchange.imports.tasks import dataset_import_run_task
from exchange.models import DatasetImport, ImportStatus
from exchange.tests import test_imports as shared
from exchange.tests.test_imports import csv_bytes, person, snapshot
from residents.models import ResidentProfile
from security.models import AuditEvent

provider, push = shared.provider, shared.push


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_an_import_queued_on_commit_and_a_redelivery_changes_nothing(celery_worker_thread, push):
    content = csv_bytes([person(n, household=f"H{n // 2}") for n in range(1, 8)] + [person(9, name="")])
    dataset_import = push(content)  # commits: the on-commit hook sends the import's id through Redis

    assert wait_for(lambda: DatasetImport.objects.get(pk=dataset_import.pk).status == ImportStatus.SUCCEEDED)
    dataset_import.refresh_from_db()
    assert (dataset_import.created_count, dataset_import.rejected_count) == (7, 1)
    assert ResidentProfile.objects.count() == 7
    after = snapshot()

    # The same message delivered again (late acknowledgement after a lost worker): a no-op.
    result = dataset_import_run_task.delay(dataset_import.pk)
    assert result.get(timeout=30) is None
    assert snapshot() == after
    assert AuditEvent.objects.filter(action="exchange.import.finish", object_id=str(dataset_import.pk)).count() == 1


def many_people(count: int) -> list[list[str]]:
    """`count` rows with distinct valid ID numbers (a new birth date every thousand)."""
    from datetime import date, timedelta

    from security.personal_data import id_card_check_character

    rows = []
    for n in range(count):
        born = date(1950, 1, 1) + timedelta(days=n // 1000)
        body = f"511302{born:%Y%m%d}{n % 1000:03d}"
        rows.append(
            [f"H{n // 3}", f"人民路{n // 3}号", "G1", f"居民{n}", body + id_card_check_character(body), "", "", ""]
        )
    return rows


@pytest.mark.django_db(transaction=True)
def test_an_import_killed_mid_way_is_finished_by_the_restarted_worker(push, monkeypatch):
    from exchange.imports import services as import_services
    from exchange.tests.test_worker_killed import start_worker, wait_until
    from portal.celery import app

    assert dataset_import_run_task.acks_late
    app.control.purge()
    monkeypatch.setattr(import_services, "BATCH_SIZE", 200)
    first = start_worker(pause=0)
    second = None
    try:
        dataset_import = push(csv_bytes(many_people(6000)))
        batches = dataset_import.batches
        wait_until(lambda: batches.filter(status="done").count() >= 3, 90, "the first worker to write some batches")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        done_when_killed = batches.filter(status="done").count()
        assert 3 <= done_when_killed < 30
        assert DatasetImport.objects.get(pk=dataset_import.pk).status == ImportStatus.RUNNING

        second = start_worker(pause=0)
        wait_until(
            lambda: DatasetImport.objects.get(pk=dataset_import.pk).status == ImportStatus.SUCCEEDED,
            120,
            "the restarted worker to finish the import",
        )
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)

    dataset_import.refresh_from_db()
    assert (dataset_import.created_count, dataset_import.rejected_count, dataset_import.batch_count) == (6000, 0, 30)
    assert ResidentProfile.objects.count() == 6000
    # No batch was written twice: each one done once, by one worker or the other.
    assert set(batches.values_list("status", "attempts")) == {("done", 1)}
    # What the killed batch had begun left nothing behind: the data is that of one clean run.
    assert sorted(ResidentProfile.objects.values_list("full_name", flat=True)) == sorted(
        f"居民{n}" for n in range(6000)
    )
