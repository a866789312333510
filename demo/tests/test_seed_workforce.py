"""The demo's community workers: demo_grid's and demo_community's profiles, and a level step the yearly
run proposes, which demo_community's subdistrict and demo_civil see waiting; a second run adds nothing."""

import pytest
from django.core.management import call_command

from security.models import AuditEvent
from workforce.models import LevelProposal, Post, WorkerProfile

pytestmark = pytest.mark.django_db


def _state():
    return (
        sorted(WorkerProfile.objects.values_list("user__username", "post", "level", "is_head")),
        sorted(LevelProposal.objects.values_list("profile__user__username", "proposed_level", "status")),
        AuditEvent.objects.filter(action__startswith="workforce.").count(),
    )


def test_the_demo_workers_have_profiles_and_a_level_step_waits():
    call_command("seed_demo", force=True, history=0, verbosity=0)
    profiles, proposals, audited = _state()
    assert profiles == [("demo_community", Post.HEAD, 10, True), ("demo_grid", Post.OTHER, 2, False)]
    waiting = {username: level for username, level, status in proposals if status == LevelProposal.Status.PENDING}
    assert waiting["demo_grid"] > 2
    call_command("seed_demo", force=True, history=0, verbosity=0)
    assert _state() == (profiles, proposals, audited)
