"""The yearly assessment (考核, issue 18 item 8): the weights and grade thresholds civil-affairs
officers set, and each worker's assessment for a year. How the component scores are computed from
the casework figures is written once, in workforce.assessment."""

from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from security.models import User
from workforce.models import WorkerProfile

# The weighted components, in the order pages show them: (weight field, score field).
COMPONENTS = (
    ("casework", "casework_score"),
    ("satisfaction", "satisfaction_score"),
    ("visits", "visits_score"),
    ("training", "training_score"),
    ("manager", "manager_rating"),
)


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent (优秀)")
    COMPETENT = "competent", _("Competent (合格)")
    BASIC = "basic", _("Basically competent (基本合格)")
    NOT_COMPETENT = "not_competent", _("Not competent (不合格)")


class AssessmentWeights(models.Model):
    """One version of the weights and grade thresholds; the newest row is in force, and every
    assessment names the version it used. Weights are whole percentages summing to 100."""

    casework = models.PositiveSmallIntegerField(_("weight of casework (%)"), default=30)
    satisfaction = models.PositiveSmallIntegerField(_("weight of residents' satisfaction (%)"), default=20)
    visits = models.PositiveSmallIntegerField(_("weight of elderly visits (%)"), default=20)
    training = models.PositiveSmallIntegerField(_("weight of training (%)"), default=10)
    manager = models.PositiveSmallIntegerField(_("weight of the manager's rating (%)"), default=20)
    excellent_from = models.PositiveSmallIntegerField(_("excellent (优秀) from a total of"), default=90)
    competent_from = models.PositiveSmallIntegerField(_("competent (合格) from a total of"), default=75)
    basic_from = models.PositiveSmallIntegerField(_("basically competent (基本合格) from a total of"), default=60)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("assessment weights")
        verbose_name_plural = _("assessment weights")
        constraints = [
            # Weights are never negative, so summing to 100 also keeps each within 0–100.
            models.CheckConstraint(
                condition=Exact(F("casework") + F("satisfaction") + F("visits") + F("training") + F("manager"), 100),
                name="assessment_weights_sum_100",
            ),
            models.CheckConstraint(
                condition=Q(
                    excellent_from__lte=100,
                    excellent_from__gt=F("competent_from"),
                    competent_from__gt=F("basic_from"),
                    basic_from__gte=1,
                ),
                name="assessment_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.created_at:%Y-%m-%d}" if self.created_at else "defaults"


class Assessment(TimeStampedModel):
    """A worker's assessment for a year. A draft is refreshed by the yearly run (and when their manager
    rates them); a manager finalises it, the worker then sees it, and nothing changes it after."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Final")

    profile = models.ForeignKey(WorkerProfile, on_delete=models.PROTECT, related_name="assessments")
    year = models.PositiveSmallIntegerField(_("year"))
    # Component scores 0–100 (workforce.assessment.component_scores). None: nothing to measure that
    # year (no rated request, nobody on the roster, no required course, not rated yet); its weight
    # is then shared among the others.
    casework_score = models.PositiveSmallIntegerField(_("casework"), null=True, blank=True)
    satisfaction_score = models.PositiveSmallIntegerField(_("residents' satisfaction"), null=True, blank=True)
    visits_score = models.PositiveSmallIntegerField(_("elderly visits"), null=True, blank=True)
    training_score = models.PositiveSmallIntegerField(_("training"), null=True, blank=True)
    manager_rating = models.PositiveSmallIntegerField(_("manager's rating"), null=True, blank=True)
    rated_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    total = models.PositiveSmallIntegerField(_("total"))
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices)
    weights = models.ForeignKey(AssessmentWeights, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The figures and weights the scores came from, so the assessment can always be explained.
    figures = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    finalised_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "profile_id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(fields=["profile", "year"], name="assessment_one_per_worker_year"),
            models.CheckConstraint(
                condition=Q(total__lte=100)
                & (Q(casework_score__isnull=True) | Q(casework_score__lte=100))
                & (Q(satisfaction_score__isnull=True) | Q(satisfaction_score__lte=100))
                & (Q(visits_score__isnull=True) | Q(visits_score__lte=100))
                & (Q(training_score__isnull=True) | Q(training_score__lte=100))
                & (Q(manager_rating__isnull=True) | Q(manager_rating__lte=100)),
                name="assessment_scores_0_100",
            ),
            # A final assessment carries the manager's rating and who finalised it.
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(manager_rating__isnull=False, finalised_by__isnull=False, finalised_at__isnull=False),
                name="assessment_final_is_rated",
            ),
        ]
        indexes = [models.Index(fields=["year", "status"], name="assessment_year_status")]

    def __str__(self) -> str:
        return f"{self.profile} {self.year}"
