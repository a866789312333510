"""A poll may ask about a residents' proposal of a community within its area (issue 17, item 3): staff
choose it when creating or changing a draft; a proposal elsewhere is refused with a message and
nothing changes; the poll's page links to the proposal and the proposal's page lists the polls the
viewer may see, in queries that do not grow with the polls."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from participation.models import Poll
from participation.poll_results import poll_proposal_choices, polls_about_proposal
from participation.polls import poll_create, poll_update
from participation.proposals import proposal_create
from participation.tests.poll_helpers import make_poll, open_poll, verified_resident
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

NEW = "/polls/new/"


@pytest.fixture
def town(tree, make_user):
    c1_author = verified_resident(tree.g1)
    c2_author = verified_resident(tree.g2)
    return type(
        "Town",
        (),
        {
            "staff": make_user(Role.COMMUNITY_STAFF, tree.c1),
            "staff_c2": make_user(Role.COMMUNITY_STAFF, tree.c2),
            "subdistrict": make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
            "neighbour": verified_resident(tree.g1b),
            "outsider": c2_author,
            "c1": proposal_create(actor=c1_author, title="加装电梯", body="3号楼", category="facilities"),
            "c2": proposal_create(actor=c2_author, title="修路灯", body="南门", category="safety"),
        },
    )


def _details(area, **extra):
    now = timezone.localtime()
    return {
        "area": area.pk,
        "title": "加装电梯意见征集",
        "description": "",
        "opens_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "results_shown": "after_closing",
    } | extra


def test_staff_attach_a_proposal_of_their_area_and_the_poll_page_links_it(client, login, tree, town):
    login(town.staff)
    form = client.get(NEW).context["form"]
    assert list(form.fields["proposal"].queryset) == [town.c1]  # not C2's
    response = client.post(NEW, _details(tree.c1, proposal=town.c1.pk))
    poll = Poll.objects.get()
    assert response.status_code == 302
    assert poll.proposal == town.c1
    event = AuditEvent.objects.filter(action="poll.create").latest("id")
    assert event.details["proposal"] == str(town.c1.public_id)
    page = client.get(f"/polls/{poll.public_id}/")
    assert f"/proposals/{town.c1.public_id}/" in page.content.decode()


def test_a_proposal_outside_the_polls_area_is_refused_and_nothing_is_made(client, login, tree, town):
    # Forged in the form: C1 staff do not get C2's proposal as a choice.
    login(town.staff)
    response = client.post(NEW, _details(tree.c1, proposal=town.c2.pk))
    assert response.status_code == 400
    assert "proposal" in response.context["form"].errors
    response = client.post(NEW, _details(tree.c1, proposal="x"))
    assert response.status_code == 400
    assert not Poll.objects.exists()
    # In the service: a grid's poll cannot ask about its community's proposal, nor a C1 poll about C2's.
    for area, proposal in ((tree.g1, town.c1), (tree.c1, town.c2)):
        with pytest.raises(ValidationError) as refused:
            poll_create(
                actor=town.staff,
                area=area,
                title="越界",
                opens_at=timezone.now() + timedelta(hours=1),
                closes_at=timezone.now() + timedelta(days=1),
                proposal=proposal,
            )
        assert "proposal" in refused.value.message_dict
    assert not Poll.objects.exists()


def test_a_drafts_proposal_changes_until_it_opens(client, login, tree, town):
    poll = make_poll(actor=town.staff, area=tree.c1)
    login(town.staff)
    details = _details(tree.c1, action="details", proposal=town.c1.pk)
    details.pop("area")
    details["opens_at"] = timezone.localtime(poll.opens_at).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/polls/{poll.public_id}/edit/", details).status_code == 302
    poll.refresh_from_db()
    assert poll.proposal == town.c1
    # Another area's proposal: a message, nothing changed.
    assert client.post(f"/polls/{poll.public_id}/edit/", details | {"proposal": town.c2.pk}).status_code == 400
    with pytest.raises(ValidationError):
        poll_update(
            actor=town.subdistrict,
            poll=poll,
            title=poll.title,
            opens_at=poll.opens_at,
            closes_at=poll.closes_at,
            results_shown=poll.results_shown,
            proposal=town.c2,
        )
    poll.refresh_from_db()
    assert poll.proposal == town.c1
    # Cleared while still a draft; once open nothing changes.
    assert client.post(f"/polls/{poll.public_id}/edit/", details | {"proposal": ""}).status_code == 302
    poll.refresh_from_db()
    assert poll.proposal is None
    open_poll(poll)
    response = client.post(f"/polls/{poll.public_id}/edit/", details)
    assert response.status_code == 302  # sent back to the poll: it has opened
    poll.refresh_from_db()
    assert poll.proposal is None


def test_other_staff_cannot_attach_or_change(client, login, tree, town, make_user):
    poll = make_poll(actor=town.staff, area=tree.c1)
    login(town.staff_c2)
    assert list(client.get(NEW).context["form"].fields["proposal"].queryset) == [town.c2]
    details = _details(tree.c1, action="details", proposal=town.c2.pk)
    assert client.post(f"/polls/{poll.public_id}/edit/", details).status_code == 404
    poll.refresh_from_db()
    assert poll.proposal is None
    # A grid worker's choices are their grid's: no community's proposal.
    assert not poll_proposal_choices(user=make_user(Role.GRID_WORKER, tree.g1)).exists()
    assert not poll_proposal_choices(user=town.neighbour).exists()


def test_the_proposals_polls_are_those_the_viewer_may_see(tree, town, make_user):
    draft = make_poll(actor=town.staff, area=tree.c1, title="草稿")
    opened = open_poll(make_poll(actor=town.staff, area=tree.c1, title="已开放"))
    Poll.objects.filter(pk__in=[draft.pk, opened.pk]).update(proposal=town.c1)
    # Staff of the area: drafts too; residents of C1: the opened one; C2's residents and staff,
    # unverified accounts and anonymous visitors: none.
    assert {p.pk for p in polls_about_proposal(user=town.staff, proposal=town.c1)} == {draft.pk, opened.pk}
    assert [p.pk for p in polls_about_proposal(user=town.neighbour, proposal=town.c1)] == [opened.pk]
    for outsider in (town.outsider, town.staff_c2, make_user()):
        assert polls_about_proposal(user=outsider, proposal=town.c1) == []
    assert polls_about_proposal(user=AnonymousUser(), proposal=town.c1) == []
    assert polls_about_proposal(user=town.staff, proposal=town.c2) == []


def test_listing_a_proposals_polls_costs_the_same_for_many(tree, town):
    def queries() -> int:
        user = type(town.neighbour).objects.get(pk=town.neighbour.pk)  # no cached roles
        with CaptureQueriesContext(connection) as captured:
            polls_about_proposal(user=user, proposal=town.c1)
        return len(captured)

    Poll.objects.filter(pk=open_poll(make_poll(actor=town.staff, area=tree.c1)).pk).update(proposal=town.c1)
    one = queries()
    for index in range(5):
        poll = open_poll(make_poll(actor=town.staff, area=tree.c1, title=f"第{index}次"))
        Poll.objects.filter(pk=poll.pk).update(proposal=town.c1)
    assert len(polls_about_proposal(user=town.neighbour, proposal=town.c1)) == 6
    assert queries() == one <= 4


def test_the_proposals_page_lists_the_polls_the_viewer_may_see(client, login, tree, town):
    draft = make_poll(actor=town.staff, area=tree.c1, title="草稿")
    opened = open_poll(make_poll(actor=town.staff, area=tree.c1, title="已开放"))
    Poll.objects.filter(pk__in=[draft.pk, opened.pk]).update(proposal=town.c1)
    url = f"/proposals/{town.c1.public_id}/"
    login(town.neighbour)
    page = client.get(url).content.decode()
    assert f"/polls/{opened.public_id}/" in page and str(draft.public_id) not in page
    login(town.staff)
    page = client.get(url).content.decode()
    assert f"/polls/{opened.public_id}/" in page and f"/polls/{draft.public_id}/" in page
    login(town.outsider)
    page = client.get(url)
    assert page.status_code == 200
    assert str(opened.public_id) not in page.content.decode()


def test_a_proposal_hidden_after_it_was_chosen_does_not_block_changing_the_draft(client, login, tree, town):
    poll = make_poll(actor=town.staff, area=tree.c1)
    Poll.objects.filter(pk=poll.pk).update(proposal=town.c1)
    type(town.c1).objects.filter(pk=town.c1.pk).update(hidden_at=timezone.now(), hidden_reason="含个人信息")
    login(town.staff)
    assert list(client.get(NEW).context["form"].fields["proposal"].queryset) == []  # not offered anew
    details = _details(tree.c1, action="details", proposal=town.c1.pk, title="改了标题")
    details.pop("area")
    details["opens_at"] = timezone.localtime(poll.opens_at).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/polls/{poll.public_id}/edit/", details).status_code == 302
    poll.refresh_from_db()
    assert (poll.title, poll.proposal_id) == ("改了标题", town.c1.pk)
