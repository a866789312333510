"""The community workforce: worker profiles on the ladder of three posts and eighteen levels
(三岗十八级), the rules that propose each worker's level, the proposals and the level history.

Where a worker serves is not stored here: it is their grid-worker and community-staff role
assignments (security.RoleAssignment), read through workforce.selectors."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from security.models import User


class Post(models.TextChoices):
    HEAD = "head", _("Community head (社区正职)")
    DEPUTY = "deputy", _("Community deputy (社区副职)")
    OTHER = "other", _("Other community worker (其他社区工作者)")


# The band of levels each post spans on the national ladder (inclusive); the table's check
# constraint holds the same numbers.
POST_BANDS = {Post.HEAD: (7, 18), Post.DEPUTY: (4, 15), Post.OTHER: (1, 12)}


class Education(models.TextChoices):
    SECONDARY = "secondary", _("Secondary school or below")
    ASSOCIATE = "associate", _("Associate degree (大专)")
    BACHELOR = "bachelor", _("Bachelor's degree (本科)")
    MASTER = "master", _("Master's degree or above (硕士及以上)")


class Qualification(models.TextChoices):
    NONE = "", _("None")
    ASSISTANT = "assistant", _("Assistant social worker (助理社会工作师)")
    SOCIAL_WORKER = "social_worker", _("Social worker (社会工作师)")
    SENIOR = "senior", _("Senior social worker (高级社会工作师)")


class Skill(models.TextChoices):
    ELDERLY_CARE = "elderly_care", _("Elderly care")
    MEDIATION = "mediation", _("Mediation")
    PARTY_BUILDING = "party_building", _("Party building")
    DIGITAL = "digital", _("Digital skills")
    CHILD_CARE = "child_care", _("Children and youth")
    DISABILITY = "disability", _("Disability support")
    EMERGENCY = "emergency", _("Emergencies and safety")
    LAW = "law", _("Legal advice")


def _band_condition() -> Q:
    condition = Q()
    for post, (low, high) in POST_BANDS.items():
        condition |= Q(post=post, level__gte=low, level__lte=high)
    return condition


class WorkerProfile(TimeStampedModel):
    """A community worker: their post and level, what they bring, and the phone residents reach them on."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="worker_profile")
    post = models.CharField(_("post"), max_length=16, choices=Post.choices)
    level = models.PositiveSmallIntegerField(_("level"))
    # Community staff flagged as their community's head manage its workers (workforce.selectors):
    # a fact of the person's post in the community, so it lives on the profile, not on the role.
    is_head = models.BooleanField(_("heads the community"), default=False)
    date_joined = models.DateField(_("date joined"))
    education = models.CharField(_("education"), max_length=16, choices=Education.choices)
    qualification = models.CharField(
        _("professional qualification"), max_length=16, choices=Qualification.choices, blank=True
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.CharField(_("languages and dialects"), max_length=200, blank=True)
    # Public by design: residents see it as 「联系网格员」.
    work_phone = models.CharField(_("work phone"), max_length=20, blank=True)
    # Personal: encrypted at rest, shown masked (security.personal_data).
    personal_phone_encrypted = models.TextField(blank=True)

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("worker profile")
        verbose_name_plural = _("worker profiles")
        constraints = [models.CheckConstraint(condition=_band_condition(), name="worker_level_within_post_band")]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class LevelRules(models.Model):
    """One version of the rules that propose levels; the newest row is in force. Civil-affairs
    officers change them by adding a version, so every proposal can name the rules it used."""

    years_per_step = models.PositiveSmallIntegerField(_("years of service per level"), default=3)
    step_associate = models.PositiveSmallIntegerField(_("levels for an associate degree"), default=0)
    step_bachelor = models.PositiveSmallIntegerField(_("levels for a bachelor's degree"), default=1)
    step_master = models.PositiveSmallIntegerField(_("levels for a master's degree or above"), default=2)
    step_assistant = models.PositiveSmallIntegerField(_("levels for assistant social worker"), default=1)
    step_social_worker = models.PositiveSmallIntegerField(_("levels for social worker"), default=2)
    step_senior = models.PositiveSmallIntegerField(_("levels for senior social worker"), default=3)
    # Last year's final assessment graded excellent (优秀) adds these levels (workforce.assessment).
    step_excellent = models.PositiveSmallIntegerField(_("levels for an excellent assessment last year"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("level rules")
        verbose_name_plural = _("level rules")
        constraints = [models.CheckConstraint(condition=Q(years_per_step__gte=1), name="level_rules_years_positive")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.created_at:%Y-%m-%d}" if self.created_at else "defaults"


class LevelProposal(models.Model):
    """A level the rules propose for a worker, waiting for a manager to confirm it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        SUPERSEDED = "superseded", _("Superseded")
        DISMISSED = "dismissed", _("Dismissed")

    profile = models.ForeignKey(WorkerProfile, on_delete=models.CASCADE, related_name="level_proposals")
    current_level = models.PositiveSmallIntegerField(_("level then"))
    proposed_level = models.PositiveSmallIntegerField(_("proposed level"))
    rules = models.ForeignKey(LevelRules, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The inputs the rules were applied to, so the proposal can always be explained.
    inputs = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("level proposal")
        verbose_name_plural = _("level proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["profile"], condition=Q(status="pending"), name="level_proposal_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile} → {self.proposed_level}"


class LevelChange(models.Model):
    """One change of a worker's level, with who made it and why."""

    profile = models.ForeignKey(WorkerProfile, on_delete=models.CASCADE, related_name="level_changes")
    from_level = models.PositiveSmallIntegerField(_("from level"))
    to_level = models.PositiveSmallIntegerField(_("to level"))
    reason = models.TextField(_("reason"))
    proposal = models.OneToOneField(
        LevelProposal, on_delete=models.PROTECT, null=True, blank=True, related_name="change"
    )
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")

    def __str__(self) -> str:
        return f"{self.profile}: {self.from_level} → {self.to_level}"


from workforce.models_assessment import Assessment, AssessmentWeights  # noqa: E402,F401  (the yearly assessment)
from workforce.models_talent import Candidate, CandidateReview  # noqa: E402,F401  (the reserve talent pool)
from workforce.models_training import Certificate, Course, Enrolment  # noqa: E402,F401  (training, certificates)
from workforce.models_visits import LastVisit, Visit, VisitRules  # noqa: E402,F401  (elderly visits)
