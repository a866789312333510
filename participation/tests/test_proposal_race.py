"""Supports racing each other from many connections: the proposal row lock keeps the count in step
with the support rows and lets exactly one of them reach the threshold (one event, one notice each);
those after it still count, as supporting goes on until the community answers.

40 threads rather than the 200 of a busy proposal: each holds a database connection, and the test
server allows 100 to everyone running tests on it. The lock serialises them all the same."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from notifications.models import OutboxMessage
from participation.models import ProposalStatus, ProposalSupport
from participation.proposals import (
    proposal_create,
    proposal_support,
    proposal_threshold_set,
    proposal_updates_sweep,
)
from participation.tests.poll_helpers import verified_resident
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 40
THRESHOLD = 25


def test_concurrent_supports_count_exactly_and_reach_the_threshold_once(tree, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=THRESHOLD)
    author = verified_resident(tree.g1)
    proposal = proposal_create(actor=author, title="修缮健身器材", body="器材老化", category="facilities")
    supporters = [verified_resident(tree.g1 if i % 2 else tree.g1b) for i in range(RACERS)]
    barrier = threading.Barrier(RACERS, timeout=20)
    outcomes: list = [None] * RACERS

    def run(index, user):
        try:
            with translation.override("en"):
                barrier.wait()
                proposal_support(actor=user, proposal=proposal)
            outcomes[index] = "supported"
        except ValidationError as exc:
            outcomes[index] = exc.messages[0]
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, user)) for i, user in enumerate(supporters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes == ["supported"] * RACERS
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.THRESHOLD_REACHED
    assert proposal.support_count == RACERS == ProposalSupport.objects.filter(proposal=proposal).count()
    assert AuditEvent.objects.filter(action="proposal.threshold_reached").count() == 1
    # One notice per person told (the author and each supporter), not one per racing support.
    proposal_updates_sweep(older_than=timedelta(0))  # what the task started on commit does
    reached = OutboxMessage.objects.filter(kind="proposal.threshold_reached")
    recipients = list(reached.values_list("recipient_id", flat=True))
    assert author.pk in recipients
    assert len(recipients) == len(set(recipients)) == RACERS + 1
