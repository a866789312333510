"""A manager dismisses a pending level step they do not confirm, with a reason (issue 18)."""

from datetime import date

import pytest

from security.models import AuditEvent, Role
from workforce.models import LevelChange, LevelProposal
from workforce.services import level_proposals_run

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
TODAY = date(2026, 1, 1)


def _proposal_for(worker_profile) -> LevelProposal:
    level_proposals_run(today=TODAY)
    return LevelProposal.objects.get(profile=worker_profile, status=LevelProposal.Status.PENDING)


def test_a_manager_dismisses_a_step_with_a_reason_audited_and_the_level_stays(crew, login):
    proposal = _proposal_for(crew.p1)
    client = login(crew.head1)
    page = client.get(f"/workforce/{crew.p1.pk}/", **ENGLISH).content.decode()
    assert f"/workforce/proposals/{proposal.pk}/dismiss/" in page
    response = client.post(
        f"/workforce/proposals/{proposal.pk}/dismiss/", {"reason": "年度考核不合格"}, follow=True, **ENGLISH
    )
    assert "The proposed level step is dismissed." in response.content.decode()
    proposal.refresh_from_db()
    crew.p1.refresh_from_db()
    assert proposal.status == LevelProposal.Status.DISMISSED and crew.p1.level == proposal.current_level
    assert not LevelChange.objects.exists()
    event = AuditEvent.objects.get(action="workforce.level_dismiss")
    assert event.actor == crew.head1 and event.details["reason"] == "年度考核不合格"
    assert f"/workforce/proposals/{proposal.pk}/" not in client.get("/workforce/", **ENGLISH).content.decode()
    # Dealt with: neither confirmed nor dismissed again.
    response = client.post(f"/workforce/proposals/{proposal.pk}/confirm/", {"reason": "x"}, follow=True, **ENGLISH)
    assert "already dealt with" in response.content.decode()
    response = client.post(f"/workforce/proposals/{proposal.pk}/dismiss/", {"reason": "x"}, follow=True, **ENGLISH)
    assert "already dealt with" in response.content.decode()
    assert AuditEvent.objects.filter(action="workforce.level_dismiss").count() == 1


@pytest.mark.parametrize(("reason", "message"), [("  ", "Say why you dismiss the proposal."), ("x" * 501, "under 500")])
def test_a_bad_reason_says_why_and_changes_nothing(crew, login, reason, message):
    proposal = _proposal_for(crew.p1)
    response = login(crew.head1).post(
        f"/workforce/proposals/{proposal.pk}/dismiss/", {"reason": reason}, follow=True, **ENGLISH
    )
    assert message in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == LevelProposal.Status.PENDING
    assert not AuditEvent.objects.filter(action="workforce.level_dismiss").exists()


def test_outsiders_cannot_dismiss(crew, tree, make_user, login, client):
    proposal = _proposal_for(crew.p1)
    url = f"/workforce/proposals/{proposal.pk}/dismiss/"
    response = client.post(url, {"reason": "x"})
    assert response.status_code == 302 and "login" in response["Location"]
    outsiders = [crew.w1, crew.w1b, crew.staff1, crew.head2, crew.resident, crew.partner]
    outsiders.append(make_user(Role.SUBDISTRICT_OFFICER, tree.s2))
    for outsider in outsiders:
        assert login(outsider).post(url, {"reason": "x"}).status_code == 404
    assert login(crew.head1).get(url).status_code == 405
    assert login(crew.head1).post("/workforce/proposals/999999/dismiss/", {"reason": "x"}).status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == LevelProposal.Status.PENDING
