"""A real Celery worker, fed through the real Redis broker, runs the nightly audit check."""

import pytest

from security.audit import audit_record
from security.models import AuditEvent
from security.tasks import audit_chain_verify_task
from tests.tampering import rewrite_as_database_superuser


@pytest.mark.django_db(transaction=True)
def test_worker_reports_an_intact_chain_then_a_broken_one(celery_worker_thread):
    events = [audit_record(actor=None, action="test.worker", details={"n": n}) for n in range(3)]
    # With the chains' keyed markers, whether the migrations' or those the first append wrote.
    everything = AuditEvent.objects.count()
    assert audit_chain_verify_task.delay().get(timeout=30) == {"checked": everything, "broken_event_id": None}

    rewrite_as_database_superuser("UPDATE security_auditevent SET action = 'test.forged' WHERE id = %s", [events[1].pk])
    before = AuditEvent.objects.filter(pk__lt=events[1].pk).count()
    assert audit_chain_verify_task.delay().get(timeout=30) == {"checked": before, "broken_event_id": events[1].pk}
