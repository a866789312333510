"""Headers every response carries: a Content-Security-Policy with a fresh nonce, a
Permissions-Policy, and `Cache-Control: no-store` on anything that may hold personal data.

The policies themselves are settings (CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY); these
middlewares only apply them. docs/security.md lists the headers and why each is there.
"""

import json
import logging
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.throttle import take_call
from security.request_context import client_address

logger = logging.getLogger(__name__)


def _is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with a nonce in the policy of every HTML page.

    django-csp adds the nonce only when a template asked for it. Always having one keeps the
    policy the same on every page, so a page that starts to need a nonced tag needs no other
    change, and a test can hold every page to one rule."""

    def process_response(self, request, response):
        nonce = getattr(request, "csp_nonce", None)
        if nonce is not None and _is_html(response):
            str(nonce)  # evaluating the lazy nonce makes django-csp put it in the header
        return super().process_response(request, response)


class PermissionsPolicyMiddleware:
    """Turns off the browser features the portal never uses (camera, microphone, payment...), so
    an injected script or a framed page cannot ask for them either."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allowed)})" for feature, allowed in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.header)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response the portal's views make, so neither a shared
    proxy nor the browser's disk keeps a page or an API answer with someone's data in it.

    One rule rather than a list of private pages: a page added tomorrow is covered without anyone
    remembering it. The one way out is a view that itself declares `Cache-Control: public` (with
    django.views.decorators.cache.cache_control), and that holds only for anonymous visitors: what
    a signed-in user sees names them. Static files never reach this middleware (WhiteNoise
    answers them first) and keep their long cache lifetimes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if self._declared_public(response) and not self._signed_in(request):
            patch_vary_headers(response, ("Cookie",))
            return response
        response["Cache-Control"] = "no-store"
        return response

    @staticmethod
    def _declared_public(response) -> bool:
        directives = (part.strip().lower() for part in response.get("Cache-Control", "").split(","))
        return "public" in directives

    @staticmethod
    def _signed_in(request) -> bool:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)


# Browsers send reports on their own, without cookies or CSRF token; a page with a broken policy
# sends one per violation, and anyone can post here. Enough to see a problem, too few to flood the log.
CSP_REPORTS_PER_ADDRESS_PER_MINUTE = 30
CSP_REPORT_MAX_BYTES = 8 * 1024


def _without_query(url) -> str:
    """A reported address without its query: a search there may carry someone's name or number."""
    if not isinstance(url, str):
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else url.split("?")[0][:100]


@csrf_exempt
@require_POST
def csp_report(request):
    """Where browsers report what the Content-Security-Policy blocked (the policy's report-uri).
    Each report becomes one warning in the log, never an error page."""
    address = client_address.get() or "unknown"
    allowed, _seconds_left = take_call(
        f"csp-report:{address}", limit=CSP_REPORTS_PER_ADDRESS_PER_MINUTE, window_seconds=60
    )
    if not allowed:
        return HttpResponse(status=429)
    try:
        report = json.loads(request.body[:CSP_REPORT_MAX_BYTES])["csp-report"]
        fields = {name: report.get(name) for name in ("effective-directive", "violated-directive", "line-number")}
        fields |= {name: _without_query(report.get(name)) for name in ("document-uri", "blocked-uri", "source-file")}
    except (ValueError, RecursionError, TypeError, KeyError, AttributeError):
        logger.warning("CSP report from %s could not be read (%d bytes)", address, len(request.body))
        return HttpResponse(status=400)
    # %r: the values are the browser's (or anyone's) text; repr keeps each report on one log line.
    logger.warning("CSP violation reported from %s: %r", address, fields)
    return HttpResponse(status=204)
