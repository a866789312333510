"""Staff turning the same requests into projects at the same moment, from separate connections: the
requests' row locks make the check "already part of a running project" see the first one's links, so
exactly one project is made and each request is linked once."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from participation.models import Proposal, ProposalRequest
from participation.projects import proposal_from_requests
from participation.tests.project_helpers import cluster_of_three
from security.models import AuditEvent, Role
from services.models import RequestEvent

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 6


def test_concurrent_projects_from_the_same_requests_make_exactly_one(tree, orgs, catalogue, make_user):
    requests = cluster_of_three(make_user, service=catalogue.repair, grid=tree.g1)
    staff = [make_user(Role.COMMUNITY_STAFF, tree.c1, mfa=False) for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS, timeout=20)
    outcomes: list = [None] * RACERS

    def run(index, actor):
        try:
            with translation.override("en"):
                barrier.wait()
                # Each racer names the requests in another order: the lock order must not depend on it.
                order = requests[index % 3 :] + requests[: index % 3]
                proposal_from_requests(
                    actor=actor,
                    requests=order,
                    as_project=True,
                    title=f"更换楼道灯 {index}",
                    body="统一更换",
                    category="facilities",
                    plan="下周",
                    organisation=orgs.partner,
                )
            outcomes[index] = "made"
        except ValidationError as exc:
            outcomes[index] = (
                "refused" if "already part of a community project" in " ".join(exc.messages) else repr(exc)
            )
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcomes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, user)) for i, user in enumerate(staff)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["made"] + ["refused"] * (RACERS - 1), outcomes
    assert Proposal.objects.count() == 1
    assert ProposalRequest.objects.count() == 3
    assert RequestEvent.objects.filter(kind=RequestEvent.Kind.COMMENT).count() == 3
    assert AuditEvent.objects.filter(action="proposal.from_requests").count() == 1
