"""Moderation: residents report a public request, a message on its public timeline (a "comment"),
a notice, a proposal or a comment on one as inappropriate; the staff over its area hide the text or
the photos with a reason, or dismiss the report. Every open report of the same thing is decided together, the author is
told why, and every step is audited.

What a decision changes on a request is done by services' own write functions
(`services.services.public_content`): this app depends on services, never the other way; on a
proposal or its comment, by participation.proposals (`proposal_hide`, `proposal_comment_hide`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.throttle import take_call
from notifications.area_alerts import area_alert_withdraw
from notifications.services import notify
from participation.models import ModerationReport, Notice, NoticeStatus, Proposal, ProposalComment
from participation.notice_delivery import notice_alert_key
from participation.proposals import proposal_comment_hide, proposal_hide, proposal_link
from security.audit import audit_record
from security.models import User
from security.roles import REQUEST_HANDLER_ROLES
from security.scoping import covers_area, restrict
from services.models import RequestEvent, ServiceRequest
from services.services.public_content import (
    request_event_hide,
    request_photos_public_set,
    request_public_text_hide,
)

R = ModerationReport
# Who decides: the front-line staff over the area (grid worker, community staff, subdistrict officer).
MODERATOR_ROLES = REQUEST_HANDLER_ROLES
MAX_NOTE = 1000
MAX_REASON = 1000
# A person reports at most this many things an hour: enough for anyone reading in good faith,
# and it keeps one account from flooding a community's queue.
REPORTS_PER_HOUR = 10
QUEUE_SIZE = 200


class Decision:
    HIDE_TEXT = "hide_text"
    HIDE_PHOTOS = "hide_photos"
    DISMISS = "dismiss"


# The decisions each kind of target allows. A comment and a notice have only text to hide.
DECISIONS = {
    R.Target.REQUEST: (Decision.HIDE_TEXT, Decision.HIDE_PHOTOS, Decision.DISMISS),
    R.Target.COMMENT: (Decision.HIDE_TEXT, Decision.DISMISS),
    R.Target.NOTICE: (Decision.HIDE_TEXT, Decision.DISMISS),
    # Hiding a proposal hides its title, text and photos together.
    R.Target.PROPOSAL: (Decision.HIDE_TEXT, Decision.DISMISS),
    R.Target.PROPOSAL_COMMENT: (Decision.HIDE_TEXT, Decision.DISMISS),
}


# --- reads --------------------------------------------------------------------------------------
def notice_reportable_get(*, public_id) -> Notice:
    """A notice residents can read now (published, released, not hidden); 404 alike for any other."""
    try:
        return Notice.objects.select_related("area").get(
            public_id=public_id,
            status=NoticeStatus.PUBLISHED,
            publish_at__lte=timezone.now(),
            hidden_at__isnull=True,
        )
    except (Notice.DoesNotExist, ValidationError):
        raise Http404 from None


def reports_for_moderator(*, user: User) -> QuerySet[ModerationReport]:
    """Every report in the user's area subtrees (for their moderator roles), newest first."""
    return restrict(
        ModerationReport.objects.select_related(
            "area", "request__service", "comment", "notice", "proposal", "proposal_comment"
        ),
        user,
        area_path="area__path",
        area_roles=MODERATOR_ROLES,
    )


@dataclass
class QueueItem:
    """One reported thing in the queue, with its open reports (newest first)."""

    first: ModerationReport
    reports: list[ModerationReport] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return sorted({report.get_reason_display() for report in self.reports})


def _target_key(report: ModerationReport) -> tuple:
    return (
        report.target,
        report.request_id,
        report.comment_id,
        report.notice_id,
        report.proposal_id,
        report.proposal_comment_id,
    )


def moderation_queue(*, user: User) -> list[QueueItem]:
    """Open reports in the user's area, one item per reported thing, newest report first. One
    query, whatever the number of reports (capped at QUEUE_SIZE reports)."""
    items: dict[tuple, QueueItem] = {}
    for report in reports_for_moderator(user=user).filter(status=R.Status.OPEN)[:QUEUE_SIZE]:
        item = items.setdefault(_target_key(report), QueueItem(first=report))
        item.reports.append(report)
    return list(items.values())


def report_get_for_moderator(*, user: User, public_id) -> ModerationReport:
    """A report the user may decide; 404 alike for a missing one and one outside their area."""
    try:
        return (
            reports_for_moderator(user=user).select_related("request__grid", "notice__author").get(public_id=public_id)
        )
    except (ModerationReport.DoesNotExist, ValidationError):
        raise Http404 from None


def _same_target(report: ModerationReport) -> Q:
    return Q(
        target=report.target,
        request_id=report.request_id,
        comment_id=report.comment_id,
        notice_id=report.notice_id,
        proposal_id=report.proposal_id,
        proposal_comment_id=report.proposal_comment_id,
    )


def reports_of_same_target(*, report: ModerationReport) -> QuerySet[ModerationReport]:
    """Every report of the thing `report` is about, open or decided, newest first."""
    return ModerationReport.objects.filter(_same_target(report)).select_related("decided_by").order_by("-created_at")


def reports_of_reporter(*, user: User) -> QuerySet[ModerationReport]:
    return (
        ModerationReport.objects.filter(reporter=user)
        .select_related("request", "notice", "proposal")
        .order_by("created_at")
    )


def can_moderate_area(*, user: User, area) -> bool:
    return covers_area(user, area, MODERATOR_ROLES)


# --- writes -------------------------------------------------------------------------------------
def _clean_report_input(reason: str, note: str) -> str:
    if reason not in R.Reason.values:
        raise ValidationError({"reason": [_("Choose a reason from the list.")]})
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": [_("At most %(limit)d characters.") % {"limit": MAX_NOTE}]})
    return note


@transaction.atomic
def report_file(
    *,
    reporter: User,
    reason: str,
    note: str = "",
    request: ServiceRequest | None = None,
    comment: RequestEvent | None = None,
    notice: Notice | None = None,
    proposal: Proposal | None = None,
    proposal_comment: ProposalComment | None = None,
) -> ModerationReport:
    """A signed-in person reports a public request, a public message on one (`comment`, with its
    `request`), a notice, a proposal or a comment on one (`proposal_comment`, with its `proposal`).
    Once per person and thing while the report is open."""
    if not reporter.is_authenticated:
        raise PermissionDenied(_("Sign in to report something."))
    note = _clean_report_input(reason, note)
    if proposal is not None and request is None and comment is None and notice is None:
        target = R.Target.PROPOSAL_COMMENT if proposal_comment is not None else R.Target.PROPOSAL
        # The proposal's row lock serialises two reports of it or of its comments.
        proposal = Proposal.objects.select_for_update(of=("self",)).select_related("community").get(pk=proposal.pk)
        if proposal.hidden_at is not None:
            raise ValidationError(_("This proposal is already hidden."))
        if proposal_comment is not None and (
            proposal_comment.proposal_id != proposal.pk or proposal_comment.hidden_at is not None
        ):
            raise ValidationError(_("This comment is not on the proposal's page."))
        area = proposal.community
    elif proposal is not None or proposal_comment is not None:
        raise ValidationError(_("Say what you are reporting."))
    elif notice is not None and request is None and comment is None:
        target = R.Target.NOTICE
        notice = Notice.objects.select_for_update().select_related("area").get(pk=notice.pk)
        if notice.status != NoticeStatus.PUBLISHED or notice.hidden_at is not None:
            raise ValidationError(_("This notice can no longer be reported."))
        area = notice.area
    elif request is not None and notice is None:
        target = R.Target.COMMENT if comment is not None else R.Target.REQUEST
        # The request's row lock serialises two reports of it, so "once while open" holds.
        request = ServiceRequest.objects.select_for_update().select_related("grid").get(pk=request.pk)
        if not request.is_public:
            raise ValidationError(_("This request is not public."))
        if comment is not None and (
            comment.request_id != request.pk or not comment.is_public or comment.hidden_at is not None
        ):
            raise ValidationError(_("This message is not on the request's public page."))
        area = request.grid
    else:
        raise ValidationError(_("Say what you are reporting."))
    already = ModerationReport.objects.filter(
        target=target,
        request=request,
        comment=comment,
        notice=notice,
        proposal=proposal,
        proposal_comment=proposal_comment,
        reporter=reporter,
        status=R.Status.OPEN,
    )
    if already.exists():
        raise ValidationError(_("You have already reported this. The community's staff will look at it."))
    allowed, _seconds = take_call(f"moderation-report:{reporter.pk}", limit=REPORTS_PER_HOUR, window_seconds=3600)
    if not allowed:
        raise ValidationError(_("You have sent many reports in the last hour. Please try again later."))
    report = ModerationReport.objects.create(
        target=target,
        request=request,
        comment=comment,
        notice=notice,
        proposal=proposal,
        proposal_comment=proposal_comment,
        area=area,
        reporter=reporter,
        reason=reason,
        note=note,
    )
    audit_record(
        actor=reporter,
        action="moderation.report",
        target=report,
        details={"target": target, "reason": reason},
        area=area,
    )
    return report


def _author_and_link(report: ModerationReport) -> tuple[User | None, str]:
    if report.target == R.Target.NOTICE:
        return report.notice.author, ""
    if report.target == R.Target.PROPOSAL:
        return report.proposal.author, proposal_link(report.proposal)
    if report.target == R.Target.PROPOSAL_COMMENT:
        return report.proposal_comment.author, proposal_link(report.proposal)
    link = reverse("services:detail", kwargs={"public_id": report.request.public_id})
    if report.target == R.Target.COMMENT:
        return (report.comment.actor or report.request.requester), link
    return report.request.requester, link


def _tell_author(report: ModerationReport, *, decision: str, reason: str) -> None:
    author, link = _author_and_link(report)
    if author is None or not author.is_active:
        return
    with translation.override(settings.LANGUAGE_CODE):
        if report.target == R.Target.NOTICE:
            title = _("Your notice “%(title)s” was hidden") % {"title": report.notice.title}
        elif report.target == R.Target.PROPOSAL:
            title = _("Your proposal “%(title)s” was hidden") % {"title": report.proposal.title}
        elif report.target == R.Target.PROPOSAL_COMMENT:
            title = _("Your comment on the proposal “%(title)s” was hidden") % {"title": report.proposal.title}
        elif report.target == R.Target.COMMENT:
            title = _("Your message on request %(number)s was hidden from the public page") % {
                "number": report.request.public_id
            }
        elif decision == Decision.HIDE_PHOTOS:
            title = _("The photos of your request %(number)s were taken off the public page") % {
                "number": report.request.public_id
            }
        else:
            title = _("The description of your request %(number)s was hidden from the public page") % {
                "number": report.request.public_id
            }
        body = _("Reason: %(reason)s") % {"reason": reason}
    notify(
        recipient=author,
        kind="moderation.hidden",
        title=title,
        body=body,
        link=link,
        key=f"moderation:{report.pk}:author",
    )


def _tell_reporters(reports: list[ModerationReport], *, decision: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Your report has been decided")
        body = (
            _("The community's staff looked at what you reported and left it as it is.")
            if decision == Decision.DISMISS
            else _("The community's staff looked at what you reported and hid it.")
        )
    for report in reports:
        if report.reporter.is_active:
            notify(
                recipient=report.reporter,
                kind="moderation.decided",
                title=title,
                body=body,
                key=f"moderation:{report.pk}:reporter",
            )


@transaction.atomic
def report_decide(*, report: ModerationReport, actor: User, decision: str, reason: str) -> list[ModerationReport]:
    """Decide every open report of the thing `report` is about: hide its text (a request's
    description, a comment, a notice), hide a request's photos, or dismiss. The author is told
    of a hiding, each reporter of the decision. Returns the reports decided."""
    if not can_moderate_area(user=actor, area=report.area):
        raise PermissionDenied(_("Only the staff over this area decide its reports."))
    if decision not in DECISIONS[report.target]:
        raise ValidationError({"decision": [_("Choose one of the decisions offered.")]})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the decision.")]})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": [_("At most %(limit)d characters.") % {"limit": MAX_REASON}]})
    # Lock the open reports (primary-key order, so two moderators cannot deadlock); a second
    # moderator deciding at the same moment finds none open and is told so.
    reports = list(
        ModerationReport.objects.select_for_update(of=("self",))
        .filter(_same_target(report), status=R.Status.OPEN)
        .select_related(
            "request__grid",
            "request__requester",
            "comment__actor",
            "notice__author",
            "proposal__author",
            "proposal_comment__author",
            "reporter",
        )
        .order_by("pk")
    )
    if not reports:
        raise ValidationError(_("These reports have already been decided."))
    first = reports[0]
    if decision == Decision.HIDE_TEXT and first.target == R.Target.REQUEST:
        request_public_text_hide(request=first.request, actor=actor, reason=reason)
    elif decision == Decision.HIDE_TEXT and first.target == R.Target.COMMENT:
        request_event_hide(event=first.comment, actor=actor, reason=reason)
    elif decision == Decision.HIDE_PHOTOS:
        request_photos_public_set(request=first.request, actor=actor, fit_photo_ids=(), reason=reason)
    elif decision == Decision.HIDE_TEXT and first.target == R.Target.NOTICE:
        notice = Notice.objects.select_for_update().get(pk=first.notice_id)
        notice.hidden_at = notice.hidden_at or timezone.now()
        notice.hidden_reason = reason
        notice.save(update_fields=["hidden_at", "hidden_reason", "updated_at"])
        area_alert_withdraw(key=notice_alert_key(notice))
    elif decision == Decision.HIDE_TEXT and first.target == R.Target.PROPOSAL:
        proposal_hide(actor=actor, proposal=first.proposal, reason=reason)
    elif decision == Decision.HIDE_TEXT and first.target == R.Target.PROPOSAL_COMMENT:
        proposal_comment_hide(actor=actor, comment=first.proposal_comment, reason=reason)
    now = timezone.now()
    hidden = decision != Decision.DISMISS
    for each in reports:
        each.status = R.Status.HIDDEN if hidden else R.Status.DISMISSED
        each.hidden_part = (
            (R.HiddenPart.PHOTOS if decision == Decision.HIDE_PHOTOS else R.HiddenPart.TEXT) if hidden else ""
        )
        each.decided_by, each.decided_at, each.decision_reason = actor, now, reason
        each.save(update_fields=["status", "hidden_part", "decided_by", "decided_at", "decision_reason", "updated_at"])
    if hidden:
        _tell_author(first, decision=decision, reason=reason)
    _tell_reporters(reports, decision=decision)
    audit_record(
        actor=actor,
        action="moderation.hide" if hidden else "moderation.dismiss",
        target=first,
        details={
            "target": first.target,
            "decision": decision,
            "reason": reason,
            "reports": [str(each.public_id) for each in reports],
        },
        area=first.area,
    )
    return reports


def request_photos_fit_set(*, actor: User, request: ServiceRequest, photo_ids) -> ServiceRequest:
    """Staff choose which photos of a public request its public page shows (and can undo it)."""
    return request_photos_public_set(request=request, actor=actor, fit_photo_ids=list(photo_ids))
