"""What happens next to a request, and by when, in plain words for the person reading its page.

The detail page's "What next" panel opens with this sentence, so a resident never faces an empty
box while they wait, and staff read what the request waits for from them.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from services.models import RequestStatus, ServiceRequest

S = RequestStatus


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def reopen_until(request: ServiceRequest):
    """When a resolved request closes by itself (services.services.deadlines.resolved_past_window)."""
    if request.resolved_at is None:
        return None
    return request.resolved_at + timedelta(days=request.service.reopen_window_days)


def _handler_name(request: ServiceRequest) -> str:
    if request.handling_organisation_id is not None:
        return request.handling_organisation.name
    return _("the staff of %(grid)s") % {"grid": request.grid.name}


def next_step_text(*, request: ServiceRequest, is_handler: bool, is_requester: bool) -> str:
    """One or two sentences: what the request waits for, from whom, by when. "" when nothing is
    left to happen (closed and rated, rejected, merged)."""
    status = request.status
    late = request.is_overdue and request.is_open
    if status == S.SUBMITTED:
        due = _local(request.accept_due_at)
        if is_handler:
            text = _("Accept it (or reject it, saying why) by %(due)s.") % {"due": due}
        else:
            text = _("Waiting for the community to accept it, by %(due)s.") % {"due": due}
    elif status in (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS):
        due = _local(request.resolve_due_at)
        if is_handler and status == S.ACCEPTED:
            text = _("Start work on it or assign it; it must be resolved by %(due)s.") % {"due": due}
        elif is_handler:
            text = _("Resolve it by %(due)s and say what was done.") % {"due": due}
        else:
            text = _("Being handled by %(who)s; to be resolved by %(due)s.") % {
                "who": _handler_name(request),
                "due": due,
            }
    elif status == S.RESOLVED:
        until = reopen_until(request)
        until_text = _local(until) if until else ""
        if is_requester:
            text = _(
                "Resolved. Is it fixed? Say so and rate how it was handled, or reopen it by %(until)s "
                "if it is not. After that it closes by itself."
            ) % {"until": until_text}
        else:
            text = _(
                "Resolved: waiting for the resident to confirm it or reopen it. It closes by itself on %(until)s."
            ) % {"until": until_text}
    elif status == S.CLOSED and is_requester and request.rating is None and request.merged_into_id is None:
        text = _("Closed. You can still rate how it was handled.")
    else:
        return ""
    if late:
        text = _("Past its deadline: the staff above have been told. %(next)s") % {"next": text}
    return text
