"""Fixtures for the notifications tests: an event recorded the way other apps record one, and a
stand-in SMS gateway on loopback (the only thing that would otherwise leave the machine)."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone

from notifications.models import OutboxMessage
from notifications.services import notification_preference_update, notify

PHONE = "13812345678"


def record_event(user, *, key="request:1:status:1", **overrides):
    """notify() inside a transaction, as a service of another app calls it."""
    arguments = {
        "kind": "request.status",
        "title": "Your request was resolved",
        "body": "The street light outside building 3 works again.",
        "link": "/requests/1/",
    } | overrides
    with transaction.atomic():
        return notify(recipient=user, key=key, **arguments)


def message_on(messages, channel) -> OutboxMessage:
    return next(message for message in messages if message.channel == channel)


def make_due(message: OutboxMessage) -> None:
    """Let the time until the message's next attempt pass."""
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def recipient(make_user):
    return make_user(username="resident-li", email="li@example.test")


@pytest.fixture
def sms_recipient(recipient):
    notification_preference_update(user=recipient, email=True, sms=True, sms_phone=PHONE)
    return recipient


class _GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append({"headers": dict(self.headers), "body": body})
        status, delay = self.server.answers.pop(0) if self.server.answers else (200, 0)
        time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting: that is what a timeout test wants

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_gateway(settings):
    """A gateway on 127.0.0.1 that answers with the (status, delay) pairs queued in `answers`,
    then 200, and records every request in `received`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GatewayHandler)
    server.answers = []
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "notifications.channels.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_TOKEN = "gateway-token"
    settings.SMS_GATEWAY_TIMEOUT = 0.5
    yield server
    server.shutdown()
    server.server_close()
