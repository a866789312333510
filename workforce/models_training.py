"""Training (issue 18, item 3): courses set by civil-affairs (民政) officers, workers' enrolments and
completions, and the certificate a passed completion earns, checked by its code on a public page."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from security.models import User
from workforce.models import WorkerProfile


class Course(models.Model):
    class Kind(models.TextChoices):
        ONLINE = "online", _("Online material")
        SESSION = "session", _("Session with a time and place")

    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    starts_at = models.DateTimeField(_("time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    # The posts (workforce.models.Post values) whose workers must take the course.
    required_posts = models.JSONField(_("required for posts"), default=list, blank=True)
    validity_months = models.PositiveSmallIntegerField(_("certificate valid for (months)"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title


class Enrolment(models.Model):
    """A worker on a course; completed once, with a score from 0 to 100. A failed or expiring completion
    is retaken with a new enrolment, so earlier completions and their certificates stay as history."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    profile = models.ForeignKey(WorkerProfile, on_delete=models.PROTECT, related_name="enrolments")
    enrolled_at = models.DateTimeField(auto_now_add=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # A session's attendance, recorded by a manager or 民政; a session's completion requires it.
    attended = models.BooleanField(_("attended"), default=False)
    attendance_recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            # One enrolment not yet completed per worker and course; completed ones are the history.
            models.UniqueConstraint(
                fields=["course", "profile"],
                condition=Q(completed_on__isnull=True),
                name="enrolment_one_open_per_course",
            ),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=100), name="enrolment_score_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.profile} · {self.course}"


class Certificate(models.Model):
    """Earned by a passed completion; anyone may check its code (only name, course and dates show)."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="certificate")
    code = models.CharField(_("verification code"), max_length=16, unique=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.code
