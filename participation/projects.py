"""Requests that become projects: community staff turn a cluster of similar open requests (see
participation.project_selectors) into a community project — a Proposal already accepted, answered by
them, with a plan and the organisation responsible — or into a proposal published to gather support.
The requests are linked to it (ProposalRequest), their timelines say so and their requesters are told
and made followers.
When the proposal is done (participation.proposals.proposal_done calls `project_requests_resolve`), every
linked request still open is resolved with the outcome, naming the project, and every linked requester
is told, in the same transaction. See docs/participation.md, "Requests that become projects"."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from notifications.services import notify
from participation.models import Proposal, ProposalCategory, ProposalRequest, ProposalStatus
from participation.project_selectors import requests_in_live_projects
from participation.proposals import (
    ANSWER_MAX,
    BODY_MAX,
    TITLE_MAX,
    community_threshold,
    followers_add,
    proposal_link,
)
from security.audit import audit_record
from security.models import User
from security.roles import PROPOSAL_ANSWER_ROLES
from security.scoping import covers_area
from services.models import OPEN_STATUSES, ServiceRequest
from services.services import request_project_link, request_resolve_by_project

# More than this many requests in one project is a mistake of the form, not a cluster.
REQUESTS_MAX = 200


def responsible_organisations(community: Area) -> QuerySet[Organisation]:
    """Organisations working in the community, under it, or above it (its subdistrict, the district)."""
    ancestors = [community.path[:end] for end in range(1, len(community.path) + 1)]
    return Organisation.objects.filter(Q(area__path__in=ancestors) | Q(area__path__startswith=community.path))


def _locked_requests(ids) -> list[ServiceRequest]:
    # Primary-key order, so two staff linking overlapping requests at once cannot deadlock.
    return list(
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("grid__parent", "requester", "service")
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _text(errors: dict, field: str, value: str, *, missing: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        errors.setdefault(field, []).append(missing)
    elif len(value) > limit:
        errors.setdefault(field, []).append(_("This text is too long."))
    return value


@transaction.atomic
def proposal_from_requests(
    *,
    actor: User,
    requests: list[ServiceRequest],
    as_project: bool,
    title: str,
    body: str,
    category: str,
    plan: str = "",
    organisation: Organisation | None = None,
) -> Proposal:
    """Turn open requests of one community into a community project (`as_project`: accepted at once,
    with a plan and the organisation responsible) or a proposal gathering support, linking them to it,
    noting it on each request's timeline and telling each requester, all or nothing."""
    if not requests:
        raise ValidationError({"requests": [_("Choose at least one request.")]})
    if len(requests) > REQUESTS_MAX:
        raise ValidationError({"requests": [_("Too many requests for one project.")]})
    locked = _locked_requests({request.pk for request in requests})
    communities = {request.grid.parent_id for request in locked}
    if len(communities) != 1:
        raise ValidationError({"requests": [_("Choose requests of one community.")]})
    community = locked[0].grid.parent
    if not covers_area(actor, community, PROPOSAL_ANSWER_ROLES):
        raise PermissionDenied(_("Only this community's staff can do this."))
    errors: dict[str, list[str]] = {}
    taken = set(
        requests_in_live_projects().filter(request_id__in=[r.pk for r in locked]).values_list("request_id", flat=True)
    )
    for request in locked:
        if request.status not in OPEN_STATUSES or request.merged_into_id:
            errors.setdefault("requests", []).append(
                _("Request %(number)s is no longer open.") % {"number": request.public_id}
            )
        elif request.pk in taken:
            errors.setdefault("requests", []).append(
                _("Request %(number)s is already part of a community project.") % {"number": request.public_id}
            )
    title = _text(errors, "title", title, missing=_("Give the project a title."), limit=TITLE_MAX)
    body = _text(errors, "body", body, missing=_("Say what the project will do."), limit=BODY_MAX)
    if category not in ProposalCategory.values:
        errors.setdefault("category", []).append(_("Choose a category."))
    if as_project:
        plan = _text(errors, "plan", plan, missing=_("Say how and when it will be done."), limit=ANSWER_MAX)
        if organisation is None or not responsible_organisations(community).filter(pk=organisation.pk).exists():
            errors.setdefault("organisation", []).append(_("Choose the organisation responsible."))
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    proposal = Proposal(
        community=community,
        author=None,
        title=title,
        body=body,
        category=category,
        support_threshold=community_threshold(community),
    )
    if as_project:
        with translation.override(settings.LANGUAGE_CODE):
            answer = _("A community project, started by the community's staff from %(count)d residents' requests.") % {
                "count": len(locked)
            }
        proposal.status = ProposalStatus.ACCEPTED
        proposal.threshold_reached_at = proposal.answer_due_at = now
        proposal.answer, proposal.plan, proposal.responsible_organisation = answer, plan, organisation
        proposal.answered_by, proposal.answered_at = actor, now
    proposal.save()
    ProposalRequest.objects.bulk_create(
        [ProposalRequest(proposal=proposal, request=request, linked_by=actor) for request in locked]
    )
    # The requesters hear of every later change (support, answer, work begun, done) as followers.
    followers_add(
        proposal, {request.requester for request in locked if request.requester and request.requester.is_active}
    )
    link = proposal_link(proposal)
    with translation.override(settings.LANGUAGE_CODE):
        for request in locked:
            request_project_link(request=request, actor=actor, title=title, link=link)
            if request.requester is not None and request.requester.is_active:
                notify(
                    recipient=request.requester,
                    kind="proposal.requests_linked",
                    title=_("Your request %(number)s is now part of a community project")
                    % {"number": request.public_id},
                    body=title,
                    link=link,
                    key=f"proposal:{proposal.pk}:linked:request:{request.pk}",
                )
    audit_record(
        actor=actor,
        action="proposal.from_requests",
        target=proposal,
        area=community,
        details={
            "as_project": as_project,
            "community": community.code,
            "organisation": organisation.code if as_project else None,
            "requests": [request.public_id for request in locked],
        },
    )
    return proposal


def project_requests_resolve(*, actor: User, proposal: Proposal, note: str) -> None:
    """Called by proposal_done inside its transaction (the actor already checked as the community's
    staff): resolve every linked request still open with `note`, naming the project, and tell the
    requesters of the others (already resolved or closed) that the project is done. One audit event
    names the project and the requests."""
    ids = list(ProposalRequest.objects.filter(proposal=proposal).values_list("request_id", flat=True))
    if not ids:
        return
    link = proposal_link(proposal)
    resolved, already_finished = [], []
    with translation.override(settings.LANGUAGE_CODE):
        for request in _locked_requests(ids):
            if request.status in OPEN_STATUSES:
                # Told as for any resolution: the requester and supporters, the project named.
                request_resolve_by_project(request=request, actor=actor, title=proposal.title, link=link, note=note)
                resolved.append(request.public_id)
                continue
            already_finished.append(request.public_id)
            if request.requester is not None and request.requester.is_active:
                notify(
                    recipient=request.requester,
                    kind="proposal.requests_done",
                    title=_("The community project for your request %(number)s is done")
                    % {"number": request.public_id},
                    body=note,
                    link=link,
                    key=f"proposal:{proposal.pk}:done:request:{request.pk}",
                )
    audit_record(
        actor=actor,
        action="proposal.requests_resolve",
        target=proposal,
        area=proposal.community,
        details={"resolved": resolved, "already_finished": already_finished},
    )
