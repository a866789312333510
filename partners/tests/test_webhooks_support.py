"""Fixtures and helpers of the webhook tests (no tests here): a partner's endpoint on loopback,
stand-in DNS, and webhooks registered through the real service.

Nothing leaves the machine: the endpoint listens on 127.0.0.1, and host names resolve through
`fake_dns` instead of real DNS.
"""

import dataclasses
import ipaddress
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import TestCase
from django.utils import timezone

from core import outbound_http
from partners import webhooks
from partners.models import WebhookDelivery
from partners.webhooks import webhook_register

# A public address (example.com's) that fake DNS hands out; nothing is ever sent to it.
PUBLIC_ADDRESS = "93.184.215.14"

# The fixtures, for `from partners.tests.test_webhooks_support import *` in the test modules.
__all__ = ["allow_private", "endpoint", "fake_dns", "hook", "queued", "register"]
PARTNER_HOST = "hooks.partner-a.example"


@dataclass
class Received:
    path: str
    headers: object  # http.client.HTTPMessage: case-insensitive .get()
    body: bytes


class _EndpointHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(Received(path=self.path, headers=self.headers, body=body))
        status, delay, extra_headers = self.server.next_answer()
        time.sleep(delay)
        try:
            self.send_response(status)
            for name, value in extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(f"answer {status}".encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the portal gave up waiting: what a timeout test wants

    def log_message(self, *args):
        pass


@dataclass
class Endpoint:
    """A partner's endpoint on 127.0.0.1 answering with the (status, delay[, headers]) queued in
    `answers`, then 200; every request it got is in `received`."""

    server: ThreadingHTTPServer
    scheme: str
    answers: list = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_port

    @property
    def received(self) -> list[Received]:
        return self.server.received

    def url(self, host: str = "127.0.0.1", path: str = "/shunqing/events") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


def start_endpoint(tls: ssl.SSLContext | None = None) -> Endpoint:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EndpointHandler)
    server.daemon_threads = True
    endpoint = Endpoint(server=server, scheme="https" if tls else "http")
    server.received = []

    def next_answer():
        status, delay, *headers = endpoint.answers.pop(0) if endpoint.answers else (200, 0)
        return status, delay, (headers[0] if headers else {})

    server.next_answer = next_answer
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return endpoint


def stop_endpoint(endpoint: Endpoint) -> None:
    endpoint.server.shutdown()
    endpoint.server.server_close()


@pytest.fixture
def endpoint():
    running = start_endpoint()
    yield running
    stop_endpoint(running)


def self_signed_certificate(tmp_path, host: str) -> tuple[str, str]:
    """A certificate for `host` and its key, as PEM files; returns their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{host}.crt", tmp_path / f"{host}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def fake_dns(monkeypatch):
    """Host name → addresses, instead of real DNS; IP literals resolve to themselves."""
    table: dict[str, list[str]] = {}

    def resolve(host, port):
        if host in table:
            return list(table[host])
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            raise OSError(f"[Errno -2] Name or service not known: {host}") from None

    monkeypatch.setattr(outbound_http, "resolve", resolve)
    return table


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def queued(monkeypatch):
    """Stands in for the delivery task: records (delivery_id, countdown) instead of using the broker."""
    calls: list[tuple[int, int | None]] = []

    class Recorder:
        @staticmethod
        def delay(delivery_id):
            calls.append((delivery_id, None))

        @staticmethod
        def apply_async(args, countdown=None):
            calls.append((args[0], countdown))

    monkeypatch.setattr(webhooks, "deliveries", dataclasses.replace(webhooks.deliveries, deliver_task=Recorder))
    return calls


@pytest.fixture
def register(people, orgs):
    """register(url, organisation=orgs.partner, actor=people.partner) → (Webhook, secret)."""

    def make(url, organisation=None, actor=None, description=""):
        return webhook_register(
            actor=actor or people.partner, organisation=organisation or orgs.partner, url=url, description=description
        )

    return make


@pytest.fixture
def hook(register, endpoint, allow_private):
    """orgs.partner's webhook pointing at the loopback endpoint: (Webhook, secret)."""
    return register(endpoint.url())


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """webhook_deliver as a worker runs it, outside any transaction: what it queues on commit (a
    retry's task) is queued at once."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return webhooks.webhook_deliver(delivery_id=delivery_id)


def make_due(delivery: WebhookDelivery) -> None:
    """Let the time until the delivery's next attempt pass."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
