"""The pages where partner operators and department officers make and revoke their
organisation's API keys (one page for both; security.api_keys decides which scopes each kind of
organisation may hold)."""

from dataclasses import dataclass

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from partners.forms import ApiKeyForm
from partners.selectors import api_key_get_for_user, api_keys_for_user, partner_organisations_for_user
from security.api_keys import KEY_MANAGER_ROLES, api_key_create, api_key_revoke
from security.decorators import role_required
from security.models import ApiKey, ApiScope


@dataclass(frozen=True)
class KeyRow:
    key: ApiKey
    scope_names: list[str]
    state: str  # "active", "expired" or "revoked"


def _scope_names(scopes: list[str]) -> list[str]:
    names = dict(ApiScope.choices)
    return [str(names.get(scope, scope)) for scope in scopes]


def _state(key: ApiKey, now) -> str:
    if key.revoked_at is not None:
        return "revoked"
    return "active" if key.is_usable(now) else "expired"


# never_cache: the answer to a successful POST carries the new key itself.
@never_cache
@role_required(KEY_MANAGER_ROLES)
@reauthentication_required(allow_get=True)  # a new key is made by a POST: after a fresh password or code
def api_keys(request):
    organisations = list(partner_organisations_for_user(user=request.user))
    form = ApiKeyForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            key, raw_key = api_key_create(
                actor=request.user,
                organisation=form.organisations[data["organisation"]],
                name=data["name"],
                scopes=data["scopes"],
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc, field_names={"expires_at": "expires_on"})
        else:
            return render(
                request,
                "partners/api_key_created.html",
                {"key": key, "raw_key": raw_key, "scope_names": _scope_names(key.scopes)},
            )
    now = timezone.now()
    rows = [KeyRow(key, _scope_names(key.scopes), _state(key, now)) for key in api_keys_for_user(user=request.user)]
    context = {"form": form, "rows": rows, "show_organisation": len(organisations) > 1}
    return render(request, "partners/api_keys.html", context)


@role_required(KEY_MANAGER_ROLES)
@require_POST
def api_key_revoke_view(request, prefix):
    key = api_key_get_for_user(user=request.user, prefix=prefix)
    api_key_revoke(actor=request.user, key=key)
    messages.success(request, _("The key %(name)s no longer works.") % {"name": key.name})
    return redirect("partners:api_keys")
