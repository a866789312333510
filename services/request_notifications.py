"""Who hears about what happens to a request, and what they are told.

Called inside the service's transaction; `notifications.services.notify` records outbox rows there
and delivers them after commit. Texts are rendered in the portal's language (Chinese), since
most recipients read Chinese and users have no language of their own yet.
"""

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from directory.selectors import area_ancestors
from notifications.area_alerts import area_alert_record
from notifications.services import notify
from security.models import Role, User
from security.selectors import users_with_role
from services.models import RequestEvent, RequestStatus, ServiceRequest

# How much of the description names the request in a notification: enough to recognise it.
EXCERPT_LENGTH = 20


def _send(recipients, *, request: ServiceRequest, event: RequestEvent, kind: str, title: str, body: str, skip=None):
    link = reverse("services:detail", kwargs={"public_id": request.public_id})
    for user in {u.pk: u for u in recipients if u is not None}.values():
        if skip is not None and user.pk == skip.pk:
            continue
        notify(
            recipient=user,
            kind=kind,
            title=title,
            body=body,
            link=link,
            key=f"request:{request.pk}:event:{event.pk}:user:{user.pk}",
        )


def _supporters(request: ServiceRequest) -> list[User]:
    return [support.user for support in request.supports.select_related("user")]


def _grid_workers(request: ServiceRequest) -> list[User]:
    return list(users_with_role(role=Role.GRID_WORKER, area=request.grid))


def request_filed(*, request: ServiceRequest, event: RequestEvent) -> None:
    if request.is_public:
        _tell_followers(request)
    grid_workers = _grid_workers(request)
    if request.requester is None and not grid_workers:
        return  # nobody to tell (a partner's filing in a grid without a worker): skip the wording
    with translation.override(settings.LANGUAGE_CODE):
        service = request.service.name
        if request.requester is not None:
            _send(
                [request.requester],
                request=request,
                event=event,
                kind="request.filed",
                title=_("We have your request about %(problem)s") % {"problem": problem_words(request)},
                body=_("The community will look at it by %(due)s. Request number: %(number)s")
                % {"due": _local(request.accept_due_at), "number": request.public_id},
            )
        _send(
            grid_workers,
            request=request,
            event=event,
            kind="request.new",
            title=_("New request %(number)s in your grid") % {"number": request.public_id},
            body=_("%(service)s: please accept it by %(due)s.")
            % {"service": service, "due": _local(request.accept_due_at)},
            skip=event.actor,
        )


def request_alert_key(request: ServiceRequest) -> str:
    """The key of a public request's alert to the followers of its grid (notifications.area_alerts)."""
    return f"request:{request.pk}:public"


def _tell_followers(request: ServiceRequest) -> None:
    """People following the request's grid or community hear of it (notifications.area_alerts):
    one row now, the followers after commit. Only public fields, and the public page's link."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _("New public request in %(grid)s: %(service)s") % {
            "grid": request.grid.name,
            "service": request.service.name,
        }
    area_alert_record(
        area=request.grid,
        topic="request",
        service_code=request.service.code,
        title=title,
        body=request.description[:200],
        link=reverse("services:public_detail", kwargs={"public_id": request.public_id}),
        key=request_alert_key(request),
        exclude_user_ids=[pk for pk in (request.requester_id, request.filed_by_id) if pk],
    )


def problem_words(request: ServiceRequest) -> str:
    """The request named so its reader knows which problem it is: the service and the first words
    of the description (or the address when the description is empty)."""
    excerpt = Truncator(" ".join(request.description.split())).chars(EXCERPT_LENGTH) or request.address
    if not excerpt:
        return request.service.name
    return _("%(service)s “%(excerpt)s”") % {"service": request.service.name, "excerpt": excerpt}


def _who_handles(request: ServiceRequest) -> str:
    if request.handling_organisation_id is not None:
        return request.handling_organisation.name
    return _("the staff of %(grid)s") % {"grid": request.grid.name}


def status_words(*, request: ServiceRequest, event: RequestEvent) -> tuple[str, str]:
    """The title and body telling a requester (or a supporter) what became of their request: which
    problem, its new state in a sentence, what the staff wrote, and what to do now if anything."""
    problem = problem_words(request)
    due = _local(request.resolve_due_at)
    status = request.status
    if event.kind == RequestEvent.Kind.REOPENED:
        title = _("The request about %(problem)s was reopened") % {"problem": problem}
        state = _("It was reopened and %(who)s will handle it again, by %(due)s.") % {
            "who": _who_handles(request),
            "due": due,
        }
    elif event.kind == RequestEvent.Kind.MERGED:
        title = _("The request about %(problem)s is handled together with another one") % {"problem": problem}
        state = _("The same problem was reported before; it is handled under request %(number)s.") % {
            "number": request.merged_into.public_id if request.merged_into_id else ""
        }
    elif status == RequestStatus.ACCEPTED:
        title = _("The request about %(problem)s has been accepted") % {"problem": problem}
        state = _("The community has accepted it. It is to be resolved by %(due)s.") % {"due": due}
    elif status == RequestStatus.ASSIGNED:
        title = _("The request about %(problem)s has been passed on to be handled") % {"problem": problem}
        state = _("%(who)s will handle it, by %(due)s.") % {"who": _who_handles(request), "due": due}
    elif status == RequestStatus.IN_PROGRESS:
        title = _("Work has started on the request about %(problem)s") % {"problem": problem}
        state = _("%(who)s has started work on it. It is to be resolved by %(due)s.") % {
            "who": _who_handles(request),
            "due": due,
        }
    elif status == RequestStatus.RESOLVED:
        title = _("The request about %(problem)s has been resolved") % {"problem": problem}
        until = (request.resolved_at or timezone.now()) + timedelta(days=request.service.reopen_window_days)
        state = _(
            "The staff say it is resolved. Please have a look: if it is fixed, confirm it and rate how it was "
            "handled; if it is not, open the request and reopen it by %(until)s."
        ) % {"until": _local(until)}
    elif status == RequestStatus.CLOSED:
        title = _("The request about %(problem)s is closed") % {"problem": problem}
        state = _("It is closed.")
        if request.rating is None:
            state = _("It is closed. You can still rate how it was handled.")
    elif status == RequestStatus.REJECTED:
        title = _("The request about %(problem)s was not accepted") % {"problem": problem}
        state = _("The community did not accept it.")
    else:
        title = _("The request about %(problem)s: %(status)s") % {
            "problem": problem,
            "status": RequestStatus(status).label,
        }
        state = _("Its state is now: %(status)s.") % {"status": RequestStatus(status).label}
    lines = [state]
    if event.message:
        lines.append(_("The staff wrote: %(message)s") % {"message": event.message})
    lines.append(_("Request number: %(number)s") % {"number": request.public_id})
    return title, "\n".join(lines)


def request_changed(*, request: ServiceRequest, event: RequestEvent) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        title, body = status_words(request=request, event=event)
        _send(
            [request.requester, *_supporters(request)],
            request=request,
            event=event,
            kind="request.status",
            title=title,
            body=body,
            skip=event.actor,
        )
        if event.kind == RequestEvent.Kind.ASSIGNMENT:
            people = [request.assignee] if request.assignee else _organisation_staff(request)
            _send(
                people,
                request=request,
                event=event,
                kind="request.assigned",
                title=_("Request %(number)s is assigned to you") % {"number": request.public_id},
                body=_("%(service)s: resolve it by %(due)s.")
                % {"service": request.service.name, "due": _local(request.resolve_due_at)},
                skip=event.actor,
            )
        if event.kind == RequestEvent.Kind.REOPENED:
            _send(
                [request.assignee, *_grid_workers(request)],
                request=request,
                event=event,
                kind="request.reopened",
                title=_("Request %(number)s was reopened by the resident") % {"number": request.public_id},
                body=event.message,
                skip=event.actor,
            )


def request_commented(*, request: ServiceRequest, event: RequestEvent) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("New comment on request %(number)s") % {"number": request.public_id}
        _send(
            [request.requester, request.assignee, *_grid_workers(request)],
            request=request,
            event=event,
            kind="request.comment",
            title=title,
            body=event.message[:200],
            skip=event.actor,
        )


def _organisation_staff(request: ServiceRequest) -> list[User]:
    organisation = request.handling_organisation
    if organisation is None:
        return []
    people = []
    for role in (Role.DEPARTMENT_OFFICER, Role.PARTNER_OPERATOR, Role.COMMUNITY_STAFF, Role.SUBDISTRICT_OFFICER):
        people.extend(users_with_role(role=role, organisation=organisation))
    return people


def escalation_recipients(request: ServiceRequest, level: int) -> list[User]:
    """Level 1: the community's staff; 2: the subdistrict's officers; 3: the department handling
    the request, or the district's leaders when no department does."""
    ancestors = {area.kind: area for area in _ancestors(request)}
    if level == 1:
        return list(users_with_role(role=Role.COMMUNITY_STAFF, area=ancestors["community"]))
    if level == 2:
        return list(users_with_role(role=Role.SUBDISTRICT_OFFICER, area=ancestors["subdistrict"]))
    department_staff = _organisation_staff(request)
    return department_staff or list(users_with_role(role=Role.DISTRICT_LEADER, area=ancestors["district"]))


def _ancestors(request: ServiceRequest):
    return list(area_ancestors(area=request.grid))


def request_escalated(*, request: ServiceRequest, event: RequestEvent) -> None:
    level = event.data["level"]
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            escalation_recipients(request, level),
            request=request,
            event=event,
            kind="request.escalated",
            title=_("Overdue request %(number)s escalated to you") % {"number": request.public_id},
            body=_("%(service)s was due %(due)s.")
            % {
                "service": request.service.name,
                "due": _local(request.accept_due_at if request.status == "submitted" else request.resolve_due_at),
            },
        )


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
