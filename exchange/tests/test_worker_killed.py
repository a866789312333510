"""A real Celery worker (a subprocess on the real Redis broker and the test database) is killed
with SIGKILL in the middle of an exchange job, after it wrote the payload and before it logged it.
A restarted worker gets the unacknowledged message again and finishes the job: exactly one
complete, correctly signed log entry and payload, none lost, none doubled."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from exchange.models import ExchangeJob, JobStatus, MessageLogEntry, MessageLogResident
from exchange.payloads import payload_dir, payload_path
from exchange.services import exchange_job_request
from exchange.services.log import message_log_verify
from exchange.signing import manifest_of, signature_valid
from exchange.tasks import exchange_job_run_task
from portal.celery import app

BASE_DIR = Path(settings.BASE_DIR)


def start_worker(pause: int) -> subprocess.Popen:
    database = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "exchange.tests.worker_settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": os.environ["REDIS_URL"],
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "EXCHANGE_PAUSE_BEFORE_LOG": str(pause),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def temporaries(job):
    return list(payload_dir().glob(f".{job.public_id}.*.tmp"))


@pytest.mark.django_db(transaction=True)
def test_a_job_killed_mid_way_is_finished_once_by_the_restarted_worker(active, residents, parties):
    assert exchange_job_run_task.acks_late or app.conf.task_acks_late
    assert not app.conf.task_always_eager
    app.control.purge()
    agreement = active()
    first = start_worker(pause=120)
    second = None
    try:
        job = exchange_job_request(actor=parties.consumer_officer, agreement=agreement)
        # The first worker has written the payload to its temporary file and now waits before
        # logging it: kill it there.
        wait_until(lambda: temporaries(job), 60, "the first worker to write the payload")
        assert ExchangeJob.objects.get(pk=job.pk).status == JobStatus.RUNNING
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        assert not MessageLogEntry.objects.exists()
        assert not payload_path(f"{job.public_id}.jsonl").exists()

        second = start_worker(pause=0)
        wait_until(
            lambda: ExchangeJob.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED,
            90,
            "the restarted worker to finish the job",
        )
        # Give a duplicate delivery, if any, the time to show itself.
        time.sleep(2)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)

    job.refresh_from_db()
    assert job.attempts == 2
    entry = MessageLogEntry.objects.get()
    assert entry.job_id == job.pk and entry.record_count == 2
    body = payload_path(entry.payload_name).read_bytes()
    assert hashlib.sha256(body).hexdigest() == entry.payload_sha256
    assert len(body.splitlines()) == 2
    assert signature_valid(entry.signing_key, manifest_of(entry), entry.signature)
    assert message_log_verify(payloads=True).intact
    assert MessageLogResident.objects.filter(entry=entry).count() == 2
    assert sorted(p.name for p in payload_dir().iterdir()) == [entry.payload_name]
