"""On a 360 px phone: the community's staff find three similar requests as a cluster, turn it into a
community project in one step, mark it done, and each resident who made one of the requests sees it
resolved, with the project named and linked."""

import pytest

from participation.models import Proposal, ProposalStatus
from participation.tests.project_helpers import cluster_of_three
from security.models import Role
from services.models import RequestStatus
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_turn_three_requests_into_a_project_and_residents_see_them_resolved(
    phone, tree, orgs, catalogue, make_user
):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)

    sign_in(phone, staff.username)
    phone.goto("/")
    phone.click("a[href='/projects/clusters/']")  # in the staff navigation
    phone.wait_for_load_state()
    assert phone.locator(".cluster").count() == 1
    assert fits_the_screen(phone)
    phone.click(".cluster a.button")
    phone.wait_for_load_state()
    assert phone.locator("input[name=requests]:checked").count() == 3  # the cluster, preselected
    assert fits_the_screen(phone)
    phone.fill("input[name=title]", "更换一号楼楼道灯")
    phone.fill("textarea[name=body]", "统一更换一号楼各层楼道灯")
    phone.select_option("select[name=category]", "facilities")
    phone.fill("textarea[name=plan]", "本周内由物业更换")
    phone.select_option("select[name=organisation]", str(orgs.partner.pk))
    phone.click(".project-form button[type=submit]")
    phone.wait_for_load_state()
    proposal = Proposal.objects.get()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert phone.url.endswith(f"/proposals/{proposal.public_id}/")
    assert fits_the_screen(phone)

    phone.goto(f"/proposals/{proposal.public_id}/manage/")
    phone.click("form:has(input[name=action][value=start]) button[type=submit]")
    phone.wait_for_load_state()
    phone.goto(f"/proposals/{proposal.public_id}/manage/")
    phone.fill("form:has(input[name=action][value=done]) textarea[name=note]", "楼道灯已全部更换")
    phone.click("form:has(input[name=action][value=done]) button[type=submit]")
    phone.wait_for_load_state()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DONE

    for request in requests:
        phone.context.clear_cookies()
        sign_in(phone, request.requester.username)
        phone.goto(f"/requests/{request.public_id}/")
        assert phone.locator(".status-resolved").count() == 1  # the page shows it resolved
        request.refresh_from_db()
        assert request.status == RequestStatus.RESOLVED
        assert "楼道灯已全部更换" in phone.locator(".timeline").inner_text()
        assert phone.locator(f".project-link a[href='/proposals/{proposal.public_id}/']").count() >= 1
        assert fits_the_screen(phone)
