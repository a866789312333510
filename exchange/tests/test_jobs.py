import base64
import csv
import hashlib
import io
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from exchange.models import ExchangeJob, JobStatus, MessageLogEntry, MessageLogResident, SharingAgreement, SigningKey
from exchange.payloads import payload_dir, payload_path
from exchange.services import ExchangeRefused, agreement_revoke, exchange_job_request, exchange_job_run
from exchange.services.jobs import exchange_jobs_requeue_stalled, exchange_jobs_schedule
from exchange.services.log import message_log_verify
from exchange.signing import manifest_of
from security import personal_data
from security.models import AuditEvent
from tests.tampering import rewrite_as_database_superuser

pytestmark = pytest.mark.django_db


def run(agreement, actor=None, **kwargs):
    job = exchange_job_request(actor=actor or agreement.consumer.role_assignments.first().user, agreement=agreement)
    return exchange_job_run(job_id=job.pk, **kwargs)


def lines(entry):
    return [json.loads(line) for line in payload_path(entry.payload_name).read_text().splitlines()]


def test_a_job_sends_exactly_the_allowed_fields_of_the_allowed_areas_masked_as_agreed(active, residents, parties):
    agreement = active()
    entry = run(agreement, actor=parties.consumer_officer)
    records = sorted(lines(entry), key=lambda r: r["resident_id"])
    expected = sorted([residents.r1, residents.r1b], key=lambda r: str(r.public_id))  # both in S1, not r2 (S2)
    assert [r["resident_id"] for r in records] == [str(r.public_id) for r in expected]
    assert all(set(r) == {"resident_id", "full_name", "phone", "grid_code", "lives_alone"} for r in records)
    assert [r["phone"] for r in records] == [r.phone_masked for r in expected]
    assert "*" in records[0]["phone"]
    assert [r["full_name"] for r in records] == [r.full_name for r in expected]
    assert entry.record_count == 2
    assert set(MessageLogResident.objects.filter(entry=entry).values_list("resident_id", flat=True)) == {
        residents.r1.pk,
        residents.r1b.pk,
    }
    job = ExchangeJob.objects.get(pk=entry.job_id)
    assert (job.status, job.record_count) == (JobStatus.SUCCEEDED, 2)


def test_an_unmasked_sensitive_field_is_decrypted_and_needs_a_leader(active, residents, parties):
    agreement = active(fields=["resident_id", "id_card_number", "address"], masked_fields=["address"])
    assert agreement.needs_leader_approval and agreement.leader_approved_by == parties.leader
    records = {r["resident_id"]: r for r in lines(run(agreement, actor=parties.provider_officer))}
    mine = records[str(residents.r1.public_id)]
    assert mine["id_card_number"] == personal_data.decrypt(residents.r1.id_card_encrypted)
    assert mine["address"].endswith("***") and mine["address"] != residents.r1.household.address


def test_the_payload_is_signed_by_the_provider_and_verifies_with_the_public_key_alone(active, residents, parties):
    entry = run(active(payload_format="csv"), actor=parties.consumer_officer)
    body = payload_path(entry.payload_name).read_bytes()
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == ["resident_id", "full_name", "phone", "grid_code", "lives_alone"] and len(rows) == 3
    manifest = manifest_of(entry)
    facts = json.loads(manifest)
    assert facts["payload_sha256"] == hashlib.sha256(body).hexdigest() == entry.payload_sha256
    assert (facts["provider"], facts["consumer"], facts["record_count"]) == ("dept-a", "dept-b", 2)
    key = SigningKey.objects.get(organisation=parties.provider, is_active=True)
    Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key)).verify(
        base64.b64decode(entry.signature), manifest
    )
    assert key.public_key not in key.private_key_encrypted
    assert len(personal_data.decrypt_for("exchange signing key", key.private_key_encrypted)) == 32


def test_entries_chain_and_the_command_names_the_first_bad_one(active, residents, parties, capsys):
    agreement = active()
    first, second, third = (run(agreement, actor=parties.consumer_officer) for _ in range(3))
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    call_command("verify_exchange_log", "--payloads")
    assert "3 entries verified" in capsys.readouterr().out

    rewrite_as_database_superuser("UPDATE exchange_messagelogentry SET record_count = 99 WHERE id = %s", [second.pk])
    with pytest.raises(CommandError, match=f"entry {second.pk}: its content does not match its hash"):
        call_command("verify_exchange_log")


def test_a_tampered_payload_file_is_named_by_the_payload_check(active, residents, parties):
    entry = run(active(), actor=parties.consumer_officer)
    payload_path(entry.payload_name).write_text('{"resident_id":"forged"}\n')
    assert message_log_verify().intact
    report = message_log_verify(payloads=True)
    assert (report.broken_id, report.checked) == (entry.pk, 0)


def test_the_message_log_is_append_only(active, residents, parties):
    from django.db import DatabaseError, transaction

    entry = run(active(), actor=parties.consumer_officer)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        MessageLogEntry.objects.filter(pk=entry.pk).update(record_count=0)


def test_running_a_job_twice_logs_it_once(active, residents, parties):
    agreement = active()
    job = exchange_job_request(actor=parties.consumer_officer, agreement=agreement)
    first = exchange_job_run(job_id=job.pk)
    again = exchange_job_run(job_id=job.pk)
    assert first.pk == again.pk
    assert MessageLogEntry.objects.filter(job=job).count() == 1
    assert [p.name for p in payload_dir().iterdir()] == [first.payload_name]


def test_a_half_run_job_is_completed_by_the_next_attempt(
    active, residents, parties, django_capture_on_commit_callbacks
):
    """A worker died after writing its temporary file: the next attempt writes its own, logs once
    and removes the stray."""
    job = exchange_job_request(actor=parties.consumer_officer, agreement=active())
    ExchangeJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=1)
    stray = payload_dir() / f".{job.public_id}.jsonl.deadbeef.tmp"
    stray.write_text("half")
    with django_capture_on_commit_callbacks(execute=True):
        entry = exchange_job_run(job_id=job.pk)
    assert entry.record_count == 2
    assert not stray.exists()
    assert ExchangeJob.objects.get(pk=job.pk).attempts == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("revoke", "not_in_force"),
        ("expire", "not_in_force"),
        ("outsider", "forbidden"),
        ("field", "field_not_allowed"),
    ],
)
def test_refusals_are_explained_audited_and_queue_nothing(active, residents, parties, change, code):
    agreement = active()
    actor, fields = parties.consumer_officer, None
    if change == "revoke":
        agreement = agreement_revoke(actor=parties.provider_officer, agreement=agreement, reason="数据用途变更")
    elif change == "expire":
        SharingAgreement.objects.filter(pk=agreement.pk).update(
            valid_from=timezone.now() - timedelta(days=10), valid_to=timezone.now() - timedelta(days=1)
        )
        agreement.refresh_from_db()
    elif change == "outsider":
        actor = parties.third_officer
    else:
        fields = ["resident_id", "id_card_number"]
    with pytest.raises(ExchangeRefused) as caught:
        exchange_job_request(actor=actor, agreement=agreement, fields=fields)
    assert caught.value.code == code
    assert caught.value.messages[0]
    assert not ExchangeJob.objects.exists()
    refusal = AuditEvent.objects.filter(action="exchange.job.refused").get()
    assert refusal.details["reason"] == code


def test_an_agreement_revoked_while_the_job_runs_publishes_nothing(active, residents, parties):
    agreement = active()
    job = exchange_job_request(actor=parties.consumer_officer, agreement=agreement)
    agreement_revoke(actor=parties.consumer_officer, agreement=agreement, reason="不再需要")
    assert exchange_job_run(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.status == JobStatus.REFUSED and "revoked" in job.message
    assert not MessageLogEntry.objects.exists()
    assert not list(payload_dir().iterdir())


def test_fewer_fields_may_be_asked_for(active, residents, parties):
    job = exchange_job_request(actor=parties.consumer_officer, agreement=active(), fields=["grid_code"])
    entry = exchange_job_run(job_id=job.pk)
    assert {tuple(r) for r in lines(entry)} == {("grid_code",)}


def test_statistics_carry_no_person(active, file_request, parties):
    file_request()
    file_request()
    stats = parties.provider.datasets.get(code="request-stats")
    agreement = active(dataset=stats, fields=["grid_code", "requests"], masked_fields=[])
    assert not agreement.needs_leader_approval
    entry = run(agreement, actor=parties.consumer_officer)
    assert lines(entry) == [{"grid_code": "G1", "requests": "2"}]
    assert not MessageLogResident.objects.filter(entry=entry).exists()


def test_the_schedule_runs_due_agreements_once_per_period(
    active, residents, parties, django_capture_on_commit_callbacks
):
    daily = active(frequency="daily")
    active()  # on demand: never scheduled
    with django_capture_on_commit_callbacks() as queued:
        assert exchange_jobs_schedule() == 1
        assert exchange_jobs_schedule() == 0
    assert len(queued) == 1
    job = ExchangeJob.objects.get()
    assert (job.agreement, job.trigger, job.requested_by) == (daily, "schedule", None)
    later = timezone.now() + timedelta(days=1, minutes=1)
    assert exchange_jobs_schedule(now=later) == 1


def test_stalled_jobs_are_requeued_then_given_up(active, residents, parties, monkeypatch):
    queued = []
    monkeypatch.setattr("exchange.services.jobs._enqueue", queued.append)
    job = exchange_job_request(actor=parties.consumer_officer, agreement=active())
    assert exchange_jobs_requeue_stalled() == 0  # fresh: its first message is still on its way
    assert exchange_jobs_requeue_stalled(stale_after=timedelta(0)) == 1
    assert queued == [job.pk]
    ExchangeJob.objects.filter(pk=job.pk).update(attempts=5)
    assert exchange_jobs_requeue_stalled(stale_after=timedelta(0)) == 0
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_the_beat_sweep_starts_agreements_runs_schedules_and_requeues(draft, parties, monkeypatch):
    import json

    from exchange.services import agreement_approve, agreement_submit
    from exchange.tasks import exchange_sweep_task

    queued = []
    monkeypatch.setattr("exchange.services.jobs._enqueue", queued.append)
    now = timezone.now()
    agreement = draft(fields=["grid_code"], masked_fields=[], frequency="daily", valid_from=now + timedelta(seconds=1))
    agreement_submit(actor=parties.consumer_officer, agreement=agreement)
    assert agreement_approve(actor=parties.provider_officer, agreement=agreement).status == "approved"
    ExchangeJob.objects.all().delete()
    SharingAgreement.objects.filter(pk=agreement.pk).update(valid_from=now - timedelta(seconds=1))
    result = exchange_sweep_task()
    assert json.loads(json.dumps(result)) == {
        "agreements_changed": 1,
        "scheduled": 1,
        "requeued": 0,
        "imports_requeued": 0,
    }
    assert SharingAgreement.objects.get(pk=agreement.pk).status == "active"
    assert ExchangeJob.objects.get().trigger == "schedule"


def test_a_rewritten_entry_with_a_recomputed_hash_fails_on_its_signature(active, residents, parties):
    from exchange.services.log import MESSAGE_LOG_CHAIN

    entry = run(active(), actor=parties.consumer_officer)
    entry.record_count = 1
    forged_hash = MESSAGE_LOG_CHAIN.hash_of(entry)  # what someone who knows the format but not the key can do
    rewrite_as_database_superuser(
        "UPDATE exchange_messagelogentry SET record_count = 1, hash = %s WHERE id = %s", [forged_hash, entry.pk]
    )
    report = message_log_verify()
    assert (report.broken_id, report.reason) == (
        entry.pk,
        "its signature does not verify with the provider's public key",
    )


def test_the_nightly_check_reports_a_tampered_payload(active, residents, parties):
    from exchange.tasks import exchange_log_verify_task

    entry = run(active(), actor=parties.consumer_officer)
    assert exchange_log_verify_task() == {"checked": 1, "broken_entry_id": None}
    payload_path(entry.payload_name).write_text("{}\n")
    assert exchange_log_verify_task() == {"checked": 0, "broken_entry_id": entry.pk}
