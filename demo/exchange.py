"""Demo data of the exchange, for demo.district: the civil affairs bureau's three datasets in the
catalogue, and one active agreement — the elderly roster for the health commission's home-visit
programme — with one exchange already logged, so demo_resident's "who used my data" has a line.

Idempotent: a second call finds what the first made. Made through the real services.
"""

from datetime import timedelta

from django.utils import timezone

from directory.models import Area, Organisation
from exchange.models import AgreementStatus, SharingAgreement
from exchange.services import (
    agreement_approve,
    agreement_create,
    agreement_submit,
    dataset_define,
    exchange_job_request,
    exchange_job_run,
)
from security.models import Role, User
from security.services import role_grant

PROVIDER = "dept-mzj"  # 民政局, where demo_department works
CONSUMER = "dept-wjj"  # 卫健局
CONSUMER_OFFICER = "demo_health"
PURPOSE = "为60岁以上独居老人提供家庭医生签约和上门随访服务"


def _consumer_officer(consumer: Organisation) -> User:
    # Not one of the demo logins (no password): the health bureau's side acts only in this seed.
    user = User.objects.filter(username=CONSUMER_OFFICER).first()
    if user is None:
        user = User.objects.create_user(username=CONSUMER_OFFICER, password=None, first_name="吴卫健")
    role_grant(user=user, role=Role.DEPARTMENT_OFFICER, area=consumer.area, organisation=consumer)
    return user


def exchange_demo_seed() -> SharingAgreement | None:
    """Needs demo.district's structure and users (demo_department, demo_leader) first."""
    provider = Organisation.objects.filter(code=PROVIDER).first()
    consumer = Organisation.objects.filter(code=CONSUMER).first()
    provider_officer = User.objects.filter(username="demo_department").first()
    leader = User.objects.filter(username="demo_leader").first()
    if None in (provider, consumer, provider_officer, leader):
        return None
    roster = dataset_define(code="resident-roster", provider=provider)
    elderly = dataset_define(code="elderly-roster", provider=provider)
    dataset_define(code="request-stats", provider=provider)
    del roster
    existing = SharingAgreement.objects.filter(dataset=elderly, consumer=consumer, purpose=PURPOSE).first()
    if existing is not None:
        return existing
    officer = _consumer_officer(consumer)
    now = timezone.now()
    agreement = agreement_create(
        actor=officer,
        dataset=elderly,
        consumer=consumer,
        purpose=PURPOSE,
        legal_basis="《中华人民共和国老年人权益保障法》第三十条；《四川省家庭医生签约服务管理办法》",
        fields=["resident_id", "full_name", "phone", "address", "grid_name", "lives_alone"],
        masked_fields=["phone"],
        areas=[Area.objects.get(pk=provider.area_id)],
        frequency="weekly",
        valid_from=now - timedelta(days=1),
        valid_to=now + timedelta(days=365),
    )
    agreement = agreement_submit(actor=officer, agreement=agreement)
    agreement = agreement_approve(actor=provider_officer, agreement=agreement)
    if agreement.status == AgreementStatus.SUBMITTED:  # the phone is sensitive: the leader co-approves
        agreement = agreement_approve(actor=leader, agreement=agreement)
    job = exchange_job_request(actor=provider_officer, agreement=agreement)
    # Run here so the demo starts with a logged exchange whether or not a worker is running; a
    # worker that also gets the queued task finds the job done.
    exchange_job_run(job_id=job.pk)
    return agreement
