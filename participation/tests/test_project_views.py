"""Pages of requests that become projects: the clusters page and the form for the community's staff only
(other community's staff, grid workers, residents, unverified accounts: 403; anonymous: sign in; requests
outside the staff member's communities: 404), bad input answered with a message and nothing changed, the
request page showing the project, and query budgets that do not grow with the rows."""

import pytest
from django.urls import reverse

from participation.models import Proposal, ProposalRequest, ProposalStatus
from participation.proposals import proposal_done, proposal_start
from participation.tests.poll_helpers import verified_resident
from participation.tests.project_helpers import cluster_of_three, file_by
from security.models import Role
from services.models import RequestStatus

pytestmark = pytest.mark.django_db

CLUSTERS = reverse("participation:project_clusters")
NEW = reverse("participation:project_new")


@pytest.fixture
def staff(tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, tree.c1)


@pytest.fixture
def cluster(tree, catalogue, make_user):
    return cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)


def _new_url(requests):
    return NEW + "?" + "&".join(f"requests={r.public_id}" for r in requests)


def _form(linked, orgs, **overrides):
    return {
        "requests": [r.public_id for r in linked],
        "kind": "project",
        "title": "更换楼道灯",
        "body": "统一更换",
        "category": "facilities",
        "plan": "下周",
        "organisation": orgs.partner.pk,
    } | overrides


def test_staff_see_the_cluster_in_the_navigation_and_turn_it_into_a_project(client, login, staff, cluster, orgs):
    login(staff)
    home = client.get(CLUSTERS)
    assert home.status_code == 200
    assert CLUSTERS in home.content.decode()  # in the staff navigation
    [shown] = home.context["clusters"]
    assert {r.pk for r in shown.requests} == {r.pk for r in cluster}
    url = _new_url(shown.requests)
    assert url.replace("&", "&amp;") in home.content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count("checked") >= len(cluster)  # preselected
    response = client.post(url, _form(cluster, orgs))
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("participation:proposal_detail", args=[proposal.public_id])
    assert proposal.status == ProposalStatus.ACCEPTED
    assert ProposalRequest.objects.filter(proposal=proposal).count() == 3
    assert client.get(CLUSTERS).context["clusters"] == []


def test_staff_may_untick_requests_and_make_a_proposal_instead(client, login, staff, cluster, orgs):
    login(staff)
    response = client.post(_new_url(cluster), _form(cluster[:2], orgs, kind="proposal", plan="", organisation=""))
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.status == ProposalStatus.PUBLISHED
    assert set(ProposalRequest.objects.values_list("request_id", flat=True)) == {r.pk for r in cluster[:2]}


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": ""},
        {"body": ""},
        {"category": "nonsense"},
        {"kind": "nonsense"},
        {"plan": ""},
        {"organisation": ""},
        {"organisation": "999999"},
        {"requests": []},
        {"requests": ["NOT-A-REQUEST"]},
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(client, login, staff, cluster, orgs, overrides):
    login(staff)
    response = client.post(_new_url(cluster), _form(cluster, orgs, **overrides))
    assert response.status_code == 400
    assert response.context["form"].errors
    assert 'role="alert"' in response.content.decode()
    assert not Proposal.objects.exists() and not ProposalRequest.objects.exists()


def test_an_organisation_of_another_subdistrict_is_not_offered_nor_accepted(client, login, staff, cluster, orgs):
    login(staff)
    page = client.get(_new_url(cluster))
    offered = set(page.context["form"].fields["organisation"].queryset)
    assert orgs.partner in offered and orgs.partner_other not in offered
    response = client.post(_new_url(cluster), _form(cluster, orgs, organisation=orgs.partner_other.pk))
    assert response.status_code == 400
    assert not Proposal.objects.exists()


def test_outsiders_cannot_see_clusters_or_act(client, login, tree, staff, cluster, orgs, make_user):
    url = _new_url(cluster)
    # Anonymous: sent to sign in.
    assert client.get(CLUSTERS).status_code == 302
    assert client.post(url, _form(cluster, orgs)).status_code == 302
    # Not community staff: 403 on both pages.
    for outsider in (
        make_user(Role.GRID_WORKER, tree.g1),
        make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
        verified_resident(tree.g1),
        cluster[0].requester,
        make_user(),  # unverified, no role
    ):
        login(outsider)
        assert client.get(CLUSTERS).status_code == 403
        assert client.get(url).status_code == 403
        assert client.post(url, _form(cluster, orgs)).status_code == 403
    # Another community's staff: no clusters, and these requests are not found.
    login(make_user(Role.COMMUNITY_STAFF, tree.c2))
    assert client.get(CLUSTERS).context["clusters"] == []
    assert client.get(url).status_code == 404
    assert client.post(url, _form(cluster, orgs)).status_code == 404
    assert not Proposal.objects.exists()


def test_a_request_of_another_community_smuggled_into_the_form_is_refused(
    client, login, tree, staff, cluster, orgs, catalogue, make_user
):
    other = file_by(make_user, service=catalogue.repair, grid=tree.g2)
    login(staff)
    # Left out of the choices (not in the staff member's communities): a form error, nothing made.
    response = client.post(_new_url([*cluster, other]), _form([*cluster, other], orgs))
    assert response.status_code == 400
    assert not Proposal.objects.exists()


def test_the_request_page_shows_the_project_and_its_resolution(client, login, staff, cluster, orgs):
    login(staff)
    client.post(_new_url(cluster), _form(cluster, orgs))
    proposal = Proposal.objects.get()
    link = reverse("participation:proposal_detail", args=[proposal.public_id])
    request = cluster[0]
    detail = reverse("services:detail", args=[request.public_id])
    # Staff on the workbench's request page, and the resident on their own.
    assert f'href="{link}"' in client.get(detail).content.decode()
    login(request.requester)
    assert f'href="{link}"' in client.get(detail).content.decode()
    proposal_start(actor=staff, proposal=proposal)
    proposal_done(actor=staff, proposal=proposal, note="已全部更换")
    page = client.get(detail)
    assert page.context["req"].status == RequestStatus.RESOLVED
    assert "已全部更换" in page.content.decode()


def test_query_budgets_do_not_grow_with_the_rows(
    client, login, tree, staff, catalogue, make_user, django_assert_max_num_queries
):
    for _ in range(3):
        cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    login(staff)
    client.get(CLUSTERS)  # warm up (session, roles)
    with django_assert_max_num_queries(12) as few:
        client.get(CLUSTERS)
    for _ in range(4):
        cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1b)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(CLUSTERS)
    assert sum(len(c.requests) for c in page.context["clusters"]) == 21
    requests = page.context["clusters"][0].requests
    with django_assert_max_num_queries(14) as form_queries:
        client.get(_new_url(requests[:3]))
    with django_assert_max_num_queries(len(form_queries.captured_queries)):
        client.get(_new_url(requests))


def test_the_project_page_says_where_it_came_from_and_staff_see_the_requests(
    client, login, tree, staff, cluster, orgs, make_user, django_assert_max_num_queries
):
    login(staff)
    client.post(_new_url(cluster), _form(cluster, orgs))
    proposal = Proposal.objects.get()
    detail = reverse("participation:proposal_detail", args=[proposal.public_id])
    requests_url = reverse("participation:project_requests", args=[proposal.public_id])
    page = client.get(detail).content.decode()
    assert 'id="project-requests"' in page and requests_url in page
    assert "supporters" not in page and "人支持" not in page  # a project gathers no support
    listed = client.get(requests_url)
    assert listed.status_code == 200
    assert {r.pk for r in listed.context["requests"]} == {r.pk for r in cluster}
    with django_assert_max_num_queries(12) as few:
        client.get(requests_url)
    budget = len(few.captured_queries)  # now: the next request clears the connection's query log
    # A resident reads where it came from, without the staff's list.
    login(cluster[0].requester)
    page = client.get(detail).content.decode()
    assert 'id="project-requests"' in page and requests_url not in page
    assert client.get(requests_url).status_code == 403
    login(make_user(Role.COMMUNITY_STAFF, tree.c2))
    assert client.get(requests_url).status_code == 404
    client.logout()
    assert client.get(requests_url).status_code == 302
    # More requests, the same queries.
    more = cluster_of_three(make_user, service=cluster[0].service, grid=tree.g1b)
    login(staff)
    client.post(_new_url(more), _form(more, orgs, title="第二个项目"))
    second = Proposal.objects.exclude(pk=proposal.pk).get()
    from participation.models import ProposalRequest as Link

    Link.objects.bulk_create([Link(proposal=proposal, request=r) for r in more])
    with django_assert_max_num_queries(budget):
        assert len(client.get(requests_url).context["requests"]) == 6
    assert second.request_links.count() == 3


def test_the_proposal_list_shows_no_supporters_count_for_a_project(client, login, staff, cluster, orgs):
    login(staff)
    client.post(_new_url(cluster), _form(cluster, orgs))
    page = client.get(reverse("participation:proposal_list")).content.decode()
    assert "更换楼道灯" in page
    assert "人支持" not in page and "supporters" not in page
