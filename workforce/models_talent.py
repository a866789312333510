"""The reserve talent pool (后备人才库): people a manager nominates to become community workers, with
their development plan, mentor and the managers' dated reviews (workforce.talent)."""

from django.db import models
from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area
from security.models import User


class Candidate(TimeStampedModel):
    """One nomination to the pool: who, for which community, why, and how they are being developed."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("In the pool")
        CLOSED = "closed", _("Left the pool")

    class Outcome(TextChoices):
        HIRED = "hired", _("Hired")
        WITHDREW = "withdrew", _("Withdrew")
        UNSUITABLE = "unsuitable", _("Not suitable")

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="talent_nominations")
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason for the nomination"))
    skills = models.JSONField(_("skills"), default=list, blank=True)
    development_plan = models.TextField(_("development plan"), blank=True)
    mentor = models.ForeignKey(
        "workforce.WorkerProfile", on_delete=models.PROTECT, null=True, blank=True, related_name="mentees"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    nominated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # Closing (workforce.talent.candidate_close): why they left the pool; the row stays as history.
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    hired_post = models.CharField(_("hired for post"), max_length=16, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["user__username", "pk"]
        verbose_name = _("reserve talent candidate")
        verbose_name_plural = _("reserve talent candidates")
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(status="active"), name="talent_one_active_nomination"),
            models.CheckConstraint(
                condition=(Q(status="active", outcome="", closed_on__isnull=True))
                | (Q(status="closed", closed_on__isnull=False) & ~Q(outcome="")),
                name="talent_closed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class CandidateReview(models.Model):
    """A manager's dated note on how a candidate is doing."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField(_("date"))
    note = models.TextField(_("review"))
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        verbose_name = _("candidate review")
        verbose_name_plural = _("candidate reviews")

    def __str__(self) -> str:
        return f"{self.candidate} {self.reviewed_on}"
