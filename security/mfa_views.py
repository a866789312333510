"""An administrator's page for resetting a staff member's second factor (a lost phone)."""

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from security.decorators import role_required
from security.mfa import RESET_REASON_MAX_LENGTH, mfa_reset
from security.models import Role, User


class MfaResetForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=RESET_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("E.g. lost phone, confirmed in person on 3 December. It is kept in the audit log."),
    )


@role_required({Role.ADMIN})
@reauthentication_required
def mfa_reset_view(request):
    form = MfaResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = User.objects.filter(username__iexact=form.cleaned_data["username"].strip()).first()
        if user is None:
            form.add_error("username", _("There is no user of that name."))
        else:
            try:
                mfa_reset(user=user, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s's second factor is reset: they set it up again at their next sign-in.")
                    % {"name": user.get_username()},
                )
                return redirect("security:mfa_reset")
    return render(request, "security/mfa_reset.html", {"form": form})
