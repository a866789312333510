"""Creating, revoking and checking the API keys of partners' and departments' systems."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Organisation
from security.audit import audit_record
from security.models import ApiKey, ApiScope, Role, User
from security.scoping import organisation_ids

KEY_PREFIX = "sq_"
MAX_LIFETIME = timedelta(days=366)
# Writing last_used_at on every call would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


# Who makes an organisation's keys, and which scopes each kind of organisation may hold: partners
# work the partner API, government departments exchange data under agreements.
KEY_MANAGER_ROLES = frozenset({Role.PARTNER_OPERATOR, Role.DEPARTMENT_OFFICER})
SCOPES_BY_ORGANISATION_KIND = {
    Organisation.Kind.PARTNER: [
        ApiScope.SUBMIT_REQUESTS,
        ApiScope.READ_WORK_ORDERS,
        ApiScope.UPDATE_WORK_ORDERS,
        ApiScope.MANAGE_WEBHOOKS,
    ],
    Organisation.Kind.DEPARTMENT: [ApiScope.FETCH_EXCHANGES, ApiScope.PUSH_IMPORTS],
}


def allowed_scopes(organisation: Organisation) -> list[str]:
    return [str(scope) for scope in SCOPES_BY_ORGANISATION_KIND.get(organisation.kind, [])]


def _may_manage(actor: User, organisation: Organisation) -> bool:
    return organisation.pk in organisation_ids(actor, KEY_MANAGER_ROLES)


@transaction.atomic
def api_key_create(
    *, actor: User, organisation: Organisation, name: str, scopes: list[str], expires_at: datetime
) -> tuple[ApiKey, str]:
    """Make a key for `organisation`; returns the row and the key itself, which is never stored."""
    if not _may_manage(actor, organisation):
        raise PermissionDenied(_("Only your organisation's operators may create its keys."))
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the key a name, e.g. the system that will use it.")]
    allowed = allowed_scopes(organisation)
    unknown = [scope for scope in scopes if scope not in allowed]
    if not scopes or unknown:
        errors["scopes"] = [_("Choose at least one of the listed permissions.")]
    now = timezone.now()
    if expires_at <= now or expires_at > now + MAX_LIFETIME:
        errors["expires_at"] = [_("A key expires between tomorrow and one year from now.")]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        name=name.strip()[:100],
        prefix=prefix,
        key_hash=_hash(raw_key),
        organisation=organisation,
        created_by=actor,
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    audit_record(actor=actor, action="api_key.create", target=key, details={"scopes": key.scopes})
    return key, raw_key


@transaction.atomic
def api_key_revoke(*, actor: User, key: ApiKey) -> ApiKey:
    if not _may_manage(actor, key.organisation):
        raise PermissionDenied(_("Only your organisation's operators may revoke its keys."))
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="api_key.revoke", target=key)
    return key


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key `raw_key` is, or None (unknown, malformed, revoked, expired, or its maker no
    longer able to make it) — the same answer for every failure, and a constant-time comparison of
    the hash. Read afresh on every call, so a revoke anywhere stops the very next call everywhere:
    the key with its organisation and maker by its unique prefix, then the maker's roles by user."""
    if not raw_key or not raw_key.startswith(KEY_PREFIX) or raw_key.count("_") < 2:
        return None
    prefix = raw_key[len(KEY_PREFIX) :].split("_", 1)[0]
    # Prefixes are 8 hex digits (api_key_create); anything else, a NUL say, never reaches the query.
    if len(prefix) != 8 or prefix.strip("0123456789abcdef"):
        return None
    key = ApiKey.objects.select_related("organisation", "created_by").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(raw_key)):
        return None
    now = timezone.now()
    if not key.is_usable(now):
        return None
    # The key acts as its maker: it stops when they leave the organisation or are deactivated.
    # _may_manage leaves the maker's roles on `created_by`, so the call's scoping reads them no more.
    if not key.created_by.is_active or not _may_manage(key.created_by, key.organisation):
        return None
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
