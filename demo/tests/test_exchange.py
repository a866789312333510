import pytest

from demo.district import build_demo
from demo.exchange import exchange_demo_seed
from exchange.models import AgreementStatus, Dataset, MessageLogEntry
from exchange.selectors import exchange_uses_of_resident
from security.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_catalogue_and_an_active_agreement_and_seeding_twice_changes_nothing():
    build_demo()
    agreement = exchange_demo_seed()
    assert agreement.status == AgreementStatus.ACTIVE
    assert agreement.leader_approved_by.username == "demo_leader"
    assert set(Dataset.objects.values_list("code", flat=True)) == {"resident-roster", "elderly-roster", "request-stats"}
    entry = MessageLogEntry.objects.get()
    assert entry.record_count > 0
    events = AuditEvent.objects.count()
    assert exchange_demo_seed() == agreement
    assert (MessageLogEntry.objects.count(), AuditEvent.objects.count()) == (1, events)
    resident = User.objects.get(username="demo_resident")
    uses = exchange_uses_of_resident(user=resident, profile=resident.resident_profile)
    if resident.resident_profile.is_elderly:
        assert [use.reference for use in uses] == [str(agreement.public_id)]
    else:
        assert uses == []
