"""Proposal pages: list and detail for signed-in people (support counts, never names), the support
button for the community's verified residents, the staff answer page for the community's staff only,
bad input, and query budgets that do not grow with the rows."""

import pytest
from django.urls import reverse

from participation.models import Proposal, ProposalStatus, ProposalSupport
from participation.proposals import proposal_create, proposal_support, proposal_threshold_set
from participation.tests.poll_helpers import verified_resident
from security.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, tree.c1)


@pytest.fixture
def author(tree):
    return verified_resident(tree.g1)


def _proposal(author, title="增设电动车充电桩"):
    return proposal_create(actor=author, title=title, body="东门附近", category="facilities")


def test_anonymous_is_sent_to_sign_in(client, author):
    proposal = _proposal(author)
    for url in (
        reverse("participation:proposal_list"),
        reverse("participation:proposal_detail", args=[proposal.public_id]),
        reverse("participation:proposal_new"),
    ):
        assert client.get(url).status_code == 302
    assert client.post(reverse("participation:proposal_support", args=[proposal.public_id])).status_code == 302
    assert not ProposalSupport.objects.exists()


def test_a_resident_proposes_through_the_form_and_bad_input_is_refused(client, login, author):
    login(author)
    url = reverse("participation:proposal_new")
    assert client.get(url).status_code == 200
    response = client.post(url, {"title": "", "body": "x", "category": "nonsense"})
    assert response.status_code == 400
    assert not Proposal.objects.exists()
    response = client.post(url, {"title": "楼道照明", "body": "晚上太暗", "category": "safety"})
    proposal = Proposal.objects.get()
    assert response.url == reverse("participation:proposal_detail", args=[proposal.public_id])


def test_an_unverified_account_cannot_propose(client, login, make_user):
    login(make_user())
    response = client.post(
        reverse("participation:proposal_new"), {"title": "楼道照明", "body": "晚上太暗", "category": "safety"}
    )
    assert response.status_code == 302
    assert not Proposal.objects.exists()


def test_a_neighbour_supports_and_withdraws_and_names_are_never_shown(client, login, tree, staff, author):
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=5)
    proposal = _proposal(author)
    neighbour = verified_resident(tree.g1b)
    login(neighbour)
    client.post(reverse("participation:proposal_support", args=[proposal.public_id]))
    assert ProposalSupport.objects.filter(proposal=proposal, user=neighbour).exists()
    login(author)
    page = client.get(reverse("participation:proposal_detail", args=[proposal.public_id]))
    assert page.status_code == 200 and page.context["proposal"].support_count == 1
    assert neighbour.username not in page.content.decode()
    assert neighbour.resident_profile.full_name not in page.content.decode()
    login(neighbour)
    client.post(reverse("participation:proposal_withdraw", args=[proposal.public_id]))
    assert not ProposalSupport.objects.exists()


def test_outsiders_cannot_support_through_the_page(client, login, tree, author, make_user):
    proposal = _proposal(author)
    for outsider in (verified_resident(tree.g2), make_user()):
        login(outsider)
        client.post(reverse("participation:proposal_support", args=[proposal.public_id]))
    assert not ProposalSupport.objects.exists()
    assert (
        client.post(
            reverse("participation:proposal_support", args=["00000000-0000-0000-0000-000000000000"])
        ).status_code
        == 404
    )


def test_only_the_communitys_staff_open_the_answer_page(client, login, tree, staff, author, make_user):
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=1)
    proposal = proposal_support(actor=verified_resident(tree.g1), proposal=_proposal(author))
    url = reverse("participation:proposal_manage", args=[proposal.public_id])
    for outsider in (make_user(Role.COMMUNITY_STAFF, tree.c2), author):
        login(outsider)
        assert client.get(url).status_code == 403
        assert client.post(url, {"action": "answer", "accepted": "no", "answer": "不行"}).status_code == 403
    login(staff)
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "answer", "accepted": "no", "answer": ""}).status_code == 400
    assert client.post(url, {"action": "bogus"}).status_code == 400
    response = client.post(url, {"action": "answer", "accepted": "no", "answer": "场地不足"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.NOT_ACCEPTED


def test_list_filters_by_community_status_and_category(client, login, tree, staff, author):
    mine = _proposal(author)
    other = _proposal(verified_resident(tree.g2), title="停车位")
    greenery = proposal_create(actor=verified_resident(tree.g1b), title="补种绿化", body="南门", category="environment")
    login(author)
    page = client.get(reverse("participation:proposal_list"), {"community": "C2"})
    assert [p.pk for p in page.context["proposals"]] == [other.pk]
    page = client.get(reverse("participation:proposal_list"), {"status": "published", "community": "C1"})
    assert [p.pk for p in page.context["proposals"]] == [greenery.pk, mine.pk]
    page = client.get(reverse("participation:proposal_list"), {"community": "C1", "category": "facilities"})
    assert [p.pk for p in page.context["proposals"]] == [mine.pk]
    page = client.get(reverse("participation:proposal_list"), {"status": "nonsense", "category": "x", "page": "x"})
    assert page.status_code == 200 and len(page.context["proposals"]) == 3


def test_neighbours_support_until_the_answer_but_withdraw_only_before_the_threshold(client, login, tree, staff, author):
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=1)
    first = verified_resident(tree.g1)
    proposal = proposal_support(actor=first, proposal=_proposal(author))
    late = verified_resident(tree.g1b)
    login(late)
    url = reverse("participation:proposal_detail", args=[proposal.public_id])
    assert client.get(url).context["may_support"]
    client.post(reverse("participation:proposal_support", args=[proposal.public_id]))
    page = client.get(url)
    assert page.context["proposal"].support_count == 2
    assert not page.context["may_support"] and not page.context["may_withdraw"]
    client.post(reverse("participation:proposal_withdraw", args=[proposal.public_id]))
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 2


def _queries_for(client, django_assert_max_num_queries, url, budget):
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200


def test_query_budgets_do_not_grow_with_rows(client, login, tree, author, django_assert_num_queries):
    proposal = _proposal(author)
    login(author)
    list_url = reverse("participation:proposal_list")
    detail_url = reverse("participation:proposal_detail", args=[proposal.public_id])
    client.get(list_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    list_before, detail_before = count(list_url), count(detail_url)
    for index in range(5):
        neighbour = verified_resident(tree.g1b)
        proposal_support(actor=author, proposal=_proposal(neighbour, title=f"提议{index}"))
    login(author)
    assert count(list_url) == list_before
    assert count(detail_url) == detail_before
    with django_assert_num_queries(list_before):
        client.get(list_url)


def test_photos_are_cleaned_stored_and_served_only_to_signed_in_people(client, login, tree, orgs, staff, author):
    from participation.models import ProposalPhoto
    from participation.proposals import proposal_answer, proposal_done, proposal_start
    from services.tests.test_photos import photo_file

    login(author)
    response = client.post(
        reverse("participation:proposal_new"),
        {
            "title": "楼道照明",
            "body": "晚上太暗",
            "category": "safety",
            "photos": [photo_file(), photo_file("b.png", "PNG")],
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    photos = list(ProposalPhoto.objects.filter(proposal=proposal))
    assert [photo.stage for photo in photos] == ["proposal", "proposal"]
    url = reverse("participation:proposal_photo", args=[proposal.public_id, photos[0].public_id])
    served = client.get(url)
    assert served.status_code == 200 and "public" not in served["Cache-Control"]
    assert b"SpyCam" not in b"".join(served.streaming_content)
    wrong = reverse("participation:proposal_photo", args=[proposal.public_id, "00000000-0000-0000-0000-000000000000"])
    assert client.get(wrong).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302

    # Bad files and too many are refused with nothing written.
    login(author)
    response = client.post(
        reverse("participation:proposal_new"),
        {"title": "又一个", "body": "内容", "category": "safety", "photos": [photo_file("x.gif", "GIF")]},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("participation:proposal_new"),
        {"title": "又一个", "body": "内容", "category": "safety", "photos": [photo_file() for _i in range(7)]},
    )
    assert response.status_code == 400
    assert Proposal.objects.count() == 1

    # Photos of the work done, with the staff's "done".
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=1)
    proposal = proposal_support(actor=verified_resident(tree.g1), proposal=proposal)
    proposal = proposal_answer(
        actor=staff, proposal=proposal, accepted=True, answer="同意", plan="下周", organisation=orgs.dept
    )
    proposal = proposal_start(actor=staff, proposal=proposal)
    proposal_done(actor=staff, proposal=proposal, note="已装灯", photos=[photo_file()])
    assert ProposalPhoto.objects.filter(proposal=proposal, stage="done").count() == 1
    page = client.get(reverse("participation:proposal_detail", args=[proposal.public_id]))
    assert page.status_code == 200 and len(page.context["photos"]) == 3


def test_the_communitys_staff_set_the_threshold_and_others_cannot(client, login, tree, staff, author, make_user):
    from participation.models import CommunityProposalSetting

    url = reverse("participation:proposal_threshold")
    for outsider in (author, make_user(Role.GRID_WORKER, tree.g1)):
        login(outsider)
        assert client.get(url).status_code in (302, 403)
        client.post(url, {"community": tree.c1.pk, "threshold": 3})
    other_staff = make_user(Role.COMMUNITY_STAFF, tree.c2)
    login(other_staff)
    assert client.post(url, {"community": tree.c1.pk, "threshold": 3}).status_code == 400  # not their community
    assert not CommunityProposalSetting.objects.exists()
    login(staff)
    assert client.get(url).status_code == 200
    assert client.post(url, {"community": tree.c1.pk, "threshold": "abc"}).status_code == 400
    assert client.post(url, {"community": tree.c1.pk, "threshold": 0}).status_code == 400
    assert client.post(url, {"community": tree.c1.pk, "threshold": 3}).status_code == 302
    assert CommunityProposalSetting.objects.get().support_threshold == 3
