"""The overdue visits on a worker's profile page and on a manager's workforce home."""

from django import template

from security.roles import WORKFORCE_RULES_ROLES
from security.scoping import has_role
from workforce import visits
from workforce.models import WorkerProfile

register = template.Library()


@register.inclusion_tag("workforce/visits/_worker_overdue.html")
def worker_visits(profile: WorkerProfile, own=False):
    """How many of the worker's roster are overdue (their grids, as their roles say now)."""
    return {"count": visits.overdue_count_for_worker(profile.user), "own": own, "profile": profile}


@register.inclusion_tag("workforce/visits/_manager_overdue.html")
def managed_visits(user):
    return {"count": visits.overdue_count_for_manager(user), "may_set_rules": has_role(user, WORKFORCE_RULES_ROLES)}
