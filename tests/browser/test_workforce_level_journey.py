"""On a 360 px phone: the yearly run proposed a level step for a grid worker; their community's head
sees it waiting on the workforce page, opens the worker, gives a reason and confirms it; the new
level shows and the history keeps the reason."""

from datetime import date

import pytest

from security.models import AuditEvent, Role
from tests.browser.test_phone_journeys import fits_the_screen, sign_in
from workforce.models import Education, LevelChange, Post, WorkerProfile
from workforce.services import level_proposals_run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_confirms_a_proposed_level_step(phone, tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1, first_name="王网格")
    head = make_user(Role.COMMUNITY_STAFF, tree.c1, first_name="张书记")
    profile = WorkerProfile.objects.create(
        user=worker, post=Post.OTHER, level=1, date_joined=date(2015, 3, 1), education=Education.BACHELOR
    )
    WorkerProfile.objects.create(
        user=head, post=Post.HEAD, level=12, date_joined=date(2024, 1, 1), education=Education.MASTER, is_head=True
    )
    [proposal] = level_proposals_run(today=date(2026, 12, 7))
    assert proposal.profile_id == profile.pk and proposal.proposed_level == 5

    sign_in(phone, head.username)
    phone.goto("/workforce/")
    assert fits_the_screen(phone)
    phone.click(f".level-proposals a[href='/workforce/{profile.pk}/']")
    phone.wait_for_load_state()
    assert phone.locator("#worker-level").inner_text().strip() == "1"
    assert fits_the_screen(phone)
    phone.fill("#level-proposal textarea[name=reason]", "任职满三年，本科学历")
    phone.click("#level-proposal button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("#worker-level").inner_text().strip() == "5"
    assert "任职满三年，本科学历" in phone.locator(".level-history").inner_text()
    assert phone.locator("#level-proposal").count() == 0
    assert fits_the_screen(phone)
    change = LevelChange.objects.get(profile=profile)
    assert (change.from_level, change.to_level, change.changed_by) == (1, 5, head)
    assert AuditEvent.objects.filter(action="workforce.level_confirm", actor=head).exists()
