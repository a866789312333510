"""A resident votes in a poll on a 360 px phone, once: a second try, from a page opened before the
first vote, is refused and nothing more is recorded."""

import pytest

from participation.models import Ballot, PollVoter
from participation.tests.poll_helpers import make_poll, open_poll, verified_resident
from security.models import Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _fill_ballot(page, poll):
    single, multiple, text = poll.questions.order_by("position")
    page.check(f"input[name=q{single.pk}][value='{single.options.get(position=1).pk}']")
    page.check(f"input[name=q{multiple.pk}][value='{multiple.options.get(position=2).pk}']")
    page.fill(f"textarea[name=q{text.pk}]", "希望多装路灯")


def test_resident_votes_once_and_cannot_vote_again(phone, tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    poll = open_poll(make_poll(actor=staff, area=tree.c1))
    resident = verified_resident(tree.g1, username="voter-phone")

    sign_in(phone, resident.username)
    phone.goto("/")
    phone.click("nav a[href='/polls/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.click(f"a[href='/polls/{poll.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)

    # The same poll open in a second tab, as if the resident had it open twice.
    second = phone.context.new_page()
    second.goto(f"/polls/{poll.public_id}/")

    _fill_ballot(phone, poll)
    phone.click("#ballot button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("#voted").is_visible()
    assert phone.locator("#ballot").count() == 0
    assert fits_the_screen(phone)
    assert Ballot.objects.filter(poll=poll).count() == 1

    _fill_ballot(second, poll)
    second.click("#ballot button[type=submit]")
    second.wait_for_load_state()
    assert second.locator(".messages li.error").count() == 1
    assert second.locator("#voted").is_visible()
    assert Ballot.objects.filter(poll=poll).count() == 1
    assert PollVoter.objects.filter(poll=poll, user=resident).count() == 1
