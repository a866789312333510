"""A person's moderation reports in their data export, and what account deletion does to them
(registered with residents.data_rights from ParticipationConfig.ready())."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from participation.models import ModerationReport
from residents.data_rights import register_section
from security.models import User


def _what(report: ModerationReport) -> str:
    if report.target == ModerationReport.Target.NOTICE:
        return f"{report.get_target_display()} · {report.notice.title}"
    if report.proposal_id:
        return f"{report.get_target_display()} · {report.proposal.title}"
    return f"{report.get_target_display()} · {report.request.public_id}"


def export_reports(user: User) -> dict:
    """What the person reported, why, and what the staff decided (not who decided: that is staff's
    record, in the audit log)."""
    reports = (
        ModerationReport.objects.filter(reporter=user)
        .select_related("request", "notice", "proposal")
        .order_by("created_at", "id")
    )
    return {
        "reports": [
            {
                "what": _what(report),
                "reason": report.get_reason_display(),
                "note": report.note,
                "at": report.created_at,
                "status": report.get_status_display(),
                "decision_reason": report.decision_reason,
                "decided_at": report.decided_at,
            }
            for report in reports
        ]
    }


def erase_reports(user: User) -> dict:
    # A report only says what the person thought of someone's content. An open one leaves the
    # queue with the account; a decided one is already applied to the content (its hidden reason)
    # and recorded in the audit log without the reporter's words.
    return {"moderation_reports_deleted": ModerationReport.objects.filter(reporter=user).delete()[0]}


def register_data_rights() -> None:
    register_section(
        "moderation_reports",
        title=_("My reports of inappropriate content"),
        export=export_reports,
        erase=erase_reports,
        labels={
            "reports": _("My reports of inappropriate content"),
            "what": _("What"),
            "reason": _("Reason"),
            "note": _("Details"),
            "at": _("When"),
            "status": _("Status"),
            "decision_reason": _("Reason for the decision"),
            "decided_at": _("Decided"),
        },
        kept_after_deletion=_(
            "Your reports of inappropriate content are deleted, open or decided. What the staff decided stays on "
            "the content and in the audit log, without your name or your words."
        ),
    )
