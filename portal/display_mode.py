"""长辈模式 (elderly mode): larger type, bigger touch targets and one column, chosen with a switch on every page.

The choice is remembered on the device in a long-lived cookie and, for a signed-in person, on their account
(security.DisplayPreference), so it follows them to their other devices; when signed in, the account's choice
wins. The account's choice is copied into the session when they sign in, so pages read it without a query.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from security.models import DisplayPreference

COOKIE_NAME = "display_mode"
COOKIE_MAX_AGE = 2 * 365 * 24 * 3600  # two years: an elderly reader should not have to choose again
SESSION_KEY = "display_elderly"
ELDERLY = "elderly"
STANDARD = "standard"
MODES = {ELDERLY: True, STANDARD: False}


@transaction.atomic
def display_preference_set(*, user, elderly: bool) -> DisplayPreference:
    """Store the account's choice, so it applies on every device the person signs in on."""
    preference, _created = DisplayPreference.objects.update_or_create(user=user, defaults={"elderly": elderly})
    return preference


def is_elderly(request) -> bool:
    """Whether this request's pages are shown in elderly mode: the account's choice, else the device's."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        account_choice = request.session.get(SESSION_KEY)
        if account_choice is not None:
            return bool(account_choice)
    return request.COOKIES.get(COOKIE_NAME) == ELDERLY


def display_mode(request):
    """Context processor: `elderly_mode` for <html class="elderly"> and the switch in the header."""
    return {"elderly_mode": is_elderly(request)}


@receiver(user_logged_in, dispatch_uid="portal.display_mode.on_sign_in")
def _remember_account_choice(sender, request, user, **kwargs):
    # Read once per sign-in, not on every page: the account's choice then wins over this device's cookie.
    if request is None:
        return
    elderly = DisplayPreference.objects.filter(user=user).values_list("elderly", flat=True).first()
    if elderly is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = elderly


@require_POST
def switch(request):
    """The 长辈模式 / 标准模式 switch: a plain form post, so it works without JavaScript."""
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    mode = request.POST.get("mode", "")
    if mode not in MODES:
        messages.error(request, _("Choose elderly mode or standard mode."))
        return redirect(next_url)
    elderly = MODES[mode]
    if request.user.is_authenticated:
        display_preference_set(user=request.user, elderly=elderly)
        request.session[SESSION_KEY] = elderly
    response = redirect(next_url)
    response.set_cookie(
        COOKIE_NAME,
        mode,
        max_age=COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
