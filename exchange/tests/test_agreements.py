from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exchange.models import AgreementStatus, SharingAgreement
from exchange.services import (
    agreement_approve,
    agreement_reject,
    agreement_revoke,
    agreement_submit,
    agreements_refresh,
)
from security.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_without_sensitive_fields_the_providers_approval_starts_it(draft, parties):
    agreement = agreement_submit(
        actor=parties.consumer_officer, agreement=draft(fields=["grid_code"], masked_fields=[])
    )
    assert not agreement.needs_leader_approval
    agreement = agreement_approve(actor=parties.provider_officer, agreement=agreement)
    assert agreement.status == AgreementStatus.ACTIVE


def test_sensitive_fields_wait_for_a_district_leader(draft, parties):
    agreement = agreement_submit(actor=parties.consumer_officer, agreement=draft())
    assert agreement.needs_leader_approval  # the phone, even masked
    agreement = agreement_approve(actor=parties.leader, agreement=agreement)
    with pytest.raises(PermissionDenied):  # the leader's part is done; the provider's is not theirs
        agreement_approve(actor=parties.leader, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SUBMITTED and agreement.leader_approved_by == parties.leader
    agreement = agreement_approve(actor=parties.provider_officer, agreement=agreement)
    assert agreement.status == AgreementStatus.ACTIVE


@pytest.mark.parametrize("who", ["consumer_officer", "third_officer"])
def test_only_the_provider_and_a_leader_approve(draft, parties, who):
    agreement = agreement_submit(actor=parties.consumer_officer, agreement=draft())
    with pytest.raises(PermissionDenied):
        agreement_approve(actor=getattr(parties, who), agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.provider_approved_at is None


def test_only_the_consumer_submits_and_only_a_draft(draft, parties):
    agreement = draft()
    with pytest.raises(PermissionDenied):
        agreement_submit(actor=parties.provider_officer, agreement=agreement)
    agreement_submit(actor=parties.consumer_officer, agreement=agreement)
    with pytest.raises(ValidationError):
        agreement_submit(actor=parties.consumer_officer, agreement=agreement)


def test_an_agreement_waits_for_its_first_day_and_ends_after_its_last(draft, parties):
    now = timezone.now()
    agreement = draft(
        fields=["grid_code"], masked_fields=[], valid_from=now + timedelta(days=2), valid_to=now + timedelta(days=5)
    )
    agreement_submit(actor=parties.consumer_officer, agreement=agreement)
    agreement = agreement_approve(actor=parties.provider_officer, agreement=agreement)
    assert agreement.status == AgreementStatus.APPROVED
    assert agreements_refresh(now=now + timedelta(days=1)) == 0
    assert agreements_refresh(now=now + timedelta(days=3)) == 1
    assert SharingAgreement.objects.get().status == AgreementStatus.ACTIVE
    assert agreements_refresh(now=now + timedelta(days=6)) == 1
    assert SharingAgreement.objects.get().status == AgreementStatus.EXPIRED
    assert list(
        AuditEvent.objects.filter(action__in=["exchange.agreement.start", "exchange.agreement.expire"]).values_list(
            "action", flat=True
        )
    ) == ["exchange.agreement.start", "exchange.agreement.expire"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"fields": ["resident_id", "favourite_colour"]}, "fields"),
        ({"fields": []}, "fields"),
        ({"masked_fields": ["grid_code"], "fields": ["grid_code"]}, "masked_fields"),
        ({"masked_fields": ["id_card_number"]}, "masked_fields"),  # masked but not asked for
        ({"purpose": "  "}, "purpose"),
        ({"legal_basis": ""}, "legal_basis"),
        ({"areas": []}, "areas"),
        ({"valid_to": timezone.now() - timedelta(days=1)}, "valid_to"),
        ({"valid_to": timezone.now() + timedelta(days=4000)}, "valid_to"),
        ({"delivery": "push", "push_url": ""}, "push_url"),
    ],
)
def test_a_bad_request_is_explained_and_saves_nothing(draft, overrides, field):
    with pytest.raises(ValidationError) as caught:
        draft(**overrides)
    assert field in caught.value.message_dict
    assert not SharingAgreement.objects.exists()


def test_areas_outside_the_provider_and_self_sharing_are_refused(draft, parties):
    from tests.factories import AreaFactory

    elsewhere = AreaFactory(code="X", kind="district")
    with pytest.raises(ValidationError) as caught:
        draft(areas=[elsewhere])
    assert "areas" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        draft(actor=parties.provider_officer, consumer=parties.provider)
    assert "consumer" in caught.value.message_dict
    assert not SharingAgreement.objects.exists()


def test_someone_outside_the_consumer_cannot_ask_for_it(draft, parties):
    with pytest.raises(PermissionDenied):
        draft(actor=parties.third_officer)


def test_rejecting_and_revoking_need_a_reason_and_the_right_person(draft, active, parties):
    submitted = agreement_submit(actor=parties.consumer_officer, agreement=draft())
    with pytest.raises(ValidationError):
        agreement_reject(actor=parties.provider_officer, agreement=submitted, reason=" ")
    with pytest.raises(PermissionDenied):
        agreement_reject(actor=parties.third_officer, agreement=submitted, reason="不行")
    rejected = agreement_reject(actor=parties.provider_officer, agreement=submitted, reason="法律依据不足")
    assert (rejected.status, rejected.end_reason) == (AgreementStatus.REJECTED, "法律依据不足")

    running = active()
    with pytest.raises(PermissionDenied):
        agreement_revoke(actor=parties.third_officer, agreement=running, reason="x")
    revoked = agreement_revoke(actor=parties.leader, agreement=running, reason="数据安全检查")
    assert revoked.status == AgreementStatus.REVOKED and revoked.ended_by == parties.leader
    with pytest.raises(ValidationError):
        agreement_revoke(actor=parties.leader, agreement=revoked, reason="again")
