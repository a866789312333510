"""The functions every selector calls to restrict a queryset to what the acting user may see.

A user sees, for each role they hold:
- an area role (grid worker up to district leader): every row whose area lies in the role's subtree;
- an organisation role (department officer, partner operator): rows addressed to that organisation;
- anyone: rows they own (their own profile, their own requests).
Anonymous and inactive users see nothing. The user's roles are read once per user object.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from directory.models import Area
from security.models import RoleAssignment
from security.roles import AREA_ROLES, ORGANISATION_ROLES, ROLE_PRECEDENCE, STAFF_ROLES

_CACHE_ATTR = "_security_role_assignments"


def role_assignments(user) -> list[RoleAssignment]:
    """The user's role assignments with their areas and organisations, cached on the user object."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("area", "organisation"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_role_assignments(user) -> None:
    """Drop the cached roles after they change, so the next check reads them again."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_role(user, roles: Iterable[str]) -> bool:
    wanted = set(roles)
    return any(assignment.role in wanted for assignment in role_assignments(user))


def is_staff_member(user) -> bool:
    """Whether `user` handles other people's data: a staff role, or Django's staff or superuser flag."""
    return user.is_authenticated and (user.is_staff or user.is_superuser or has_role(user, STAFF_ROLES))


def _collapse(paths: Iterable[str]) -> list[str]:
    """Drop paths that lie under another path in the list: their subtree is already covered."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(parent) for parent in kept):
            kept.append(path)
    return kept


def area_paths(user, roles: Iterable[str] = AREA_ROLES) -> list[str]:
    """Root paths of the area subtrees the user's `roles` reach."""
    wanted = set(roles)
    return _collapse(a.area.path for a in role_assignments(user) if a.role in wanted)


def organisation_ids(user, roles: Iterable[str] = ORGANISATION_ROLES) -> list[int]:
    wanted = set(roles)
    return sorted({a.organisation_id for a in role_assignments(user) if a.role in wanted and a.organisation_id})


def covers_area(user, area: Area, roles: Iterable[str] = AREA_ROLES) -> bool:
    """True when one of the user's `roles` reaches `area` (it lies in that role's subtree)."""
    return any(area.path.startswith(path) for path in area_paths(user, roles))


def area_q(user, path_field: str, roles: Iterable[str] = AREA_ROLES) -> Q | None:
    """A condition on `path_field` (a lookup ending at an Area's `path`) for the user's subtrees."""
    condition = None
    for path in area_paths(user, roles):
        term = Q(**{f"{path_field}__startswith": path})
        condition = term if condition is None else condition | term
    return condition


def restrict(
    queryset: QuerySet,
    user,
    *,
    area_path: str | None = None,
    organisation: str | None = None,
    owner: str | None = None,
    area_roles: Iterable[str] = AREA_ROLES,
) -> QuerySet:
    """Limit `queryset` to rows the user may see.

    Name how each row is reached: `area_path` is a lookup to an Area path
    (e.g. "household__grid__path"), `organisation` a lookup to an Organisation id, `owner` a
    lookup to a User. A row is visible when any of the given ways lets the user reach it.
    """
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    conditions: list[Q] = []
    if area_path is not None:
        by_area = area_q(user, area_path, area_roles)
        if by_area is not None:
            conditions.append(by_area)
    if organisation is not None:
        ids = organisation_ids(user)
        if ids:
            conditions.append(Q(**{f"{organisation}__in": ids}))
    if owner is not None:
        conditions.append(Q(**{owner: user.pk}))
    if not conditions:
        return queryset.none()
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return queryset.filter(combined)


def visible_areas(user, roles: Iterable[str] = AREA_ROLES) -> QuerySet[Area]:
    """Every area in the user's subtrees."""
    return restrict(Area.objects.all(), user, area_path="path", area_roles=roles)


def primary_role(user) -> str | None:
    """The role that decides the user's landing page (see ROLE_PRECEDENCE)."""
    held = {a.role for a in role_assignments(user)}
    return next((role for role in ROLE_PRECEDENCE if role in held), None)
