"""Writing construction projects (智慧社区建设项目): registering and editing them, their milestones and
deliverables, spending entries, budget adjustments, documents and the acceptance.

Who may write:
- a project is registered for an area the officer covers (security.roles.PROGRAMME_OFFICER_ROLES: a
  subdistrict officer for their subdistrict, a district leader for the district) and covers communities
  of that area's subtree; officers covering the project's area manage it afterwards;
- a budget adjustment is decided by a district leader over the project's area who did not ask for it;
- once accepted, a project is read-only.

Money: every amount is a Decimal of yuan with two decimals. What a project has spent is kept on its
row (`spent`) and changed only here, under the row's lock (select_for_update), so two concurrent
entries are checked one after the other; the database check `project_spent_within_budget` is the last
guard. Lock order: the project row first, then any other row of it (an adjustment), then the audit
chain (audit_record, always last).
"""

from programme.projects.acceptance import acceptance_record, document_add
from programme.projects.checks import (
    PARTNER_KINDS,
    PlannedMilestone,
    can_decide_adjustment,
    can_manage,
    registrable_areas,
    yuan,
)
from programme.projects.money import adjustment_approve, adjustment_refuse, adjustment_request, spend_record
from programme.projects.registration import (
    deliverable_add,
    deliverable_deliver,
    milestone_add,
    milestone_plan_change,
    milestone_reach,
    project_create,
    project_update,
)

__all__ = [
    "PARTNER_KINDS",
    "PlannedMilestone",
    "acceptance_record",
    "adjustment_approve",
    "adjustment_refuse",
    "adjustment_request",
    "can_decide_adjustment",
    "can_manage",
    "deliverable_add",
    "deliverable_deliver",
    "document_add",
    "milestone_add",
    "milestone_plan_change",
    "milestone_reach",
    "project_create",
    "project_update",
    "registrable_areas",
    "spend_record",
    "yuan",
]
