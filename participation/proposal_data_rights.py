"""A person's proposals and supports in their data export, and what account deletion does to them
(registered with residents.data_rights from ParticipationConfig.ready()).

Deletion: a proposal belongs to its community once published (neighbours supported it, staff may
have answered it), so it stays, without its author. Supports are deleted; a support of a proposal
still gathering support is withdrawn (the count goes down), one that helped reach the threshold
stays counted, since the threshold was reached and the deadline set on it. Follows are deleted.
Comments stay on the proposal's page without their writer (shown as "a resident"), as a request's
timeline messages stay when its requester's account goes: the conversation belongs to the proposal."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from participation.models import Proposal, ProposalComment, ProposalFollow, ProposalStatus, ProposalSupport
from residents.data_rights import register_section
from security.models import User


def export_proposals(user: User) -> list[dict]:
    rows = [
        {
            "role": _("Proposed"),
            "proposal": proposal.title,
            "community": proposal.community.name,
            "status": proposal.get_status_display(),
            "at": proposal.created_at,
        }
        for proposal in Proposal.objects.filter(author=user).select_related("community").order_by("pk")
    ]
    rows += [
        {
            "role": _("Supported"),
            "proposal": support.proposal.title,
            "community": support.proposal.community.name,
            "status": support.proposal.get_status_display(),
            "at": support.created_at,
        }
        for support in ProposalSupport.objects.filter(user=user)
        .select_related("proposal", "proposal__community")
        .order_by("pk")
    ]
    rows += [
        {
            "role": _("Commented"),
            "proposal": comment.proposal.title,
            "community": comment.proposal.community.name,
            "status": comment.proposal.get_status_display(),
            "at": comment.created_at,
            "comment": comment.body,
        }
        for comment in ProposalComment.objects.filter(author=user)
        .select_related("proposal", "proposal__community")
        .order_by("pk")
    ]
    rows += [
        {
            "role": _("Followed"),
            "proposal": follow.proposal.title,
            "community": follow.proposal.community.name,
            "status": follow.proposal.get_status_display(),
            "at": follow.created_at,
        }
        for follow in ProposalFollow.objects.filter(user=user)
        .select_related("proposal", "proposal__community")
        .order_by("pk")
    ]
    return rows


def proposals_erase(user: User) -> dict:
    """Called inside the account deletion's transaction; no audit event here (the deletion's own
    event carries the counts)."""
    supports = ProposalSupport.objects.filter(user=user)
    gathering = list(
        Proposal.objects.select_for_update()
        .filter(supports__user=user, status=ProposalStatus.PUBLISHED)
        .values_list("pk", flat=True)
    )
    Proposal.objects.filter(pk__in=gathering).update(support_count=F("support_count") - 1)
    deleted, _rows = supports.delete()
    return {
        "proposals_unlinked": Proposal.objects.filter(author=user).update(author=None),
        "proposal_supports_deleted": deleted,
        "proposal_follows_deleted": ProposalFollow.objects.filter(user=user).delete()[0],
        "proposal_comments_unlinked": ProposalComment.objects.filter(author=user).update(author=None),
    }


def register_data_rights() -> None:
    register_section(
        "proposals",
        title=_("Proposals I made, supported, commented on or followed"),
        export=export_proposals,
        erase=proposals_erase,
        labels={
            "role": _("What I did"),
            "proposal": _("Proposal"),
            "community": _("Community"),
            "status": _("Status"),
            "at": _("When"),
            "comment": _("Comment"),
        },
        kept_after_deletion=_(
            "Your proposals stay for your community to see and answer, without your name. Your supports are "
            "deleted; a proposal still gathering support counts one supporter fewer. What you follow is "
            "forgotten. Your comments stay on the proposals' pages, no longer linked to you."
        ),
    )
