"""Polls and consultations (民意调查) with a secret ballot: `Ballot` and `BallotAnswer` say what was
chosen, `PollVoter` says who voted, and no column joins the two. See docs/participation.md, "Polls
and the secret ballot"."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area
from residents.models import ResidentProfile
from security.models import User


class PollResultsShown(models.TextChoices):
    LIVE = "live", _("While the poll is open")
    AFTER_CLOSING = "after_closing", _("Only after it closes")


class PollQuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")


class Poll(TimeStampedModel):
    """A poll or consultation for the verified residents of one area's subtree. It can be changed
    only before it opens; it may be closed early, which sets `closes_at` to the moment of closing."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    results_shown = models.CharField(
        _("results shown"), max_length=16, choices=PollResultsShown.choices, default=PollResultsShown.AFTER_CLOSING
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    closed_early_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    closed_early_at = models.DateTimeField(_("closed early"), null=True, blank=True)
    # Optionally, the proposal of a community in the poll's area that the poll asks residents about.
    proposal = models.ForeignKey(
        "participation.Proposal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="polls",
        verbose_name=_("about the proposal"),
    )

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="poll_closes_after_opening"),
            models.CheckConstraint(condition=~Q(title=""), name="poll_title_not_empty"),
            models.CheckConstraint(condition=Q(results_shown__in=PollResultsShown.values), name="poll_results_valid"),
        ]
        indexes = [models.Index(fields=["area", "opens_at"], name="poll_area_opens_idx")]

    def __str__(self) -> str:
        return self.title


class PollQuestion(TimeStampedModel):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=16, choices=PollQuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    # Multiple choice: at most this many options may be ticked.
    max_choices = models.PositiveSmallIntegerField(_("at most this many choices"), null=True, blank=True)

    class Meta:
        ordering = ["poll_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="poll_question_position_unique"),
            models.CheckConstraint(condition=Q(kind__in=PollQuestionKind.values), name="poll_question_kind_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="poll_question_text_not_empty"),
            models.CheckConstraint(
                condition=Q(kind="multiple", max_choices__gte=1) | (~Q(kind="multiple") & Q(max_choices__isnull=True)),
                name="poll_question_max_only_for_multiple",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class PollOption(TimeStampedModel):
    question = models.ForeignKey(PollQuestion, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("option"), max_length=200)

    class Meta:
        ordering = ["question_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="poll_option_position_unique"),
            models.CheckConstraint(condition=~Q(text=""), name="poll_option_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text


class Ballot(models.Model):
    """One cast ballot, apart from who cast it.

    Deliberately not a TimeStampedModel, the one exception to timestamps on every table: a time
    on a ballot could be matched with the time of the voter's "voted" record or audit event, and
    that would reveal the vote. Likewise no link to the voter, and a random UUID as the primary key
    instead of a sequence whose order would follow the order of voting (and so the order of
    PollVoter rows and audit events). `community` is the voter's community when they voted, for
    results per community, which are shown only where a community has at least 10 ballots.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="ballots")
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")

    class Meta:
        # Random: listing ballots in their default order says nothing about when they were cast.
        ordering = ["id"]
        indexes = [models.Index(fields=["poll", "community"], name="ballot_poll_community_idx")]

    def __str__(self) -> str:
        return str(self.id)


class BallotAnswer(models.Model):
    """One ticked option, or the free text given, on a ballot. Like the ballot: a random key, no
    time (see Ballot)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(PollQuestion, on_delete=models.PROTECT, related_name="+")
    option = models.ForeignKey(PollOption, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    text = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(option__isnull=False) & Q(text="")) | (Q(option__isnull=True) & ~Q(text="")),
                name="ballot_answer_option_or_text",
            ),
            # The same option twice on one ballot would count twice.
            models.UniqueConstraint(
                fields=["ballot", "option"], condition=Q(option__isnull=False), name="ballot_answer_option_once"
            ),
        ]
        indexes = [models.Index(fields=["question", "option"], name="ballot_answer_tally_idx")]

    def __str__(self) -> str:
        return str(self.id)


class PollVoter(models.Model):
    """That a person has voted in a poll, and nothing about how.

    One ballot per verified resident is enforced here, by the database: this row is inserted in
    the ballot's transaction, and a second vote fails on these unique constraints. Both the account
    and its register entry are keyed, so deleting an account and verifying a new one as the same
    resident does not give a second vote (on deletion `user` is cleared, `resident` stays).
    `voted_at` is safe to keep because the ballot has no time to match it with; the audit log
    records the same moment anyway.
    """

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="voters")
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="poll_votes")
    resident = models.ForeignKey(ResidentProfile, on_delete=models.CASCADE, related_name="+")
    voted_at = models.DateTimeField()

    class Meta:
        ordering = ["poll_id", "voted_at"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "user"], name="poll_voter_once_per_account"),
            models.UniqueConstraint(fields=["poll", "resident"], name="poll_voter_once_per_resident"),
        ]
        indexes = [models.Index(fields=["user"], name="poll_voter_user_idx")]

    def __str__(self) -> str:
        return f"{self.poll_id} · {self.user_id}"
