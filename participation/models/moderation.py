"""Residents' reports of inappropriate content and the moderators' decisions."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area
from participation.models.notices import Notice
from participation.models.proposals import Proposal, ProposalComment
from security.models import User


class ModerationReport(TimeStampedModel):
    """A resident's report that a public request, a comment on one, or a notice is inappropriate,
    and the decision of the staff over its area."""

    class Target(models.TextChoices):
        REQUEST = "request", _("Public request")
        COMMENT = "comment", _("Comment")
        NOTICE = "notice", _("Notice")
        PROPOSAL = "proposal", _("Proposal")
        PROPOSAL_COMMENT = "proposal_comment", _("Comment on a proposal")

    class Reason(models.TextChoices):
        PERSONAL_DATA = "personal_data", _("Reveals someone's personal data")
        OFFENSIVE = "offensive", _("Offensive or abusive")
        FALSE = "false", _("False or misleading")
        SPAM = "spam", _("Advertising or spam")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for a decision")
        HIDDEN = "hidden", _("Hidden")
        DISMISSED = "dismissed", _("Dismissed")

    class HiddenPart(models.TextChoices):
        TEXT = "text", _("The text")
        PHOTOS = "photos", _("The photos")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    target = models.CharField(_("what"), max_length=16, choices=Target.choices)
    # Exactly one of these, by `target`. Services' rows are named by id: participation depends on
    # services, never the other way.
    request = models.ForeignKey(
        "services.ServiceRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        "services.RequestEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, null=True, blank=True, related_name="reports")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, null=True, blank=True, related_name="reports")
    proposal_comment = models.ForeignKey(
        ProposalComment, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    # The area whose staff decide: the request's grid, the notice's area or the proposal's community.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    reporter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="moderation_reports")
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    note = models.TextField(_("details"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), max_length=1000, blank=True)
    # What a "hidden" decision hid: the text, or the photos of a request.
    hidden_part = models.CharField(_("hidden"), max_length=16, choices=HiddenPart.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("moderation report")
        verbose_name_plural = _("moderation reports")
        constraints = [
            models.CheckConstraint(
                condition=(
                    (
                        Q(proposal__isnull=True, proposal_comment__isnull=True)
                        & (
                            Q(target="request", request__isnull=False, comment__isnull=True, notice__isnull=True)
                            | Q(target="comment", request__isnull=False, comment__isnull=False, notice__isnull=True)
                            | Q(target="notice", request__isnull=True, comment__isnull=True, notice__isnull=False)
                        )
                    )
                    | (
                        Q(request__isnull=True, comment__isnull=True, notice__isnull=True, proposal__isnull=False)
                        & (
                            Q(target="proposal", proposal_comment__isnull=True)
                            | Q(target="proposal_comment", proposal_comment__isnull=False)
                        )
                    )
                ),
                name="moderation_report_one_target",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "hidden", "dismissed"]), name="moderation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(decided_by__isnull=False) & ~Q(decision_reason="")),
                name="moderation_decision_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="hidden", hidden_part__in=["text", "photos"])
                | (~Q(status="hidden") & Q(hidden_part="")),
                name="moderation_hidden_names_part",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="moderation_queue_idx")]

    def __str__(self) -> str:
        return f"{self.get_target_display()} {self.public_id}"
