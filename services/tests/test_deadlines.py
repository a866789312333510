from datetime import timedelta

import pytest
from django.utils import timezone

from services import services as steps
from services.models import RequestEvent, RequestStatus, ServiceRequest
from services.request_notifications import escalation_recipients
from services.tasks import requests_close_after_window_task, requests_escalate_overdue_task

pytestmark = pytest.mark.django_db


def make_late(request, hours):
    ServiceRequest.objects.filter(pk=request.pk).update(accept_due_at=timezone.now() - timedelta(hours=hours))


def test_an_overdue_request_escalates_once_per_step(file_request, people):
    request = file_request()
    make_late(request, 1)
    assert requests_escalate_overdue_task() == 1
    assert requests_escalate_overdue_task() == 0  # running it twice escalates once
    request.refresh_from_db()
    assert (request.escalation_level, request.is_overdue) == (1, True)
    event = request.events.get(kind=RequestEvent.Kind.ESCALATION)
    assert (event.is_public, event.data) == (False, {"level": 1})


def test_a_long_overdue_request_climbs_level_by_level_to_the_top(file_request):
    request = file_request()
    make_late(request, 24 * 10)
    for expected in (1, 2, 3):
        assert steps.request_escalate(request=request)
        assert ServiceRequest.objects.get(pk=request.pk).escalation_level == expected
    assert not steps.request_escalate(request=request)
    assert requests_escalate_overdue_task() == 0


def test_requests_on_time_or_finished_do_not_escalate(file_request, people):
    on_time = file_request()
    done = file_request()
    steps.request_reject(request=done, actor=people.worker, reason="重复")
    make_late(done, 48)
    assert requests_escalate_overdue_task() == 0
    assert ServiceRequest.objects.get(pk=on_time.pk).escalation_level == 0


def test_escalation_reaches_one_level_up_each_time(file_request, people):
    request = file_request()
    assert escalation_recipients(request, 1) == [people.community]
    assert escalation_recipients(request, 2) == [people.subdistrict]
    # Level 3 goes to the organisation handling it (the S1 partner here).
    assert escalation_recipients(request, 3) == [people.partner]


def test_accepting_late_clears_overdue(file_request, people):
    request = file_request()
    make_late(request, 2)
    requests_escalate_overdue_task()
    steps.request_accept(request=request, actor=people.worker)
    assert ServiceRequest.objects.get(pk=request.pk).is_overdue is False


def test_resolved_requests_close_after_the_window(file_request, people):
    from services.tests.test_lifecycle import walk_to_resolved

    old = walk_to_resolved(file_request(), people.worker)
    fresh = walk_to_resolved(file_request(), people.worker)
    ServiceRequest.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=8))
    assert requests_close_after_window_task() == 1
    assert ServiceRequest.objects.get(pk=old.pk).status == RequestStatus.CLOSED
    assert ServiceRequest.objects.get(pk=fresh.pk).status == RequestStatus.RESOLVED
    assert requests_close_after_window_task() == 0
