"""Reads of the workforce, always for an acting user.

Who reaches a worker: the worker themselves; a manager whose subtree holds one of the worker's
grid-worker or community-staff role areas. A manager is a subdistrict officer (their subdistrict),
a civil-affairs officer (the district), or community staff whose own profile heads their community.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from directory.models import Area
from security.models import Role, RoleAssignment, User
from security.roles import WORKER_ROLES, WORKFORCE_HEAD_ROLES, WORKFORCE_MANAGER_ROLES
from security.scoping import area_paths
from workforce.models import LevelProposal, LevelRules, WorkerProfile
from workforce.models_training import Course, Enrolment


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


# --- figures by community for the programme's assessment (issue 19) ---
# Read by a district-scope batch run (programme.indicators), not for a user: the caller names the
# communities. Three queries, whatever their number.
def training_figures_by_community(*, communities: list[Area], end: date) -> dict[int, dict[str, int]]:
    """{community id: figures} of the required training of each community's workers at the end of
    `end`. A community's workers: active accounts with a worker profile holding a grid-worker or
    community-staff role in the community or one of its grids (as the roles stand now; a worker
    serving two communities counts in both). `workers` counts them, `required` adds up, worker by
    worker, the courses their post requires (courses created by `end`), and `passed` those of them
    the worker passed (completed by `end` with a passing score, as the yearly assessment counts
    them). Every community is in the result."""
    from workforce.training import PASS_MARK  # workforce.training imports this module

    figures = {community.pk: {"workers": 0, "required": 0, "passed": 0} for community in communities}
    if not figures:
        return figures
    ids = list(figures)
    serving = (
        RoleAssignment.objects.filter(
            Q(area_id__in=ids) | Q(area__parent_id__in=ids, area__kind=Area.Kind.GRID),
            role__in=WORKER_ROLES,
            user__is_active=True,
            user__worker_profile__isnull=False,
        )
        .order_by()
        .values_list("user__worker_profile__id", "user__worker_profile__post", "area_id", "area__parent_id")
    )
    workers: dict[int, set[int]] = defaultdict(set)  # community id → profile ids
    post_of: dict[int, str] = {}
    for profile_id, post, area_id, parent_id in serving:
        workers[area_id if area_id in figures else parent_id].add(profile_id)
        post_of[profile_id] = post
    if not post_of:
        return figures
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=timezone.get_default_timezone())
    required_by_post: dict[str, set[int]] = defaultdict(set)
    for course_id, posts in (
        Course.objects.exclude(required_posts=[]).filter(created_at__lt=until).values_list("pk", "required_posts")
    ):
        for post in posts:
            required_by_post[post].add(course_id)
    passed: dict[int, set[int]] = defaultdict(set)
    every_required = set().union(*required_by_post.values())
    if every_required:
        for profile_id, course_id in Enrolment.objects.filter(
            profile_id__in=list(post_of), course_id__in=every_required, score__gte=PASS_MARK, completed_on__lte=end
        ).values_list("profile_id", "course_id"):
            passed[profile_id].add(course_id)
    for community_id, profile_ids in workers.items():
        counts = figures[community_id]
        counts["workers"] = len(profile_ids)
        for profile_id in profile_ids:
            required = required_by_post.get(post_of[profile_id], set())
            counts["required"] += len(required)
            counts["passed"] += len(required & passed[profile_id])
    return figures
