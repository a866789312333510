"""Elderly visits (走访): the intervals civil-affairs officers set, and each visit a grid worker
records. Who is on a worker's roster is not stored: it is the elderly and living-alone residents of
the grids their grid-worker role covers (workforce.visit_selectors), so a handover moves it."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from residents.models import ResidentProfile
from security.models import User


class VisitRules(models.Model):
    """One version of the visit intervals; the newest row is in force, so every roster can say which
    rules made a visit due."""

    old_age = models.PositiveSmallIntegerField(
        _("age from which a resident living alone counts as very old"), default=80
    )
    days_alone_old = models.PositiveSmallIntegerField(_("days between visits: living alone and very old"), default=7)
    days_alone = models.PositiveSmallIntegerField(_("days between visits: living alone"), default=14)
    days_other = models.PositiveSmallIntegerField(_("days between visits: other elderly residents"), default=30)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("visit rules")
        verbose_name_plural = _("visit rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(days_alone_old__gte=1, days_alone__gte=1, days_other__gte=1),
                name="visit_rules_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.created_at:%Y-%m-%d}" if self.created_at else "defaults"


class Visit(models.Model):
    """One visit to an elderly or living-alone resident. Personal data: read only through
    workforce.visit_selectors (scoped by grid), the needs encrypted at rest, every read of a
    resident's visits and every write audited."""

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")

    class Condition(models.TextChoices):
        GOOD = "good", _("Well")
        FAIR = "fair", _("Fair")
        POOR = "poor", _("Poorly")
        URGENT = "urgent", _("Needs help now")

    resident = models.ForeignKey(ResidentProfile, on_delete=models.CASCADE, related_name="visits", db_index=False)
    visitor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("date of the visit"))
    mode = models.CharField(_("how"), max_length=16, choices=Mode.choices)
    condition = models.CharField(_("condition"), max_length=16, choices=Condition.choices)
    # What the resident needs, in the worker's words: personal, so encrypted (security.personal_data).
    needs_encrypted = models.TextField(blank=True)
    # The service request a need became, filed on the resident's behalf from the visit.
    request = models.ForeignKey(
        "services.ServiceRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            # A roster's "last visited" is one index lookup per resident.
            models.Index(fields=["resident", "-visited_on"], name="visit_resident_latest"),
            models.Index(fields=["visitor", "visited_on"], name="visit_visitor_date"),
        ]

    def __str__(self) -> str:
        return f"{self.resident_id} {self.visited_on}"


class LastVisit(models.Model):
    """Each visited resident's latest visit date, so a roster joins it instead of looking up every
    resident's visits: a subdistrict's overdue list reads some 14,000 residents. Kept by a database
    trigger on every visit written (migration 0007), whoever writes it — the portal, the demo or a
    bulk load — so it cannot drift from the visits."""

    resident = models.OneToOneField(
        ResidentProfile, on_delete=models.CASCADE, primary_key=True, related_name="last_visit"
    )
    visited_on = models.DateField(_("last visited"))

    class Meta:
        verbose_name = _("last visit")
        verbose_name_plural = _("last visits")

    def __str__(self) -> str:
        return f"{self.resident_id} {self.visited_on}"
