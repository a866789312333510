"""Summary tables the dashboards read instead of the raw requests.

Every figure is about the requests *filed* on a day (their cohort) and their state now, so a row
changes when one of its requests changes and the refresh recomputes that request's filing day.
Open and overdue counts are stored too: "overdue" is the flag the deadline task sets, not a
comparison with the clock, so it changes only when a request is saved.

`DailySummary` holds one row per day × grid × service × handling organisation; `WeeklySummary` and
`MonthlySummary` the same per week and per month, derived from the daily rows in the same refresh,
and `YearlySummary` per calendar year, derived from the monthly rows, so a quarter's or a year's view
reads a fraction of the rows. The roll-up row of the current week, month or year holds the days
summarised so far. Durations are kept as histograms with fixed bucket edges
(`dashboards.figures.HOUR_EDGES`) so medians and 90th percentiles add up across rows.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboards.figures import HISTOGRAM_BUCKETS
from directory.models import Area, Organisation
from services.models import Service


class SummaryMeasures(models.Model):
    """The additive measures of a cohort of requests (see dashboards.figures.SUMMED_COLUMNS)."""

    # No database constraints and no index of their own: the rows are derived and rebuilt in bulk,
    # a foreign-key check and three index insertions per row would dominate the rebuild, and every
    # read goes by date (the unique index below). Areas, services and organisations with requests
    # are protected from deletion by the requests themselves.
    grid = models.ForeignKey(Area, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    service = models.ForeignKey(
        Service, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, null=True, related_name="+"
    )
    requests = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    accepted_in_sla = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_in_sla = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    rating_1 = models.PositiveIntegerField(default=0)
    rating_2 = models.PositiveIntegerField(default=0)
    rating_3 = models.PositiveIntegerField(default=0)
    rating_4 = models.PositiveIntegerField(default=0)
    rating_5 = models.PositiveIntegerField(default=0)
    # Histogram columns accept_b0 … and resolve_b0 …: one per bucket of HOUR_EDGES. Plain columns
    # rather than an array, because PostgreSQL sums columns but not arrays element by element.
    for _i in range(HISTOGRAM_BUCKETS):
        locals()[f"accept_b{_i}"] = models.PositiveIntegerField(default=0)
        locals()[f"resolve_b{_i}"] = models.PositiveIntegerField(default=0)
    del _i

    class Meta:
        abstract = True


# Each table's unique constraint also indexes the date ranges the dashboards read. Rows not yet
# routed (organisation NULL) are not held unique by it (NULLs are distinct); the GROUP BY that
# writes every row already makes them unique.
class DailySummary(SummaryMeasures):
    day = models.DateField(_("day"))

    class Meta:
        ordering = ["day"]
        verbose_name = _("daily request summary")
        verbose_name_plural = _("daily request summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "grid", "service", "organisation"],
                name="daily_summary_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} grid {self.grid_id} service {self.service_id}"


class WeeklySummary(SummaryMeasures):
    week = models.DateField(_("week"), help_text=_("The Monday the week starts on."))

    class Meta:
        ordering = ["week"]
        verbose_name = _("weekly request summary")
        verbose_name_plural = _("weekly request summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["week", "grid", "service", "organisation"],
                name="weekly_summary_unique",
            )
        ]

    def __str__(self) -> str:
        return f"week of {self.week} grid {self.grid_id} service {self.service_id}"


class MonthlySummary(SummaryMeasures):
    month = models.DateField(_("month"), help_text=_("The first day of the month."))

    class Meta:
        ordering = ["month"]
        verbose_name = _("monthly request summary")
        verbose_name_plural = _("monthly request summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "grid", "service", "organisation"],
                name="monthly_summary_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} grid {self.grid_id} service {self.service_id}"


class YearlySummary(SummaryMeasures):
    year = models.DateField(_("year"), help_text=_("The first day of the year."))

    class Meta:
        ordering = ["year"]
        verbose_name = _("yearly request summary")
        verbose_name_plural = _("yearly request summaries")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "grid", "service", "organisation"],
                name="yearly_summary_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year:%Y} grid {self.grid_id} service {self.service_id}"


class SummaryState(models.Model):
    """One row: how far the summaries reach. Days before `summarised_until` are in the tables;
    later days are computed live. `watermark` is when the last refresh started: requests changed
    since then (less a margin for transactions still open then) have their day recomputed."""

    singleton = models.BooleanField(primary_key=True, default=True)
    summarised_until = models.DateField()
    watermark = models.DateTimeField()
    refreshed_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True), name="summary_state_singleton")]

    def __str__(self) -> str:
        return f"summarised until {self.summarised_until}"


class DisplayLink(models.Model):
    """A read-only link to the command-centre screen for one area, for a wall display that has no
    staff session. Its URL carries a token signed with the secret key naming this row; the row is
    read on every request, so a revoke or an expiry counts from the very next one."""

    public_id = models.UUIDField(unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    created_by = models.ForeignKey(
        "security.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey("security.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The local day of the last use: the first use of each day is audited, later ones are not.
    last_used_on = models.DateField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("display link")
        verbose_name_plural = _("display links")
        indexes = [models.Index(fields=["area", "created_at"], name="display_link_area_idx")]

    def __str__(self) -> str:
        return self.name
