"""Audit events for changes to a user's privileges made outside the role services, i.e. in the
Django admin's user pages: who changed whose is_staff, is_superuser, is_active, groups, permissions
or password. Values are recorded from and to, except the password: only that it was set or disabled."""

from __future__ import annotations

from security.audit import audit_record
from security.models import User

PRIVILEGE_FLAGS = ("is_staff", "is_superuser", "is_active")
# Other fields are named when they change, without their values (an e-mail address is personal).
NEVER_NAMED = {"password", "last_login"}


def privileges_snapshot(user: User) -> dict:
    """What a user may do in Django itself, in a form that compares and goes into the audit log."""
    if user.pk is None:
        return dict.fromkeys(PRIVILEGE_FLAGS, False) | {"groups": [], "user_permissions": []}
    return {flag: getattr(user, flag) for flag in PRIVILEGE_FLAGS} | {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
        ),
    }


def field_values(user: User | None) -> dict:
    """The user's own columns as stored, to name the ones a save changed."""
    if user is None:
        return {}
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def changed_fields(before: dict, user: User) -> list[str]:
    after = field_values(user)
    return sorted(name for name, value in after.items() if name in before and before[name] != value)


def _difference(before: dict, after: dict) -> dict:
    changes = {}
    for flag in PRIVILEGE_FLAGS:
        if before[flag] != after[flag]:
            changes[flag] = {"from": before[flag], "to": after[flag]}
    for many in ("groups", "user_permissions"):
        added = sorted(set(after[many]) - set(before[many]))
        removed = sorted(set(before[many]) - set(after[many]))
        if added or removed:
            changes[many] = {"added": added, "removed": removed}
    return changes


def user_admin_change_record(
    *, actor: User, user: User, before: dict, other_fields: list[str], created: bool = False
) -> None:
    """Record a save of the admin's user form; call it inside the admin's transaction, after the
    user and their groups and permissions are saved."""
    changes = _difference(before, privileges_snapshot(user))
    others = sorted(set(other_fields) - set(PRIVILEGE_FLAGS) - {"groups", "user_permissions"} - NEVER_NAMED)
    if created:
        audit_record(actor=actor, action="user.create", target=user, details={"via": "admin", "privileges": changes})
    elif changes or others:
        audit_record(
            actor=actor,
            action="user.privileges_change" if changes else "user.change",
            target=user,
            details={"via": "admin", "changes": changes, "other_fields": others},
        )


def user_admin_password_record(*, actor: User, user: User) -> None:
    audit_record(
        actor=actor,
        action="user.password_set_by_admin",
        target=user,
        details={"via": "admin", "password": "set" if user.has_usable_password() else "disabled"},
    )
