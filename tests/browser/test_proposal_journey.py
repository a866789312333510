"""On a 360 px phone: a resident proposes, two neighbours support it past the community's threshold,
the community's staff answer it and comment officially, and the resident finds the answer in their
notifications."""

from datetime import timedelta

import pytest

from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_deliver
from participation.models import Proposal, ProposalStatus
from participation.proposals import proposal_threshold_set, proposal_updates_sweep
from participation.tests.poll_helpers import verified_resident
from security.models import Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _worker_runs():
    """What the Celery worker does after each commit: tell the followers, deliver the inbox rows."""
    proposal_updates_sweep(older_than=timedelta(0))
    for message in OutboxMessage.objects.filter(channel="in_app", status="pending"):
        outbox_deliver(message_id=message.pk)


def test_a_resident_proposes_neighbours_support_staff_answer_and_the_resident_is_told(phone, tree, orgs, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=2)
    author = verified_resident(tree.g1)
    neighbours = [verified_resident(tree.g1), verified_resident(tree.g1b)]

    sign_in(phone, author.username)
    phone.goto("/proposals/")
    assert fits_the_screen(phone)
    phone.click("a[href='/proposals/new/']")
    phone.wait_for_load_state()
    phone.fill("input[name=title]", "东门增设电动车充电桩")
    phone.fill("textarea[name=body]", "东门附近电动车多，晚上充电不方便，建议增设充电桩。")
    phone.select_option("select[name=category]", "facilities")
    phone.click("form[action='/proposals/new/'] button[type=submit], main form button[type=submit]")
    phone.wait_for_load_state()
    proposal = Proposal.objects.get()
    assert phone.url.endswith(f"/proposals/{proposal.public_id}/")
    assert proposal.support_threshold == 2
    assert fits_the_screen(phone)

    for neighbour in neighbours:
        phone.context.clear_cookies()
        sign_in(phone, neighbour.username)
        phone.goto("/proposals/")
        phone.click(f"a[href='/proposals/{proposal.public_id}/']")
        phone.wait_for_load_state()
        assert fits_the_screen(phone)
        phone.click(f"form[action='/proposals/{proposal.public_id}/support/'] button[type=submit]")
        phone.wait_for_load_state()
        assert fits_the_screen(phone)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.support_count) == (ProposalStatus.THRESHOLD_REACHED, 2)
    _worker_runs()

    phone.context.clear_cookies()
    sign_in(phone, staff.username)
    phone.goto(f"/proposals/{proposal.public_id}/")
    phone.click(f"a[href='/proposals/{proposal.public_id}/manage/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.check("input[name=accepted][value=yes]")
    phone.fill("textarea[name=answer]", "同意增设，已与物业商定位置。")
    phone.fill("textarea[name=plan]", "下月在东门安装4个充电桩。")
    phone.select_option("select[name=organisation]", str(orgs.dept.pk))
    phone.click("input[name=action][value=answer] ~ button[type=submit]")
    phone.wait_for_load_state()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert fits_the_screen(phone)
    # Back on the proposal's page, the staff add an official comment for everyone following it.
    phone.fill("textarea[name=body]", "安装前会在楼道张贴通知。")
    phone.click(f"form[action='/proposals/{proposal.public_id}/comments/'] button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator(".proposal-comment.official").count() == 1
    assert fits_the_screen(phone)
    _worker_runs()

    phone.context.clear_cookies()
    sign_in(phone, author.username)
    phone.goto("/notifications/")
    assert fits_the_screen(phone)
    inbox = phone.locator("main").inner_text()
    assert "东门增设电动车充电桩" in inbox
    told = set(Notification.objects.filter(recipient=author).values_list("kind", flat=True))
    assert {"proposal.threshold_reached", "proposal.answered", "proposal.comment"} <= told
    phone.goto(f"/proposals/{proposal.public_id}/")
    assert "同意增设，已与物业商定位置。" in phone.locator("main").inner_text()
    assert fits_the_screen(phone)
