"""Sharing agreements: draft → submitted → approved (provider's department officer, and a district
leader too when sensitive fields are asked for) → active → expired or revoked; or rejected."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from exchange.datasets import DATASETS
from exchange.models import AgreementStatus, Dataset, Delivery, Frequency, PayloadFormat, Sensitivity, SharingAgreement
from security.audit import audit_record
from security.models import Role, User
from security.scoping import covers_area, organisation_ids

MAX_TERM = timedelta(days=3 * 366)


def officer_of(user: User, organisation: Organisation) -> bool:
    return organisation.pk in organisation_ids(user, {Role.DEPARTMENT_OFFICER})


def leader_over(user: User, organisation: Organisation) -> bool:
    return covers_area(user, organisation.area, {Role.DISTRICT_LEADER})


def agreement_in_force(agreement: SharingAgreement, now: datetime | None = None) -> bool:
    """Data flows only under an active agreement, between its dates."""
    now = now or timezone.now()
    return agreement.status == AgreementStatus.ACTIVE and agreement.valid_from <= now < agreement.valid_to


def _lock(agreement: SharingAgreement) -> SharingAgreement:
    return (
        SharingAgreement.objects.select_for_update()
        .select_related("dataset", "provider", "consumer")
        .get(pk=agreement.pk)
    )


def _check_push_url(url: str) -> None:
    # The consumer names the address, so it gets the partner webhooks' rules: https, public address.
    from core.outbound_http import UnreachableTarget, target_check

    try:
        target_check(url)
    except UnreachableTarget:
        raise ValidationError({"push_url": [_("This address cannot be resolved; check the host name.")]}) from None
    except ValidationError as exc:
        raise ValidationError({"push_url": exc.messages}) from None


@transaction.atomic
def agreement_create(
    *,
    actor: User,
    dataset: Dataset,
    consumer: Organisation,
    purpose: str,
    legal_basis: str,
    fields: list[str],
    masked_fields: list[str],
    areas: list[Area],
    valid_from: datetime,
    valid_to: datetime,
    frequency: str = Frequency.ON_DEMAND,
    payload_format: str = PayloadFormat.JSONL,
    delivery: str = Delivery.FETCH,
    push_url: str = "",
) -> SharingAgreement:
    """A consumer department's officer drafts a request for some of a dataset's fields."""
    if not officer_of(actor, consumer):
        raise PermissionDenied(_("Only the consuming department's officers may ask for its data."))
    errors: dict[str, list[str]] = {}
    spec = DATASETS.get(dataset.code)
    if not dataset.is_active or spec is None:
        errors["dataset"] = [_("This dataset is not offered.")]
    if consumer.kind != Organisation.Kind.DEPARTMENT or consumer.pk == dataset.provider_id:
        errors["consumer"] = [_("Data is shared with another government department.")]
    if not purpose.strip():
        errors["purpose"] = [_("Say what the data will be used for.")]
    if not legal_basis.strip():
        errors["legal_basis"] = [_("Name the law, regulation or decision that allows this sharing.")]
    known = {f.code for f in spec.fields} if spec else set()
    if not fields or any(code not in known for code in fields):
        errors["fields"] = [_("Choose at least one of the dataset's fields.")]
    elif any(code not in fields or not spec.spec_for(code).maskable for code in masked_fields):
        errors["masked_fields"] = [_("Only chosen fields that have a masked form can be masked.")]
    provider_area = dataset.provider.area
    if not areas or any(not area.is_within(provider_area) for area in areas):
        errors["areas"] = [_("Choose at least one area the provider covers.")]
    now = timezone.now()
    if valid_to <= valid_from or valid_to <= now:
        errors["valid_to"] = [_("The agreement must end after it starts, and in the future.")]
    elif valid_to - valid_from > MAX_TERM:
        errors["valid_to"] = [_("An agreement lasts at most three years; renew it after that.")]
    if frequency not in Frequency.values:
        errors["frequency"] = [_("Choose how often the data is sent.")]
    if payload_format not in PayloadFormat.values:
        errors["payload_format"] = [_("Choose JSON Lines or CSV.")]
    if delivery not in Delivery.values:
        errors["delivery"] = [_("Choose how the data is delivered.")]
    elif delivery == Delivery.PUSH:
        if not push_url:
            errors["push_url"] = [_("Give the https:// address the data is pushed to.")]
        else:
            try:
                _check_push_url(push_url)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    agreement = SharingAgreement.objects.create(
        dataset=dataset,
        provider=dataset.provider,
        consumer=consumer,
        purpose=purpose.strip(),
        legal_basis=legal_basis.strip(),
        fields=[f.code for f in spec.fields if f.code in fields],
        masked_fields=[f.code for f in spec.fields if f.code in masked_fields],
        frequency=frequency,
        payload_format=payload_format,
        delivery=delivery,
        push_url=push_url if delivery == Delivery.PUSH else "",
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=actor,
    )
    agreement.areas.set(areas)
    audit_record(
        actor=actor,
        action="exchange.agreement.create",
        target=agreement,
        details={"dataset": dataset.code, "consumer": consumer.code, "fields": agreement.fields},
    )
    return agreement


def sensitive_fields(agreement: SharingAgreement) -> list[str]:
    spec = DATASETS[agreement.dataset.code]
    return [code for code in agreement.fields if spec.spec_for(code).sensitivity == Sensitivity.SENSITIVE]


@transaction.atomic
def agreement_submit(*, actor: User, agreement: SharingAgreement) -> SharingAgreement:
    agreement = _lock(agreement)
    if not officer_of(actor, agreement.consumer):
        raise PermissionDenied(_("Only the consuming department's officers may submit this agreement."))
    if agreement.status != AgreementStatus.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    agreement.status = AgreementStatus.SUBMITTED
    agreement.submitted_at = timezone.now()
    agreement.needs_leader_approval = bool(sensitive_fields(agreement))
    agreement.save(update_fields=["status", "submitted_at", "needs_leader_approval", "updated_at"])
    audit_record(
        actor=actor,
        action="exchange.agreement.submit",
        target=agreement,
        details={"needs_leader_approval": agreement.needs_leader_approval},
    )
    return agreement


def _start_if_due(agreement: SharingAgreement, now: datetime) -> None:
    if agreement.status == AgreementStatus.APPROVED and agreement.valid_from <= now < agreement.valid_to:
        agreement.status = AgreementStatus.ACTIVE
    elif agreement.status in (AgreementStatus.APPROVED, AgreementStatus.ACTIVE) and agreement.valid_to <= now:
        agreement.status = AgreementStatus.EXPIRED


def approvals_missing(agreement: SharingAgreement) -> list[str]:
    missing = []
    if agreement.provider_approved_at is None:
        missing.append("provider")
    if agreement.needs_leader_approval and agreement.leader_approved_at is None:
        missing.append("leader")
    return missing


def may_approve(user: User, agreement: SharingAgreement) -> bool:
    missing = approvals_missing(agreement)
    return agreement.status == AgreementStatus.SUBMITTED and (
        ("provider" in missing and officer_of(user, agreement.provider))
        or ("leader" in missing and leader_over(user, agreement.provider))
    )


@transaction.atomic
def agreement_approve(*, actor: User, agreement: SharingAgreement) -> SharingAgreement:
    """The provider's officer approves; a district leader co-approves an agreement asking for
    sensitive fields. The last approval starts it (or it waits for its first day)."""
    agreement = _lock(agreement)
    if agreement.status != AgreementStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted agreement can be approved."))
    if not may_approve(actor, agreement):
        raise PermissionDenied(_("Your approval is not the one this agreement is waiting for."))
    now = timezone.now()
    missing = approvals_missing(agreement)
    as_roles = []
    if "provider" in missing and officer_of(actor, agreement.provider):
        agreement.provider_approved_by, agreement.provider_approved_at = actor, now
        as_roles.append("provider")
    if "leader" in missing and leader_over(actor, agreement.provider):
        agreement.leader_approved_by, agreement.leader_approved_at = actor, now
        as_roles.append("leader")
    if not approvals_missing(agreement):
        agreement.status = AgreementStatus.APPROVED
        _start_if_due(agreement, now)
    agreement.save(
        update_fields=[
            "provider_approved_by",
            "provider_approved_at",
            "leader_approved_by",
            "leader_approved_at",
            "status",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="exchange.agreement.approve",
        target=agreement,
        details={"as": as_roles, "status": agreement.status},
    )
    return agreement


def _end(*, actor: User, agreement: SharingAgreement, status: str, reason: str, action: str) -> SharingAgreement:
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason; the other department will read it.")]})
    agreement.status = status
    agreement.ended_by, agreement.ended_at, agreement.end_reason = actor, timezone.now(), reason.strip()[:500]
    agreement.save(update_fields=["status", "ended_by", "ended_at", "end_reason", "updated_at"])
    audit_record(actor=actor, action=action, target=agreement, details={"reason": agreement.end_reason})
    return agreement


@transaction.atomic
def agreement_reject(*, actor: User, agreement: SharingAgreement, reason: str) -> SharingAgreement:
    agreement = _lock(agreement)
    if agreement.status != AgreementStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted agreement can be rejected."))
    if not (officer_of(actor, agreement.provider) or leader_over(actor, agreement.provider)):
        raise PermissionDenied(_("Only the provider's officers or a district leader may reject this agreement."))
    return _end(
        actor=actor,
        agreement=agreement,
        status=AgreementStatus.REJECTED,
        reason=reason,
        action="exchange.agreement.reject",
    )


def may_revoke(user: User, agreement: SharingAgreement) -> bool:
    return agreement.status in (AgreementStatus.APPROVED, AgreementStatus.ACTIVE) and (
        officer_of(user, agreement.provider)
        or officer_of(user, agreement.consumer)
        or leader_over(user, agreement.provider)
    )


@transaction.atomic
def agreement_revoke(*, actor: User, agreement: SharingAgreement, reason: str) -> SharingAgreement:
    """Stop an approved or active agreement at once: jobs not yet logged are refused, and
    payloads already logged can no longer be fetched or pushed."""
    agreement = _lock(agreement)
    if agreement.status not in (AgreementStatus.APPROVED, AgreementStatus.ACTIVE):
        raise ValidationError(_("Only an approved or active agreement can be revoked."))
    if not may_revoke(actor, agreement):
        raise PermissionDenied(_("Only the two departments' officers or a district leader may revoke it."))
    return _end(
        actor=actor,
        agreement=agreement,
        status=AgreementStatus.REVOKED,
        reason=reason,
        action="exchange.agreement.revoke",
    )


def agreements_refresh(*, now: datetime | None = None) -> int:
    """Start approved agreements on their first day and expire them after their last; returns how
    many changed. Each change is its own audited transaction."""
    now = now or timezone.now()
    due = SharingAgreement.objects.filter(
        status__in=[AgreementStatus.APPROVED, AgreementStatus.ACTIVE], valid_from__lte=now
    ).exclude(status=AgreementStatus.ACTIVE, valid_to__gt=now)
    changed = 0
    for pk in due.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            agreement = SharingAgreement.objects.select_for_update().get(pk=pk)
            before = agreement.status
            _start_if_due(agreement, now)
            if agreement.status != before:
                agreement.save(update_fields=["status", "updated_at"])
                audit_record(
                    actor=None,
                    action="exchange.agreement.start"
                    if agreement.status == AgreementStatus.ACTIVE
                    else "exchange.agreement.expire",
                    target=agreement,
                )
                changed += 1
    return changed
