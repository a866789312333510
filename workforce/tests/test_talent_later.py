"""The reserve talent pool's later steps (issue 18 item 4): closing a nomination (hired, withdrew, not
suitable) with the history kept, the nominee picker by name or phone, and a post falling vacant."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from security.models import AuditEvent, Role
from tests.factories import HouseholdFactory, ResidentFactory
from workforce import talent
from workforce.models import Post
from workforce.models_talent import Candidate, CandidateReview

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def volunteer(crew, tree, make_user):
    user = make_user(Role.RESIDENT, tree.g1, username="vol1")
    ResidentFactory(household=HouseholdFactory(grid=tree.g1), full_name="周志愿", user=user, phone="13912345678")
    return user


def _nominate(crew, tree, user, *, community=None, actor=None, skills=("mediation",)):
    return talent.candidate_nominate(
        actor=actor or crew.head1, nominee=user, community=community or tree.c1, reason="热心", skills=list(skills)
    )


# --- closing -------------------------------------------------------------------------------------
def test_a_manager_closes_a_nomination_the_history_stays_and_a_new_one_is_possible(crew, tree, volunteer, login):
    candidate = _nominate(crew, tree, volunteer)
    client = login(crew.head1)
    page = client.get(f"/workforce/talent/{candidate.pk}/", **ENGLISH).content.decode()
    assert "Close the nomination" in page
    response = client.post(
        f"/workforce/talent/{candidate.pk}/close/", {"outcome": "withdrew", "note": "外出务工"}, **ENGLISH
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.outcome, candidate.closing_note) == ("closed", "withdrew", "外出务工")
    assert candidate.closed_by == crew.head1 and candidate.closed_on == timezone.localdate()
    event = AuditEvent.objects.get(action="workforce.talent_close")
    assert event.actor == crew.head1 and event.details["outcome"] == "withdrew"
    page = client.get(f"/workforce/talent/{candidate.pk}/", **ENGLISH).content.decode()
    assert "Withdrew" in page and "Close the nomination" not in page and "Save the plan" not in page
    assert f"/workforce/talent/{candidate.pk}/" not in client.get("/workforce/talent/", **ENGLISH).content.decode()
    assert f"/workforce/talent/{candidate.pk}/" in client.get("/workforce/talent/?status=closed").content.decode()
    # Closed: no plan, review or second closing; a new nomination is possible and links the old one.
    with translation.override("en"), pytest.raises(ValidationError, match="left the pool"):
        talent.candidate_review_add(actor=crew.head1, candidate=candidate, note="x", reviewed_on=timezone.localdate())
    with translation.override("en"), pytest.raises(ValidationError, match="left the pool"):
        talent.candidate_close(actor=crew.head1, candidate=candidate, outcome="hired", hired_post=Post.OTHER)
    again = _nominate(crew, tree, volunteer)
    assert f"/workforce/talent/{candidate.pk}/" in client.get(f"/workforce/talent/{again.pk}/").content.decode()
    assert Candidate.objects.filter(user=volunteer).count() == 2
    assert AuditEvent.objects.filter(action="workforce.talent_close").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outcome": "promoted"}, "Select a valid choice."),
        ({"outcome": "unsuitable", "note": " "}, "Say why they are not suitable."),
        ({"outcome": "hired"}, "Choose the post they are hired for."),
        ({"outcome": "withdrew", "note": "x" * 2001}, "Ensure this value has at most 2000 characters"),
    ],
)
def test_a_bad_closing_says_why_and_changes_nothing(crew, tree, volunteer, login, data, message):
    candidate = _nominate(crew, tree, volunteer)
    response = login(crew.head1).post(f"/workforce/talent/{candidate.pk}/close/", data, **ENGLISH)
    assert response.status_code == 200 and message in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == "active" and not AuditEvent.objects.filter(action="workforce.talent_close").exists()


def test_outsiders_cannot_close(crew, tree, volunteer, make_user, login, client):
    candidate = _nominate(crew, tree, volunteer)
    url = f"/workforce/talent/{candidate.pk}/close/"
    response = client.post(url, {"outcome": "withdrew"})
    assert response.status_code == 302 and "login" in response["Location"]
    for manager in (crew.head2, make_user(Role.SUBDISTRICT_OFFICER, tree.s2)):
        assert login(manager).post(url, {"outcome": "withdrew"}).status_code == 404
        with pytest.raises(PermissionDenied):
            talent.candidate_close(actor=manager, candidate=candidate, outcome="withdrew")
    for outsider in (crew.w1, crew.staff1, crew.resident, crew.partner, volunteer):
        assert login(outsider).post(url, {"outcome": "withdrew"}).status_code == 403
    assert login(crew.head1).get(url).status_code == 405
    candidate.refresh_from_db()
    assert candidate.status == "active"


# --- the nominee picker --------------------------------------------------------------------------
def test_the_picker_finds_by_name_or_phone_hash_and_nominates(crew, tree, volunteer, make_user, login):
    far = make_user(Role.RESIDENT, tree.g2, username="far1")
    ResidentFactory(household=HouseholdFactory(grid=tree.g2), full_name="周远方", user=far, phone="13700000001")
    client = login(crew.head1)
    page = client.post("/workforce/talent/nominate/", {"find": "1", "query": "周"}, **ENGLISH).content.decode()
    assert f'value="{volunteer.pk}"' in page and "周志愿 · 139****5678" in page
    assert "周远方" not in page and "13912345678" not in page  # another community; the number masked
    assert not AuditEvent.objects.filter(action="workforce.talent_lookup").exists()
    page = client.post("/workforce/talent/nominate/", {"find": "1", "query": "139 1234 5678"}, **ENGLISH)
    assert f'value="{volunteer.pk}"' in page.content.decode()
    assert AuditEvent.objects.get(action="workforce.talent_lookup").details == {"by": "phone"}
    page = client.post("/workforce/talent/nominate/", {"find": "1", "query": "13700000001"}, **ENGLISH)
    assert "No one of the communities you manage matches." in page.content.decode()
    page = client.post("/workforce/talent/nominate/", {"find": "1", "query": "1391234"}, **ENGLISH)
    assert "A mobile number has 11 digits" in page.content.decode()
    # Choose the person found and nominate them.
    response = client.post(
        "/workforce/talent/nominate/",
        {"query": "周", "nominee": volunteer.pk, "community": tree.c1.pk, "reason": "热心", "skills": ["law"]},
    )
    assert response.status_code == 302 and Candidate.objects.get().user == volunteer
    page = client.post("/workforce/talent/nominate/", {"find": "1", "query": "周"}, **ENGLISH).content.decode()
    assert "Already in the pool" in page


def test_the_picker_and_nominating_outside_ones_communities_find_no_one(crew, tree, volunteer, login):
    with pytest.raises(PermissionDenied):
        talent.nominees_find(actor=crew.head2, query="周", community=tree.c1)
    assert talent.nominees_find(actor=crew.head2, query="周") == []
    response = login(crew.head2).post(
        "/workforce/talent/nominate/", {"nominee": volunteer.pk, "community": tree.c1.pk, "reason": "x"}, **ENGLISH
    )
    assert response.status_code == 200 and "Select a valid choice." in response.content.decode()
    response = login(crew.head2).post(
        "/workforce/talent/nominate/", {"nominee": volunteer.pk, "community": tree.c2.pk, "reason": "x"}, **ENGLISH
    )
    assert "Choose an active user of this community." in response.content.decode()
    assert not Candidate.objects.exists()


# --- a post falls vacant -------------------------------------------------------------------------
@pytest.fixture
def pool(crew, tree, make_user):
    """In S1 (C1 and a second community C1x): a with mediation and law, b with law, c with mediation
    and two reviews, d in C1x with mediation and law; e in C2 (S2)."""
    from tests.factories import AreaFactory

    c1x = AreaFactory(code="C1x", kind="community", parent=tree.s1)
    grids = {tree.c1: tree.g1, tree.c2: tree.g2, c1x: AreaFactory(code="G1x", kind="grid", parent=c1x)}
    people = {}
    for name, community, skills in [
        ("a", tree.c1, ["mediation", "law"]),
        ("b", tree.c1, ["law"]),
        ("c", tree.c1, ["mediation"]),
        ("d", c1x, ["mediation", "law"]),
        ("e", tree.c2, ["mediation", "law"]),
    ]:
        user = make_user(Role.RESIDENT, grids[community], username=f"cand_{name}")
        people[name] = talent.candidate_nominate(
            actor=crew.civil, nominee=user, community=community, reason="x", skills=skills
        )
    for day in (1, 2):
        CandidateReview.objects.create(
            candidate=people["c"], note="好", reviewed_on=timezone.localdate().replace(day=day), author=crew.sub1
        )
    return people


def test_a_vacancy_lists_the_subdistricts_pool_best_fit_first_and_hires(crew, tree, pool, login):
    client = login(crew.sub1)
    query = f"?community={tree.c1.pk}&post=other&skills=mediation&skills=law"
    page = client.get(f"/workforce/talent/vacancy/{query}", **ENGLISH).content.decode()
    # Both skills: a (here) then d (C1x); one skill: c (two reviews) then b; e is of another subdistrict.
    order = [pool[name].pk for name in "adcb"]
    assert [int(part.split("/")[0]) for part in page.split('href="/workforce/talent/')[1:] if part[0].isdigit()][
        :4
    ] == order
    assert f"/workforce/talent/{pool['e'].pk}/" not in page
    page = client.get(f"/workforce/talent/vacancy/?community={tree.c1.pk}&post=other&skills=law").content.decode()
    assert f"/workforce/talent/{pool['c'].pk}/" not in page and f"/workforce/talent/{pool['b'].pk}/" in page
    # Hire from the list: the candidate leaves the pool as hired for the post.
    response = client.post(f"/workforce/talent/{pool['a'].pk}/close/", {"outcome": "hired", "hired_post": "other"})
    assert response.status_code == 302
    pool["a"].refresh_from_db()
    assert (pool["a"].status, pool["a"].outcome, pool["a"].hired_post) == ("closed", "hired", "other")
    assert AuditEvent.objects.get(action="workforce.talent_close").details["hired_post"] == "other"
    assert f"/workforce/talent/{pool['a'].pk}/" not in client.get(f"/workforce/talent/vacancy/{query}").content.decode()


def test_a_bad_vacancy_says_why(crew, tree, pool, login):
    client = login(crew.head1)
    page = client.get(f"/workforce/talent/vacancy/?community={tree.c2.pk}&post=boss", **ENGLISH).content.decode()
    assert "Select a valid choice." in page and "vacancy-candidates" not in page
    assert client.get("/workforce/talent/vacancy/", **ENGLISH).status_code == 200


def test_a_vacancy_has_constant_queries(crew, tree, pool, make_user, login, django_assert_max_num_queries):
    client = login(crew.sub1)
    url = f"/workforce/talent/vacancy/?community={tree.c1.pk}&post=other&skills=mediation"
    client.get(url)
    with django_assert_max_num_queries(20) as captured:
        client.get(url)
    baseline = len(captured)
    for number in range(15):
        user = make_user(Role.RESIDENT, tree.g1, username=f"more{number}")
        candidate = _nominate(crew, tree, user, skills=["mediation"])
        CandidateReview.objects.create(
            candidate=candidate, note="x", reviewed_on=timezone.localdate(), author=crew.sub1
        )
    with django_assert_max_num_queries(baseline):
        assert client.get(url).status_code == 200


def test_outsiders_cannot_see_vacancies(crew, tree, pool, login, client):
    url = f"/workforce/talent/vacancy/?community={tree.c1.pk}&post=other"
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    for outsider in (crew.w1, crew.staff1, crew.resident, crew.partner):
        assert login(outsider).get(url).status_code == 403
    # Another community's head cannot state a vacancy in C1, nor sees its candidates.
    page = login(crew.head2).get(url, **ENGLISH).content.decode()
    assert "Select a valid choice." in page and f"/workforce/talent/{pool['a'].pk}/" not in page


def test_the_picker_has_constant_queries(crew, tree, make_user, login, django_assert_max_num_queries):
    def add(number):
        user = make_user(Role.RESIDENT, tree.g1, username=f"zhou{number}")
        ResidentFactory(household=HouseholdFactory(grid=tree.g1), full_name=f"周{number}", user=user)

    add(0)
    client = login(crew.head1)
    client.post("/workforce/talent/nominate/", {"find": "1", "query": "周"})
    with django_assert_max_num_queries(20) as captured:
        client.post("/workforce/talent/nominate/", {"find": "1", "query": "周"})
    baseline = len(captured)
    for number in range(1, 25):
        add(number)
    with django_assert_max_num_queries(baseline):
        page = client.post("/workforce/talent/nominate/", {"find": "1", "query": "周"}).content.decode()
    assert page.count('name="nominee"') == talent.NOMINEES_SHOWN
