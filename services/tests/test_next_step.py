"""The "What next" panel of a request's page says, in plain words, what happens next and by when
(issue 20: it was an empty box on an open request)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from services import services as steps

pytestmark = pytest.mark.django_db


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def next_step(client, request) -> str:
    page = client.get(f"/requests/{request.public_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    found = re.search(r'<p class="next-step">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def test_resident_reads_who_accepts_it_and_by_when(client, login, people, file_request):
    request = file_request()
    login(people.resident)
    text = next_step(client, request)
    assert "Waiting for the community to accept it" in text
    assert _local(request.accept_due_at) in text


def test_staff_read_what_the_request_waits_for_from_them(client, login, people, file_request):
    request = file_request()
    login(people.worker)
    assert f"Accept it (or reject it, saying why) by {_local(request.accept_due_at)}" in next_step(client, request)


def test_resident_reads_who_handles_it_and_its_due_date(client, login, people, file_request, orgs):
    request = file_request()
    steps.request_accept(request=request, actor=people.worker)
    steps.request_start(request=request, actor=people.partner)
    request.refresh_from_db()
    login(people.resident)
    text = next_step(client, request)
    assert orgs.partner.name in text
    assert _local(request.resolve_due_at) in text


def test_resolved_request_says_rate_it_or_reopen_it_by_when(client, login, people, file_request):
    request = file_request()
    steps.request_accept(request=request, actor=people.worker)
    steps.request_start(request=request, actor=people.worker)
    steps.request_resolve(request=request, actor=people.worker, note="修好了")
    request.refresh_from_db()
    login(people.resident)
    text = next_step(client, request)
    assert "rate" in text and "reopen" in text
    assert _local(request.resolved_at + timedelta(days=7)) in text


def test_nothing_left_to_do_shows_no_empty_panel(client, login, people, file_request):
    request = file_request()
    steps.request_reject(request=request, actor=people.worker, reason="不属于本社区")
    login(people.resident)
    page = client.get(f"/requests/{request.public_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "actions-panel" not in page
