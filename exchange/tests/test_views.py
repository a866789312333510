"""The exchange pages, with an outsider test for each: another department, another resident, a
grid worker, anonymous."""

import re

import pytest
from django.utils import timezone

from exchange.models import AgreementStatus, ExchangeJob, SharingAgreement
from exchange.services import exchange_job_request, exchange_job_run
from residents.services import resident_identity_reveal
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def test_the_catalogue_lists_datasets_with_each_fields_sensitivity(client, login, parties, datasets):
    page = login(parties.consumer_officer).get("/exchange/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "常住居民花名册" in html and "诉求统计" in html
    assert html.count("sensitivity-sensitive") >= 4  # ID number and phone in both rosters
    assert "/exchange/agreements/new/resident-roster/" in html


def test_only_department_officers_are_shown_the_imports(client, login, parties, datasets):
    assert "/exchange/imports/" in login(parties.provider_officer).get("/exchange/").content.decode()
    leader_page = login(parties.leader).get("/exchange/")
    assert leader_page.status_code == 200 and "/exchange/imports/" not in leader_page.content.decode()


@pytest.mark.parametrize("who", ["resident", "worker", "partner"])
def test_people_outside_government_do_not_see_the_catalogue(client, login, people, datasets, who):
    assert login(getattr(people, who)).get("/exchange/").status_code == 403


def form_data(tree, **overrides):
    today = timezone.localdate()
    return {
        "purpose": "独居老人上门探访",
        "legal_basis": "《老年人权益保障法》",
        "fields": ["resident_id", "full_name", "phone"],
        "masked_fields": ["phone"],
        "areas": [tree.s1.pk],
        "frequency": "weekly",
        "payload_format": "csv",
        "delivery": "fetch",
        "push_url": "",
        "valid_from": today.isoformat(),
        "valid_to": today.replace(year=today.year + 1).isoformat(),
    } | overrides


def test_a_consumer_drafts_submits_and_the_provider_approves_through_the_pages(client, login, parties, datasets, tree):
    login(parties.consumer_officer)
    response = client.post("/exchange/agreements/new/resident-roster/", form_data(tree))
    assert response.status_code == 302, response.context["form"].errors
    agreement = SharingAgreement.objects.get()
    assert str(agreement.public_id) in response["Location"]
    assert (agreement.consumer, agreement.status, agreement.fields) == (
        parties.consumer,
        AgreementStatus.DRAFT,
        ["resident_id", "full_name", "phone"],
    )
    client.post(f"/exchange/agreements/{agreement.public_id}/submit/")
    client.logout()
    login(parties.provider_officer)
    detail = client.get(f"/exchange/agreements/{agreement.public_id}/")
    assert detail.context["can_approve"] and not detail.context["can_submit"]
    client.post(f"/exchange/agreements/{agreement.public_id}/approve/")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SUBMITTED  # the phone is sensitive: a leader must approve too
    client.logout()
    login(parties.leader)
    client.post(f"/exchange/agreements/{agreement.public_id}/approve/")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    assert list(
        AuditEvent.objects.filter(object_id=str(agreement.pk), action__startswith="exchange.agreement").values_list(
            "action", flat=True
        )
    ) == [
        "exchange.agreement.create",
        "exchange.agreement.submit",
        "exchange.agreement.approve",
        "exchange.agreement.approve",
    ]


def test_a_bad_draft_is_explained_and_saves_nothing(client, login, parties, datasets, tree):
    login(parties.consumer_officer)
    response = client.post(
        "/exchange/agreements/new/resident-roster/", form_data(tree, legal_basis=" ", masked_fields=["grid_code"])
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "legal_basis" in errors
    assert not SharingAgreement.objects.exists()


def test_the_consumer_cannot_approve_its_own_request(client, login, parties, draft):
    from exchange.services import agreement_submit

    agreement = agreement_submit(actor=parties.consumer_officer, agreement=draft())
    login(parties.consumer_officer)
    response = client.post(f"/exchange/agreements/{agreement.public_id}/approve/", follow=True)
    assert "此协议等待的不是您的审批" in response.content.decode()  # "not the one this agreement is waiting for"
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SUBMITTED


def test_revoking_needs_a_reason_and_stops_runs(client, login, parties, active):
    agreement = active()
    login(parties.provider_officer)
    response = client.post(f"/exchange/agreements/{agreement.public_id}/revoke/", {"reason": ""}, follow=True)
    assert "Give a reason" in response.content.decode() or "请" in response.content.decode()
    client.post(f"/exchange/agreements/{agreement.public_id}/revoke/", {"reason": "用途已结束"})
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.REVOKED
    client.post(f"/exchange/agreements/{agreement.public_id}/run/")
    assert not ExchangeJob.objects.exists()


def test_run_now_queues_a_job(client, login, parties, active, django_capture_on_commit_callbacks):
    agreement = active()
    login(parties.consumer_officer)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(f"/exchange/agreements/{agreement.public_id}/run/")
    assert ExchangeJob.objects.get().requested_by == parties.consumer_officer
    assert len(callbacks) == 1


def test_another_department_sees_neither_the_agreement_nor_its_log(client, login, parties, active, residents):
    agreement = active()
    exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=agreement).pk)
    login(parties.third_officer)
    assert client.get(f"/exchange/agreements/{agreement.public_id}/").status_code == 404
    assert client.post(f"/exchange/agreements/{agreement.public_id}/revoke/", {"reason": "x"}).status_code == 404
    assert str(agreement.public_id) not in client.get("/exchange/agreements/").content.decode()
    assert client.get("/exchange/log/").context["page"].paginator.count == 0
    client.logout()
    login(parties.consumer_officer)
    assert client.get("/exchange/log/").context["page"].paginator.count == 1
    assert client.get(f"/exchange/agreements/{agreement.public_id}/").status_code == 200


def test_a_leader_oversees_agreements_of_their_district(client, login, parties, active, tree, make_user):
    agreement = active()
    assert login(parties.leader).get(f"/exchange/agreements/{agreement.public_id}/").status_code == 200
    client.logout()
    subdistrict_officer = make_user(Role.SUBDISTRICT_OFFICER, tree.s1)
    assert login(subdistrict_officer).get("/exchange/agreements/").status_code == 403


def test_lists_cost_the_same_queries_for_many_agreements(client, login, parties, active, residents):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agreement = active()
    login(parties.consumer_officer)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=agreement).pk)
    few = {path: queries(path) for path in ("/exchange/agreements/", "/exchange/log/")}
    for _ in range(3):
        more = active()
        exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=more).pk)
    assert {path: queries(path) for path in few} == few


# --- who used my data ---------------------------------------------------------------------------
@pytest.fixture
def resident_user(residents, make_user, tree):
    from residents.models import ResidentProfile

    user = make_user(Role.RESIDENT, tree.g1)
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=user)
    residents.r1.refresh_from_db()
    return user


def test_a_resident_sees_every_exchange_and_staff_read_that_included_them(
    client, login, parties, active, residents, resident_user, people
):
    agreement = active()
    exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=agreement).pk)
    resident_identity_reveal(actor=people.worker, profile=residents.r1, purpose="handle_request")
    login(resident_user)
    assert client.get("/exchange/my-data/")["Location"] == "/residents/me/data-uses/"
    page = client.get("/residents/me/data-uses/")
    assert page.status_code == 200
    uses = page.context["uses"]
    assert [use.kind for use in uses] == ["reveal", "exchange"]
    assert uses[1].who == parties.consumer.name and uses[1].purpose == agreement.purpose
    assert uses[1].reference == str(agreement.public_id)
    assert "Grid worker" in uses[0].who or "网格员" in uses[0].who
    html = page.content.decode()
    assert agreement.purpose in html
    assert "/residents/me/data-uses/" in client.get("/residents/me/").content.decode()


def test_a_resident_sees_nothing_of_other_residents(client, login, parties, active, residents, make_user, tree):
    from residents.models import ResidentProfile

    agreement = active()  # covers S1: r1 and r1b, not r2
    exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=agreement).pk)
    outsider = make_user(Role.RESIDENT, tree.g2)
    ResidentProfile.objects.filter(pk=residents.r2.pk).update(user=outsider)
    login(outsider)
    assert client.get("/residents/me/data-uses/").context["uses"] == []
    client.logout()
    unregistered = make_user(Role.RESIDENT, tree.g1)
    assert login(unregistered).get("/residents/me/data-uses/").context["uses"] == []


def test_anonymous_visitors_are_sent_to_sign_in(client, active):
    agreement = active()
    for path in (
        "/exchange/",
        "/exchange/agreements/",
        f"/exchange/agreements/{agreement.public_id}/",
        "/exchange/log/",
        "/exchange/my-data/",
        "/exchange/agreements/new/resident-roster/",
    ):
        response = client.get(path)
        assert response.status_code == 302 and re.match(r"^/accounts/login/\?next=", response["Location"]), path
    assert client.post(f"/exchange/agreements/{agreement.public_id}/approve/").status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE


def test_the_consumer_is_told_how_its_system_fetches(client, login, parties, active):
    agreement = active()
    instructions = f"/exchange/api/v1/exchanges/?agreement={agreement.public_id}"
    assert (
        instructions
        in login(parties.consumer_officer).get(f"/exchange/agreements/{agreement.public_id}/").content.decode()
    )
    client.logout()
    assert (
        instructions
        not in login(parties.provider_officer).get(f"/exchange/agreements/{agreement.public_id}/").content.decode()
    )


def test_the_admin_shows_the_exchange_read_only_and_never_a_private_key(
    client, parties, active, residents, tree, make_user
):
    from exchange.models import SigningKey

    exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=active()).pk)
    admin = make_user(Role.ADMIN, tree.d)
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    for model in ("dataset", "sharingagreement", "exchangejob", "messagelogentry", "signingkey", "deliveryattempt"):
        assert client.get(f"/admin/exchange/{model}/").status_code == 200, model
        assert client.get(f"/admin/exchange/{model}/add/").status_code == 403, model
    key = SigningKey.objects.get()
    page = client.get(f"/admin/exchange/signingkey/{key.pk}/change/").content.decode()
    assert key.fingerprint in page and key.private_key_encrypted not in page


def test_who_used_my_data_costs_the_same_queries_for_many_uses(
    client, login, parties, active, residents, resident_user, people
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agreement = active()
    login(resident_user)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/residents/me/data-uses/").status_code == 200
        return len(captured)

    exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=agreement).pk)
    resident_identity_reveal(actor=people.worker, profile=residents.r1, purpose="handle_request")
    few = queries()
    for _ in range(3):
        exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=active()).pk)
        resident_identity_reveal(actor=people.community, profile=residents.r1, purpose="handle_request")
    assert len(client.get("/residents/me/data-uses/").context["uses"]) == 8
    assert queries() == few
