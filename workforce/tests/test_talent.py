"""The reserve talent pool (issue 18 item 4): nominate, plan and mentor, reviews, the filtered pool,
and who may reach it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from security.models import AuditEvent, Role
from workforce import talent
from workforce.models import Candidate, CandidateReview

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def volunteer(crew, tree, make_user):
    return make_user(Role.RESIDENT, tree.g1, username="vol1")


def _nominate(crew, tree, user, **fields):
    fields.setdefault("reason", "热心社区事务")
    fields.setdefault("skills", ["mediation"])
    return talent.candidate_nominate(actor=crew.head1, nominee=user, community=tree.c1, **fields)


def test_a_head_nominates_a_resident_and_it_is_audited(crew, tree, volunteer, login):
    client = login(crew.head1)
    assert client.get("/workforce/talent/nominate/", **ENGLISH).status_code == 200
    response = client.post(
        "/workforce/talent/nominate/",
        {"nominee": volunteer.pk, "community": tree.c1.pk, "reason": "热心调解", "skills": ["mediation", "digital"]},
        **ENGLISH,
    )
    candidate = Candidate.objects.get(user=volunteer)
    assert response.status_code == 302 and response["Location"] == f"/workforce/talent/{candidate.pk}/"
    assert candidate.skills == ["mediation", "digital"] and candidate.nominated_by == crew.head1
    assert AuditEvent.objects.filter(action="workforce.talent_nominate", actor=crew.head1).count() == 1
    page = client.get(f"/workforce/talent/{candidate.pk}/", **ENGLISH).content.decode()
    assert "vol1" in page and "Mediation" in page and "热心调解" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "  "}, "This field is required."),
        ({"nominee": "999999"}, "Select a valid choice."),
        ({"nominee": ""}, "Find the person and choose them."),
        ({"skills": ["juggling"]}, "is not one of the available choices"),
    ],
)
def test_bad_nominations_say_why_and_change_nothing(crew, tree, volunteer, login, data, message):
    posted = {"nominee": volunteer.pk, "community": tree.c1.pk, "reason": "热心", **data}
    response = login(crew.head1).post("/workforce/talent/nominate/", posted, **ENGLISH)
    assert response.status_code == 200 and message in response.content.decode()
    assert (
        not Candidate.objects.exists() and not AuditEvent.objects.filter(action__startswith="workforce.talent").exists()
    )


def test_a_person_of_another_community_or_a_second_nomination_is_refused(crew, tree, volunteer, make_user, login):
    outsider = make_user(Role.RESIDENT, tree.g2, username="far")
    with pytest.raises(ValidationError, match="Choose an active user of this community."):
        _nominate(crew, tree, outsider)
    _nominate(crew, tree, volunteer)
    response = login(crew.sub1).post(
        "/workforce/talent/nominate/", {"nominee": volunteer.pk, "community": tree.c1.pk, "reason": "again"}, **ENGLISH
    )
    assert "already in the reserve talent pool" in response.content.decode()
    assert Candidate.objects.count() == 1
    assert AuditEvent.objects.filter(action="workforce.talent_nominate").count() == 1


def test_one_active_nomination_per_person_is_a_database_rule(crew, tree, volunteer):
    from django.db import IntegrityError, transaction

    _nominate(crew, tree, volunteer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Candidate.objects.create(user=volunteer, community=tree.c1, reason="x", nominated_by=crew.sub1)
    Candidate.objects.update(
        status=Candidate.Status.CLOSED, outcome=Candidate.Outcome.WITHDREW, closed_on=timezone.localdate()
    )
    assert _nominate(crew, tree, volunteer).status == Candidate.Status.ACTIVE


def test_a_head_cannot_nominate_for_a_community_they_do_not_manage(crew, tree, volunteer):
    with pytest.raises(PermissionDenied):
        talent.candidate_nominate(actor=crew.head2, nominee=volunteer, community=tree.c1, reason="x")
    with pytest.raises(PermissionDenied):
        talent.candidate_nominate(actor=crew.staff1, nominee=volunteer, community=tree.c1, reason="x")
    assert not Candidate.objects.exists()


def test_plan_mentor_and_reviews_are_saved_and_audited(crew, tree, volunteer, login):
    candidate = _nominate(crew, tree, volunteer)
    client = login(crew.head1)
    response = client.post(
        f"/workforce/talent/{candidate.pk}/plan/", {"development_plan": "先跟岗三个月", "mentor": crew.p1.pk}, **ENGLISH
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.development_plan == "先跟岗三个月" and candidate.mentor == crew.p1
    today = timezone.localdate()
    response = client.post(
        f"/workforce/talent/{candidate.pk}/review/", {"reviewed_on": today.isoformat(), "note": "进步明显"}, **ENGLISH
    )
    assert response.status_code == 302
    assert CandidateReview.objects.get(candidate=candidate).note == "进步明显"
    actions = set(AuditEvent.objects.filter(actor=crew.head1).values_list("action", flat=True))
    assert {"workforce.talent_plan", "workforce.talent_review"} <= actions
    page = client.get(f"/workforce/talent/{candidate.pk}/", **ENGLISH).content.decode()
    assert "进步明显" in page and "先跟岗三个月" in page and crew.w1.username in page


def test_a_mentor_outside_the_candidates_community_is_refused(crew, tree, volunteer, login):
    candidate = _nominate(crew, tree, volunteer)
    response = login(crew.sub1).post(
        f"/workforce/talent/{candidate.pk}/plan/", {"development_plan": "计划", "mentor": crew.p2.pk}, **ENGLISH
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    with pytest.raises(ValidationError, match="serving in the candidate's community"):
        talent.candidate_plan_set(actor=crew.civil, candidate=candidate, development_plan="计划", mentor=crew.p2)
    candidate.refresh_from_db()
    assert candidate.mentor is None and candidate.development_plan == ""
    assert not AuditEvent.objects.filter(action="workforce.talent_plan").exists()


def test_bad_reviews_say_why_and_change_nothing(crew, tree, volunteer, login):
    candidate = _nominate(crew, tree, volunteer)
    client = login(crew.head1)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    for data, message in [
        ({"reviewed_on": timezone.localdate().isoformat(), "note": " "}, "This field is required."),
        ({"reviewed_on": tomorrow, "note": "好"}, "cannot be dated in the future"),
    ]:
        response = client.post(f"/workforce/talent/{candidate.pk}/review/", data, **ENGLISH)
        assert response.status_code == 200 and message in response.content.decode()
    assert not CandidateReview.objects.exists()
    assert not AuditEvent.objects.filter(action="workforce.talent_review").exists()


def test_the_pool_lists_the_managers_area_filtered_by_skill_and_community(crew, tree, volunteer, make_user, login):
    other = make_user(Role.RESIDENT, tree.g1b, username="vol2")
    far = make_user(Role.RESIDENT, tree.g2, username="vol3")
    first = _nominate(crew, tree, volunteer, skills=["mediation"])
    second = _nominate(crew, tree, other, skills=["digital"])
    third = talent.candidate_nominate(actor=crew.civil, nominee=far, community=tree.c2, reason="x", skills=[])
    client = login(crew.head1)
    assert 'href="/workforce/talent/"' in client.get("/workforce/", **ENGLISH).content.decode()
    page = client.get("/workforce/talent/", **ENGLISH).content.decode()
    assert f"/workforce/talent/{first.pk}/" in page and f"/workforce/talent/{second.pk}/" in page
    assert f"/workforce/talent/{third.pk}/" not in page and "vol3" not in page
    page = client.get("/workforce/talent/?skill=digital", **ENGLISH).content.decode()
    assert f"/workforce/talent/{second.pk}/" in page and f"/workforce/talent/{first.pk}/" not in page
    page = login(crew.civil).get(f"/workforce/talent/?community={tree.c2.pk}", **ENGLISH).content.decode()
    assert f"/workforce/talent/{third.pk}/" in page and f"/workforce/talent/{first.pk}/" not in page
    assert far.username in page


def test_the_pool_shows_name_and_skills_but_no_id_number_or_phone(crew, tree, volunteer, login):
    from tests.factories import HouseholdFactory, ResidentFactory

    resident = ResidentFactory(household=HouseholdFactory(grid=tree.g1), full_name="周志愿", user=volunteer)
    candidate = _nominate(crew, tree, volunteer)
    client = login(crew.head1)
    for url in ("/workforce/talent/", f"/workforce/talent/{candidate.pk}/"):
        page = client.get(url, **ENGLISH).content.decode()
        assert "vol1" in page and "Mediation" in page
        for secret in (resident.phone_masked, resident.id_card_masked, resident.phone_masked[-4:]):
            assert secret and secret not in page


def test_the_pool_answers_in_constant_queries(crew, tree, make_user, login, django_assert_max_num_queries):
    for number in range(25):
        user = make_user(Role.RESIDENT, tree.g1, username=f"many{number}")
        _nominate(crew, tree, user, skills=["mediation", "law"])
    client = login(crew.head1)
    client.get("/workforce/talent/", **ENGLISH)
    with django_assert_max_num_queries(14):
        response = client.get("/workforce/talent/?skill=law", **ENGLISH)
    assert response.content.decode().count('href="/workforce/talent/') >= 20


def test_outsiders(crew, tree, volunteer, make_user, client, login):
    candidate = _nominate(crew, tree, volunteer)
    urls = ["/workforce/talent/", "/workforce/talent/nominate/", f"/workforce/talent/{candidate.pk}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    # Managers of elsewhere: the candidate does not exist for them, nor is listed.
    for manager in (crew.head2, make_user(Role.SUBDISTRICT_OFFICER, tree.s2)):
        own = login(manager)
        assert own.get(f"/workforce/talent/{candidate.pk}/").status_code == 404
        assert (
            own.post(
                f"/workforce/talent/{candidate.pk}/review/", {"note": "x", "reviewed_on": "2026-01-01"}
            ).status_code
            == 404
        )
        assert own.post(f"/workforce/talent/{candidate.pk}/plan/", {"development_plan": "x"}).status_code == 404
        assert f"/workforce/talent/{candidate.pk}/" not in own.get("/workforce/talent/").content.decode()
    # Not managers at all: residents, partners, workers, community staff who are not head.
    for user in (crew.resident, volunteer, crew.partner, crew.w1, crew.staff1):
        other = login(user)
        for url in urls:
            assert other.get(url).status_code == 403, (user, url)
        assert other.post(f"/workforce/talent/{candidate.pk}/plan/", {"development_plan": "x"}).status_code == 403
    candidate.refresh_from_db()
    assert candidate.development_plan == "" and not CandidateReview.objects.exists()


def test_the_candidates_export_lists_their_nomination_and_deletion_takes_them_out(crew, tree, volunteer):
    from residents.selectors import personal_data_of
    from residents.services import account_delete
    from tests.factories import PASSWORD

    candidate = _nominate(crew, tree, volunteer)
    talent.candidate_review_add(
        actor=crew.head1, candidate=candidate, note="进步明显", reviewed_on=timezone.localdate()
    )
    [row] = personal_data_of(user=volunteer)["talent_nominations"]["nominations"]
    assert row["reason"] == "热心社区事务" and row["skills"] == "Mediation"
    assert [review["note"] for review in row["reviews"]] == ["进步明显"]
    assert personal_data_of(user=crew.resident)["talent_nominations"] is None
    account_delete(user=volunteer, password=PASSWORD)
    assert not Candidate.objects.exists() and not CandidateReview.objects.exists()
