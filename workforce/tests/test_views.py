from datetime import date

import pytest
from django.utils import translation

from security.models import AuditEvent, Role, RoleAssignment
from workforce.models import LevelChange, LevelProposal, LevelRules, WorkerProfile
from workforce.services import level_proposals_run
from workforce.tests.helpers import profile

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 7)
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _proposal_for(crew, worker_profile) -> LevelProposal:
    level_proposals_run(today=TODAY)
    return LevelProposal.objects.get(profile=worker_profile, status=LevelProposal.Status.PENDING)


def test_a_worker_sees_their_own_profile_with_their_phone_in_full(crew, login):
    WorkerProfile.objects.filter(pk=crew.p1.pk).update(skills=["mediation"])
    from security import personal_data

    WorkerProfile.objects.filter(pk=crew.p1.pk).update(personal_phone_encrypted=personal_data.encrypt("13800138000"))
    client = login(crew.w1)
    response = client.get("/workforce/", **ENGLISH)
    assert response.status_code == 302 and response["Location"] == f"/workforce/{crew.p1.pk}/"
    page = client.get(f"/workforce/{crew.p1.pk}/", **ENGLISH).content.decode()
    assert "13800138000" in page and "08172223333" in page and "Mediation" in page
    assert "Years of service" in page and "G1" in page or crew.p1.user.role_assignments.first().area.name in page
    assert "Confirm the level" not in page and "Hand over" not in page


def test_a_manager_sees_staff_masked_and_confirms_a_step(crew, login):
    from security import personal_data

    WorkerProfile.objects.filter(pk=crew.p1.pk).update(personal_phone_encrypted=personal_data.encrypt("13800138000"))
    proposal = _proposal_for(crew, crew.p1)
    client = login(crew.head1)
    home = client.get("/workforce/", **ENGLISH).content.decode()
    assert f"/workforce/{crew.p1.pk}/" in home and f"/workforce/{crew.p2.pk}/" not in home
    assert "level 1 → 4" in home
    page = client.get(f"/workforce/{crew.p1.pk}/", **ENGLISH).content.decode()
    assert "13800138000" not in page and "138****8000" in page
    assert "Confirm the level" in page
    response = client.post(f"/workforce/proposals/{proposal.pk}/confirm/", {"reason": "考核合格"}, **ENGLISH)
    assert response.status_code == 302
    crew.p1.refresh_from_db()
    assert crew.p1.level == 4
    assert AuditEvent.objects.filter(action="workforce.level_confirm", actor=crew.head1).exists()
    page = client.get(f"/workforce/{crew.p1.pk}/", **ENGLISH).content.decode()
    assert "考核合格" in page and "Level 4 confirmed." in page


def test_confirming_without_a_reason_says_so_and_changes_nothing(crew, login):
    proposal = _proposal_for(crew, crew.p1)
    client = login(crew.head1)
    response = client.post(f"/workforce/proposals/{proposal.pk}/confirm/", {"reason": "  "}, follow=True, **ENGLISH)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode() or "Say why" in response.content.decode()
    crew.p1.refresh_from_db()
    assert crew.p1.level == 1 and not LevelChange.objects.exists()


def test_confirming_twice_says_it_was_dealt_with(crew, login):
    proposal = _proposal_for(crew, crew.p1)
    client = login(crew.head1)
    client.post(f"/workforce/proposals/{proposal.pk}/confirm/", {"reason": "ok"})
    response = client.post(f"/workforce/proposals/{proposal.pk}/confirm/", {"reason": "ok"}, follow=True, **ENGLISH)
    assert "already dealt with" in response.content.decode()
    assert LevelChange.objects.count() == 1


@pytest.mark.parametrize("who", ["head2", "staff1", "w1b", "resident", "partner"])
def test_outsiders_get_404_on_a_profile_and_its_actions(crew, login, who):
    proposal = _proposal_for(crew, crew.p1)
    client = login(getattr(crew, who))
    assert client.get(f"/workforce/{crew.p1.pk}/").status_code == 404
    assert client.post(f"/workforce/proposals/{proposal.pk}/confirm/", {"reason": "x"}).status_code == 404
    assert client.post(f"/workforce/{crew.p1.pk}/handover/", {"successor": crew.p1b.pk}).status_code == 404
    crew.p1.refresh_from_db()
    assert crew.p1.level == 1
    assert RoleAssignment.objects.filter(user=crew.w1, role=Role.GRID_WORKER).exists()


def test_a_worker_cannot_confirm_their_own_step(crew, login):
    proposal = _proposal_for(crew, crew.p1)
    client = login(crew.w1)
    assert client.post(f"/workforce/proposals/{proposal.pk}/confirm/", {"reason": "me"}).status_code == 404
    assert client.post(f"/workforce/{crew.p1.pk}/handover/", {"successor": crew.p1b.pk}).status_code == 404


@pytest.mark.parametrize("who", ["resident", "partner"])
def test_the_workforce_pages_are_closed_to_others(crew, login, who):
    client = login(getattr(crew, who))
    assert client.get("/workforce/").status_code == 403
    assert client.get("/workforce/rules/").status_code == 403


def test_anonymous_is_sent_to_sign_in(crew, client):
    proposal = _proposal_for(crew, crew.p1)
    for url in ("/workforce/", f"/workforce/{crew.p1.pk}/", "/workforce/rules/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    response = client.post(f"/workforce/proposals/{proposal.pk}/confirm/", {"reason": "x"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_worker_without_a_profile_is_told_so(crew, login, make_user, tree):
    newcomer = make_user(Role.GRID_WORKER, tree.g1)
    page = login(newcomer).get("/workforce/", **ENGLISH)
    assert page.status_code == 200 and "has not been set up" in page.content.decode()


def test_civil_affairs_officers_see_everyone_and_land_on_the_workforce(crew, login):
    client = login(crew.civil)
    assert client.get("/start/")["Location"] == "/workforce/"
    home = client.get("/workforce/").content.decode()
    for worker in WorkerProfile.objects.all():
        assert f"/workforce/{worker.pk}/" in home
    assert client.get(f"/workforce/{crew.p2.pk}/").status_code == 200


def test_staff_list_costs_constant_queries(crew, login, make_user, tree, django_assert_max_num_queries):
    level_proposals_run(today=TODAY)
    client = login(crew.civil)
    with django_assert_max_num_queries(14) as few:
        assert client.get("/workforce/").status_code == 200
    for number in range(10):
        worker = make_user(Role.GRID_WORKER, tree.g1 if number % 2 else tree.g2, mfa=False)
        profile(worker)
    level_proposals_run(today=TODAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/workforce/").status_code == 200


def test_a_manager_hands_a_grid_over(crew, login, tree):
    client = login(crew.head1)
    response = client.post(f"/workforce/{crew.p1.pk}/handover/", {"successor": crew.p1b.pk}, follow=True, **ENGLISH)
    assert "The grid was handed over." in response.content.decode()
    assert RoleAssignment.objects.filter(user=crew.w1b, role=Role.GRID_WORKER, area=tree.g1).exists()
    assert AuditEvent.objects.filter(action="workforce.handover", actor=crew.head1).exists()


def test_handover_to_another_community_is_refused_clearly(crew, login):
    client = login(crew.civil)
    response = client.post(f"/workforce/{crew.p1.pk}/handover/", {"successor": crew.p2.pk}, follow=True, **ENGLISH)
    assert "same community" in response.content.decode()
    assert RoleAssignment.objects.filter(user=crew.w1, role=Role.GRID_WORKER).exists()
    # A successor outside the manager's reach is not even a choice.
    response = login(crew.head1).post(f"/workforce/{crew.p1.pk}/handover/", {"successor": crew.p2.pk}, follow=True)
    assert response.status_code == 200
    assert RoleAssignment.objects.filter(user=crew.w1, role=Role.GRID_WORKER).exists()


def test_civil_affairs_officers_set_the_rules_in_one_place(crew, login):
    client = login(crew.civil)
    page = client.get("/workforce/rules/", **ENGLISH).content.decode()
    assert 'value="3"' in page
    values = {
        "years_per_step": 4,
        "step_associate": 0,
        "step_bachelor": 1,
        "step_master": 2,
        "step_assistant": 1,
        "step_social_worker": 2,
        "step_senior": 3,
        "step_excellent": 2,
    }
    assert client.post("/workforce/rules/", values).status_code == 302
    assert LevelRules.objects.get().years_per_step == 4
    assert LevelRules.objects.get().step_excellent == 2
    response = client.post("/workforce/rules/", values | {"years_per_step": 0}, **ENGLISH)
    assert response.status_code == 200 and LevelRules.objects.count() == 1
    with translation.override("en"):
        assert "greater than or equal to 1" in response.content.decode()


@pytest.mark.parametrize("who", ["head1", "sub1", "w1"])
def test_only_civil_affairs_officers_open_the_rules(crew, login, who):
    assert login(getattr(crew, who)).get("/workforce/rules/").status_code == 403


def test_the_navigation_links_the_workforce_for_workers_and_managers(crew, login):
    assert 'href="/workforce/"' in login(crew.w1).get("/workforce/", follow=True).content.decode()
    assert 'href="/workforce/"' in login(crew.sub1).get("/workforce/").content.decode()


def test_a_resident_sees_their_grid_workers_work_phone_on_the_home_page(crew, residents, client, login):
    from residents.models import ResidentProfile

    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=crew.resident)
    page = login(crew.resident).get("/", **ENGLISH).content.decode()
    assert "Contact your grid worker" in page and 'href="tel:08172223333"' in page
    # Another grid's resident does not see G1's worker; nor does a visitor.
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=None)
    ResidentProfile.objects.filter(pk=residents.r2.pk).update(user=crew.resident)
    assert "08172223333" not in client.get("/", **ENGLISH).content.decode()
    client.logout()
    assert "Contact your grid worker" not in client.get("/", **ENGLISH).content.decode()


def test_a_head_is_not_asked_to_confirm_their_own_step(crew, login):
    level_proposals_run(today=TODAY)
    home = login(crew.head1).get("/workforce/", **ENGLISH).content.decode()
    proposals = home.split("Level steps to confirm")[1].split("</section>")[0]
    assert f"/workforce/{crew.p1.pk}/" in proposals and f"/workforce/{crew.ph1.pk}/" not in proposals
    assert f"/workforce/{crew.ph1.pk}/" in login(crew.sub1).get("/workforce/").content.decode()
