"""Sessions end after a time without activity: 30 minutes for staff, 14 days for residents.

The last activity is kept in the session (a Unix time, written at most once a minute so a busy
page costs no extra write per request). The limit is the user's: anyone holding a role other than
resident, or Django's is_staff, is staff. A request after the limit finds the session flushed and
goes to the sign-in page, back to where it was; the page script (security/session_timeout.js)
warns before that and keeps what the page's forms hold.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from security.audit import audit_record
from security.scoping import is_staff_member

LAST_ACTIVITY_KEY = "security.last_activity"
# Seconds between two writes of the last activity.
TOUCH_EVERY_SECONDS = 60


def idle_limit_seconds(user) -> int:
    return settings.SESSION_IDLE_STAFF_SECONDS if is_staff_member(user) else settings.SESSION_IDLE_RESIDENT_SECONDS


def session_touch(request, *, now: float | None = None) -> None:
    request.session[LAST_ACTIVITY_KEY] = int(now if now is not None else time.time())


def start_on_sign_in(sender, request, user, **kwargs):
    """Idle time counts from signing in; the sign-in saves the session anyway, so this costs no write."""
    if request is not None and hasattr(request, "session"):
        session_touch(request)


def seconds_left(request) -> int:
    last = request.session.get(LAST_ACTIVITY_KEY)
    limit = idle_limit_seconds(request.user)
    if last is None:
        return limit
    return max(0, int(last + limit - time.time()))


def _quiet_paths() -> tuple[str, ...]:
    """Requests that are not the user's activity: asking how long is left, and the command-centre
    screen reloading itself on a wall (wall displays use a display link, not a staff session)."""
    return (reverse("security:session_status"), reverse("dashboards:screen"))


def _return_to(request) -> str:
    """Where to come back after signing in again: the page itself, or for a form sent after the
    session ended, the page that held the form (its script restores what was typed)."""
    if request.method == "GET":
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.path


class SessionIdleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            staff = is_staff_member(user)
            limit = settings.SESSION_IDLE_STAFF_SECONDS if staff else settings.SESSION_IDLE_RESIDENT_SECONDS
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - last > limit:
                return self._end(request, user, idle=now - last, limit=limit)
            if request.path not in _quiet_paths() and (last is None or now - last >= TOUCH_EVERY_SECONDS):
                session_touch(request, now=now)
            # Read by the base template: staff pages carry the warning before the session ends.
            request.session_idle_seconds = limit if staff else None
            request.session_warning_seconds = settings.SESSION_IDLE_WARNING_SECONDS
        return self.get_response(request)

    def _end(self, request, user, *, idle: float, limit: int):
        audit_record(
            actor=user,
            action="auth.session_expired",
            target=user,
            details={"idle_minutes": int(idle // 60), "limit_minutes": limit // 60},
        )
        # Not logout(): that would also record a sign-out the user never made.
        request.session.flush()
        request.user = AnonymousUser()
        if request.path == reverse("security:session_status") or "application/json" in request.headers.get(
            "Accept", ""
        ):
            return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
        login_url = reverse(settings.LOGIN_URL)
        return HttpResponseRedirect(f"{login_url}?{urlencode({'next': _return_to(request)})}")
