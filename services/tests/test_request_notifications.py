"""Notifications about a request name the problem and say its new state in a sentence (issue 20:
they read "Your request SQ…: In progress" with the body "In progress", so an elderly reader could not
tell which problem they were about). The words are in the portal's language, so these tests look for
what names the problem (the service, the description's first words, the dates, the number)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import OutboxMessage
from services import services as steps

pytestmark = pytest.mark.django_db


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _status_message(request, user):
    return OutboxMessage.objects.filter(recipient=user, kind="request.status").order_by("-id").first()


def test_a_status_notification_names_the_problem_and_the_new_state(people, file_request, catalogue):
    request = file_request(description="三单元的电梯停在五楼不动了，老人下不了楼")
    steps.request_accept(request=request, actor=people.worker)
    steps.request_start(request=request, actor=people.partner)
    request.refresh_from_db()
    message = _status_message(request, people.resident)
    for text in (message.title, message.body):
        assert text != "In progress" and text != "处理中"
    assert catalogue.repair.name_zh in message.title
    assert "三单元的电梯停在五楼" in message.title
    assert request.public_id in message.body
    assert _local(request.resolve_due_at) in message.body  # the new state: by when it is to be done
    assert len(message.body.split("\n")[0]) > 15  # a sentence, not one word


def test_a_resolved_notification_says_what_to_do_and_by_when(people, file_request):
    request = file_request()
    steps.request_accept(request=request, actor=people.worker)
    steps.request_start(request=request, actor=people.worker)
    steps.request_resolve(request=request, actor=people.worker, note="已更换电梯控制板")
    request.refresh_from_db()
    message = _status_message(request, people.resident)
    assert "电梯坏了" in message.title
    assert _local(request.resolved_at + timedelta(days=7)) in message.body  # reopen by then
    assert "已更换电梯控制板" in message.body  # what the staff wrote


def test_the_filing_notice_names_the_problem(people, file_request):
    request = file_request(description="楼道灯不亮了")
    message = OutboxMessage.objects.filter(recipient=people.resident, kind="request.filed").first()
    assert "楼道灯不亮了" in message.title
    assert request.public_id in message.body


def test_notifications_already_in_the_outbox_keep_their_text(people, file_request):
    request = file_request()
    steps.request_accept(request=request, actor=people.worker)
    before = {m.pk: (m.title, m.body) for m in OutboxMessage.objects.all()}
    steps.request_start(request=request, actor=people.worker)
    assert {m.pk: (m.title, m.body) for m in OutboxMessage.objects.filter(pk__in=before)} == before
