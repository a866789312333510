"""Reads of the workforce, always for an acting user.

Who reaches a worker: the worker themselves; a manager whose subtree holds one of the worker's
grid-worker or community-staff role areas. A manager is a subdistrict officer (their subdistrict),
a civil-affairs officer (the district), or community staff whose own profile heads their community.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from directory.models import Area
from security.models import Role, RoleAssignment, User
from security.roles import WORKER_ROLES, WORKFORCE_HEAD_ROLES, WORKFORCE_MANAGER_ROLES
from security.scoping import area_paths
from workforce.models import LevelProposal, LevelRules, WorkerProfile


def years_of_service(profile: WorkerProfile, today: date | None = None) -> int:
    """Full years since the worker joined."""
    today = today or timezone.localdate()
    joined = profile.date_joined
    return today.year - joined.year - ((today.month, today.day) < (joined.month, joined.day))


def managed_paths(user) -> list[str]:
    """Root paths of the subtrees whose workers `user` manages."""
    paths = area_paths(user, WORKFORCE_MANAGER_ROLES)
    heads = area_paths(user, WORKFORCE_HEAD_ROLES)
    if heads and WorkerProfile.objects.filter(user=user, is_head=True).exists():
        paths += [path for path in heads if not any(path.startswith(parent) for parent in paths)]
    return paths


def is_manager(user) -> bool:
    return bool(managed_paths(user))


def _served_within(paths: list[str]) -> Exists:
    within = Q()
    for path in paths:
        within |= Q(area__path__startswith=path)
    return Exists(RoleAssignment.objects.filter(within, user=OuterRef("user"), role__in=WORKER_ROLES))


def profiles_managed(user) -> QuerySet[WorkerProfile]:
    """The profiles of the workers `user` manages, with their service areas loaded."""
    paths = managed_paths(user)
    if not paths:
        return WorkerProfile.objects.none()
    return (
        WorkerProfile.objects.filter(_served_within(paths))
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "user__role_assignments",
                queryset=RoleAssignment.objects.filter(role__in=WORKER_ROLES).select_related("area"),
                to_attr="service_roles",
            )
        )
    )


def profile_for(user, profile_id: int) -> WorkerProfile | None:
    """The profile if `user` may read it (their own, or one they manage); None otherwise."""
    own = WorkerProfile.objects.filter(pk=profile_id, user_id=user.pk)
    found = own.select_related("user").first() if user.is_authenticated else None
    return found or profiles_managed(user).filter(pk=profile_id).first()


def may_manage(user, profile: WorkerProfile) -> bool:
    return profiles_managed(user).filter(pk=profile.pk).exists()


def areas_served(profile: WorkerProfile) -> list[Area]:
    """The areas of the worker's grid-worker and community-staff roles (not stored on the profile)."""
    loaded = getattr(profile.user, "service_roles", None)
    if loaded is None:
        loaded = RoleAssignment.objects.filter(user=profile.user_id, role__in=WORKER_ROLES).select_related("area")
    return [assignment.area for assignment in loaded]


def rules_in_force() -> LevelRules:
    """The newest version of the level rules; the defaults (unsaved) before anyone set them."""
    return LevelRules.objects.order_by("-id").first() or LevelRules()


def pending_proposals(user) -> QuerySet[LevelProposal]:
    """Level proposals waiting for `user` to confirm, over the workers they manage (not their own:
    a head's step is confirmed by the subdistrict or 民政)."""
    managed = profiles_managed(user).exclude(user=user).values("pk")
    return (
        LevelProposal.objects.filter(status=LevelProposal.Status.PENDING, profile__in=managed)
        .select_related("profile__user")
        .order_by("profile__user__username")
    )


def grid_contacts(grid_id: int) -> list[WorkerProfile]:
    """The grid workers of a grid with a work phone: what residents see as 「联系网格员」."""
    return list(
        WorkerProfile.objects.filter(
            user__role_assignments__role=Role.GRID_WORKER, user__role_assignments__area_id=grid_id, user__is_active=True
        )
        .exclude(work_phone="")
        .select_related("user")
        .distinct()
    )


def workers_without_profile(user) -> QuerySet[User]:
    """Active grid workers and community staff where `user` manages who have no profile yet."""
    paths = managed_paths(user)
    if not paths:
        return User.objects.none()
    within = Q()
    for path in paths:
        within |= Q(area__path__startswith=path)
    serving = RoleAssignment.objects.filter(within, role__in=WORKER_ROLES).values("user_id")
    return User.objects.filter(pk__in=serving, is_active=True, worker_profile__isnull=True).order_by("username")
