"""Residents' proposals (居民提议): a verified resident proposes something for their community, neighbours
support it, and once enough have (the threshold fixed when it was published) the community must answer
within 15 days. See docs/participation.md, "Proposals"."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area, Organisation
from security.models import User


class ProposalStatus(models.TextChoices):
    PUBLISHED = "published", _("Gathering support")
    THRESHOLD_REACHED = "threshold_reached", _("Awaiting an answer")
    ACCEPTED = "accepted", _("Accepted")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class ProposalCategory(models.TextChoices):
    ENVIRONMENT = "environment", _("Environment and greenery")
    FACILITIES = "facilities", _("Facilities and repairs")
    SAFETY = "safety", _("Safety")
    TRAFFIC = "traffic", _("Traffic and parking")
    ACTIVITIES = "activities", _("Activities and services")
    OTHER = "other", _("Other")


class CommunityProposalSetting(TimeStampedModel):
    """The number of supporters a proposal in `community` needs, set by its community staff. Without
    a row the default applies (participation.proposals.default_threshold)."""

    community = models.OneToOneField(Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("community"))
    support_threshold = models.PositiveIntegerField(_("supporters needed"))
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("proposal setting")
        verbose_name_plural = _("proposal settings")
        constraints = [
            models.CheckConstraint(condition=Q(support_threshold__gte=1), name="proposal_setting_threshold_positive")
        ]

    def __str__(self) -> str:
        return f"{self.community_id}: {self.support_threshold}"


class Proposal(TimeStampedModel):
    """A proposal in one community. `support_count` is kept in step with the ProposalSupport rows
    under a lock on this row; `support_threshold` is fixed at publication. `author` is cleared when
    the author's account is deleted: the proposal belongs to the community by then."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("community"))
    author = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposals", verbose_name=_("author")
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("proposal"), max_length=5000)
    category = models.CharField(_("category"), max_length=16, choices=ProposalCategory.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.PUBLISHED
    )
    support_threshold = models.PositiveIntegerField(_("supporters needed"))
    support_count = models.PositiveIntegerField(_("supporters"), default=0)
    threshold_reached_at = models.DateTimeField(_("threshold reached"), null=True, blank=True)
    answer_due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    answer = models.TextField(_("answer"), max_length=5000, blank=True)
    plan = models.TextField(_("plan"), max_length=5000, blank=True)
    responsible_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible organisation"),
    )
    answered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    progress_note = models.TextField(_("progress"), max_length=5000, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # Set by a moderator (participation.moderation): the title, text and photos leave every page
    # but the author's and the community staff's, like a request's hidden description.
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True)
    hidden_reason = models.TextField(_("reason for hiding"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="proposal_title_not_empty"),
            models.CheckConstraint(condition=Q(status__in=ProposalStatus.values), name="proposal_status_valid"),
            models.CheckConstraint(condition=Q(category__in=ProposalCategory.values), name="proposal_category_valid"),
            models.CheckConstraint(condition=Q(support_threshold__gte=1), name="proposal_threshold_positive"),
            models.CheckConstraint(
                condition=Q(status="published") | Q(answer_due_at__isnull=False), name="proposal_due_once_reached"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status"], name="proposal_community_status_idx"),
            models.Index(fields=["status", "answer_due_at"], name="proposal_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ProposalSupport(TimeStampedModel):
    """That `user` supports `proposal`: counted in public, never shown by name."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="proposal_supports")

    class Meta:
        ordering = ["proposal_id", "created_at"]
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="proposal_support_once")]
        indexes = [models.Index(fields=["user"], name="proposal_support_user_idx")]

    def __str__(self) -> str:
        return f"{self.proposal_id} · {self.user_id}"


class ProposalPhotoStage(models.TextChoices):
    PROPOSAL = "proposal", _("With the proposal")
    DONE = "done", _("Of the work done")


def proposal_photo_path(photo: "ProposalPhoto", filename: str) -> str:
    # The stored name says nothing about the proposal or the person: only a random id.
    return f"proposal-photos/{photo.public_id.hex[:2]}/{photo.public_id.hex}.{photo.extension}"


class ProposalPhoto(models.Model):
    """A photo with a proposal or of the work done (up to 6 each), re-encoded without EXIF by
    services.photos, stored outside the static files and served only through
    participation.views.proposals.proposal_photo to those who may read the proposal."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(max_length=16, choices=ProposalPhotoStage.choices)
    image = models.FileField(upload_to=proposal_photo_path)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stage__in=ProposalPhotoStage.values), name="proposal_photo_stage_valid")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} photo {self.public_id}"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[self.content_type]


class ProposalComment(TimeStampedModel):
    """A comment on a proposal by a verified resident of its community or by the staff over it
    (`is_official`). `author` is cleared when the account is deleted: the comment stays, anonymous,
    as a request's messages do. A moderator may hide it (`hidden_at`): it leaves the public list."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposal_comments")
    body = models.TextField(_("comment"), max_length=1000)
    is_official = models.BooleanField(_("official"), default=False)
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True)
    hidden_reason = models.TextField(_("reason for hiding"), max_length=1000, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("proposal comment")
        verbose_name_plural = _("proposal comments")
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="proposal_comment_not_empty")]
        indexes = [
            models.Index(fields=["proposal", "created_at"], name="proposal_comment_list_idx"),
            models.Index(fields=["author"], name="proposal_comment_author_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} comment {self.public_id}"


class ProposalFollow(models.Model):
    """That `user` is told of every change to `proposal`: the one list of who is told. The author
    and each supporter are made followers; anyone who may read the proposal may follow or unfollow."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="proposal_follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proposal_id", "user_id"]
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="proposal_follow_once")]
        indexes = [models.Index(fields=["user"], name="proposal_follow_user_idx")]

    def __str__(self) -> str:
        return f"{self.proposal_id} · {self.user_id}"


class ProposalUpdate(models.Model):
    """A change to a proposal its followers are told of. Written in the change's transaction (one row,
    however many followers); a task started on commit tells them in batches, the hourly sweep
    finishes what a lost task left (participation.proposals.proposal_update_tell)."""

    key = models.CharField(max_length=200, unique=True)
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # The person whose act this is (a staff comment's writer): not told of their own act.
    exclude_user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["created_at"], name="proposal_update_pending_idx", condition=Q(told_at__isnull=True))
        ]

    def __str__(self) -> str:
        return self.key
