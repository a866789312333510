"""Every write to a service request: filing it and each step of its life.

Each transition names the states it may start from, checks the actor's right, locks the row,
records a timeline event and an audit event, and queues notifications on commit.
"""

from services.services.deadlines import (
    ESCALATION_STEP,
    TOP_ESCALATION_LEVEL,
    escalation_target_level,
    overdue_candidates,
    request_escalate,
    resolved_past_window,
)
from services.services.filing import request_file, routing_resolve
from services.services.rules import MAX_DESCRIPTION, STEPS, can_handle, is_requester, steps_for
from services.services.steps import (
    request_accept,
    request_assign,
    request_close,
    request_comment,
    request_merge,
    request_photos_add,
    request_project_link,
    request_rate,
    request_reject,
    request_reopen,
    request_resolve,
    request_resolve_by_project,
    request_start,
    request_support,
)

__all__ = [
    "ESCALATION_STEP",
    "MAX_DESCRIPTION",
    "STEPS",
    "TOP_ESCALATION_LEVEL",
    "can_handle",
    "escalation_target_level",
    "is_requester",
    "overdue_candidates",
    "request_accept",
    "request_assign",
    "request_close",
    "request_comment",
    "request_escalate",
    "request_file",
    "request_merge",
    "request_photos_add",
    "request_project_link",
    "request_rate",
    "request_reject",
    "request_reopen",
    "request_resolve",
    "request_resolve_by_project",
    "request_start",
    "request_support",
    "resolved_past_window",
    "routing_resolve",
    "steps_for",
]
