"""A person's proposals and supports in their data export, and what account deletion does to them
(registered with residents.data_rights from ParticipationConfig.ready()).

Deletion: a proposal belongs to its community once published (neighbours supported it, staff may
have answered it), so it stays, without its author. Supports are deleted; a support of a proposal
still gathering support is withdrawn (the count goes down), one that helped reach the threshold
stays counted, since the threshold was reached and the deadline set on it."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from participation.models import Proposal, ProposalStatus, ProposalSupport
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
    }


def register_data_rights() -> None:
    register_section(
        "proposals",
        title=_("Proposals I made or supported"),
        export=export_proposals,
        erase=proposals_erase,
        labels={
            "role": _("What I did"),
            "proposal": _("Proposal"),
            "community": _("Community"),
            "status": _("Status"),
            "at": _("When"),
        },
        kept_after_deletion=_(
            "Your proposals stay for your community to see and answer, without your name. Your supports are "
            "deleted; a proposal still gathering support counts one supporter fewer."
        ),
    )
