"""Where the portal may POST to (a partner's webhook, an exchange consumer's endpoint), and the one
POST that delivers there.

A partner or a department chooses the address, so it must not make the portal call into its own network (the
database, Redis, a metadata service, an intranet page): that would be server-side request forgery.
So an address must be https://, and every address its host resolves to must be a public one. The
check runs at registration and again before each delivery (the partner's DNS may change its answer
after registration: DNS rebinding), and the delivery then connects to the very address that was
checked instead of resolving the name a second time. Redirects are never followed, and proxies from
the environment are not used.

`WEBHOOK_ALLOW_PRIVATE_TARGETS` lifts the address rule and allows http:// — for tests and closed
networks only.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

USER_AGENT = "Shunqing-Webhooks/1"
# What is kept of an endpoint's answer for the delivery log.
ANSWER_EXCERPT = 300


class UnreachableTarget(Exception):
    """The host name does not resolve now (perhaps only for a while)."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    address: str  # the checked IP address the delivery connects to


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (a separate function so tests can stand in for DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    # An IPv6 address may carry an IPv4 one (::ffff:127.0.0.1, 2002:7f00:1::): judge that one too.
    embedded = [ip]
    if ip.version == 6:
        embedded += [inner for inner in (ip.ipv4_mapped, ip.sixtofour) if inner is not None]
    return all(
        candidate.is_global
        and not (
            candidate.is_loopback
            or candidate.is_private
            or candidate.is_link_local
            or candidate.is_multicast
            or candidate.is_reserved
            or candidate.is_unspecified
        )
        for candidate in embedded
    )


def target_check(url: str) -> Target:
    """The address a delivery to `url` may connect to.

    Raises ValidationError (with a message for the partner) when the URL is not acceptable, and
    UnreachableTarget when its host does not resolve.
    """
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_TARGETS
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(_("That is not a valid web address.")) from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise ValidationError(_("A webhook address must start with https://."))
    if not parts.hostname:
        raise ValidationError(_("Give the full address, e.g. https://erp.example.cn/shunqing/events."))
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            _("The address must not contain a user name or password; the signature authenticates each delivery.")
        )
    if parts.fragment:
        raise ValidationError(_("The address must not contain a # fragment."))
    host = parts.hostname
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnreachableTarget(f"the host {host} cannot be resolved: {exc}") from None
    if not addresses:
        raise UnreachableTarget(f"the host {host} has no address")
    if not allow_private:
        for address in addresses:
            if not _is_public(address):
                raise ValidationError(
                    _(
                        "%(host)s resolves to %(address)s, an address in a private, local or reserved network. "
                        "Webhooks are delivered only to public internet addresses."
                    )
                    % {"host": host, "address": address}
                )
    return Target(url=url, scheme=parts.scheme, host=host, port=port, address=addresses[0])


# --- the POST ----------------------------------------------------------------------------------
def tls_context() -> ssl.SSLContext:
    """Certificates are verified against the system's CAs and the URL's host name."""
    return ssl.create_default_context()


def _pin(connection: http.client.HTTPConnection, address: str) -> None:
    # http.client opens its socket through this hook; pointing it at the checked address keeps the
    # host name for the Host header, SNI and certificate check, without a second DNS lookup.
    def create_connection(_host_port, timeout, source_address):
        return socket.create_connection((address, connection.port), timeout, source_address)

    connection._create_connection = create_connection


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, *, address: str, **kwargs):
        super().__init__(host, **kwargs)
        _pin(self, address)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, *, address: str, **kwargs):
        super().__init__(host, **kwargs)
        _pin(self, address)


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, address: str):
        super().__init__()
        self._address = address

    def http_open(self, req):
        return self.do_open(_PinnedHTTPConnection, req, address=self._address)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, address: str):
        super().__init__()
        self._address = address
        self._tls = tls_context()

    def https_open(self, req):
        return self.do_open(_PinnedHTTPSConnection, req, address=self._address, context=self._tls)


def post(*, target: Target, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to the checked `target` and return the status and the start of the answer.

    A bare OpenerDirector: no redirect handler (a 3xx comes back as an answer), no proxy handler,
    and no error processor (a 4xx or 5xx is an answer too). Raises OSError (including timeouts and
    TLS errors) or http.client.HTTPException when no answer came.
    """
    opener = urllib.request.OpenerDirector()
    opener.addheaders = [("User-Agent", USER_AGENT)]
    opener.add_handler(
        _PinnedHTTPSHandler(target.address) if target.scheme == "https" else _PinnedHTTPHandler(target.address)
    )
    # The scheme is http(s) only: target_check refused anything else, and only those handlers exist.
    request = urllib.request.Request(target.url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.URLError as exc:
        # urllib wraps the socket's error; the delivery log reads better with the error itself.
        if isinstance(exc.reason, OSError):
            raise exc.reason from None
        raise
    if response is None:  # no handler for the scheme; target_check only lets http(s) through
        raise http.client.HTTPException(f"cannot deliver to a {target.scheme}:// address")
    with response:
        excerpt = response.read(ANSWER_EXCERPT).decode("utf-8", "replace")
        return Answer(status=response.status, excerpt=" ".join(excerpt.split()))


def fetch(*, target: Target, url: str, timeout: float, limit: int = 10_000_000) -> bytes:
    """GET `url` (on the checked `target`'s host) and return the body of a 2xx answer.

    The same bare opener as `post`. Raises OSError or http.client.HTTPException when no usable
    answer came (including a status outside 2xx)."""
    opener = urllib.request.OpenerDirector()
    opener.addheaders = [("User-Agent", USER_AGENT)]
    opener.add_handler(
        _PinnedHTTPSHandler(target.address) if target.scheme == "https" else _PinnedHTTPHandler(target.address)
    )
    request = urllib.request.Request(url, method="GET")  # noqa: S310 - http(s) only, as for post
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, OSError):
            raise exc.reason from None
        raise
    if response is None:
        raise http.client.HTTPException(f"cannot fetch from a {target.scheme}:// address")
    with response:
        if not 200 <= response.status < 300:
            raise http.client.HTTPException(f"the server answered {response.status}")
        return response.read(limit)
