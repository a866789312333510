"""Pages around signing in: the admin's sign-in through the portal's own, staff unlocking an account,
the session's keep-alive, and the answer when a sign-in limit is reached."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from security.models import User
from security.roles import SIGN_IN_UNLOCK_ROLES
from security.scoping import has_role
from security.session_idle import seconds_left, session_touch
from security.sign_in_protection import can_unlock, sign_in_throttled_record, sign_in_unlock


def admin_login(request):
    """The Django admin signs in through allauth's sign-in, with its limits (and second factor)."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = ""
    target = target or reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return HttpResponseRedirect(target)
        # Signed in but not admin staff: sending them to sign in again would bring them straight back.
        raise PermissionDenied
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


@require_http_methods(["GET", "POST"])
def session_status(request):
    """GET: how long the session has left without activity (asking is not activity).
    POST: the user chose to continue: count it as activity."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
    if request.method == "POST":
        session_touch(request)
    return JsonResponse({"signed_in": True, "seconds_left": seconds_left(request)})


class UnlockForm(forms.Form):
    login = forms.CharField(label=gettext_lazy("User name or e-mail"), max_length=150)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("E.g. how you confirmed it is the account's owner asking."),
    )


def _may_unlock_anyone(user) -> bool:
    return user.is_superuser or has_role(user, SIGN_IN_UNLOCK_ROLES)


@login_required
def unlock(request):
    """Staff clear an account's failed sign-ins: community staff for their residents, admins for anyone."""
    if not _may_unlock_anyone(request.user):
        raise PermissionDenied
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login = form.cleaned_data["login"].strip()
        user = User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).order_by("pk").first()
        # One message for "no such account" and "not yours to unlock": the page reveals no accounts.
        if user is None or not can_unlock(actor=request.user, user=user):
            form.add_error("login", _("There is no account of that name that you may unlock."))
        else:
            try:
                sign_in_unlock(user=user, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error("reason", error)
            else:
                messages.success(request, _("%(name)s can sign in again.") % {"name": user.get_username()})
                return redirect("security:sign_in_unlock")
    return render(request, "security/sign_in_unlock.html", {"form": form})


def too_many_requests(request, exception=None):
    """allauth's answer to a used-up limit, after recording a refused sign-in in the audit log."""
    from allauth.core.internal.ratelimit import handler429

    match = getattr(request, "resolver_match", None)
    if request.method == "POST" and match is not None and match.url_name == "account_login":
        sign_in_throttled_record(login=request.POST.get("login", "")[:150], limit="address")
    return handler429(request)
