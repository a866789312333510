"""The government guarantee mechanism (政府保障机制, issue 19): the smart-community construction
projects (智慧社区建设项目) with their budgets, spending, milestones and acceptance, and the indicator
system (评价指标体系) every community is assessed against, round by round.

A project's status and delay are never stored: they follow from its milestones and its acceptance
(programme.projects.project_status). What a project has spent is kept on the project row by the one
service that records spending, under the row's lock, and a database check holds it within the budget
plus the approved adjustments, so no pair of concurrent entries can overspend.
"""

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TimeStampedModel
from directory.models import Area, BilingualNameMixin, Organisation
from security.models import User

MONEY = {"max_digits": 14, "decimal_places": 2}


class StoredFile(models.Model):
    """An uploaded image or PDF (cleaned as a notice's attachment is: participation.notices
    .notice_attachment_clean), stored under a random name and served only to those who may read what
    it belongs to."""

    file = models.FileField(upload_to="programme/")
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


# --- construction projects -----------------------------------------------------------------------
class FundingSource(models.TextChoices):
    DISTRICT_BUDGET = "district_budget", _("District budget")
    HIGHER_LEVEL = "higher_level", _("Higher-level funds")
    ENTERPRISE = "enterprise", _("Enterprise")
    SOCIAL_CAPITAL = "social_capital", _("Social capital")


class AcceptanceDecision(models.TextChoices):
    ACCEPTED = "accepted", pgettext_lazy("project acceptance", "Accepted")
    REFUSED = "refused", pgettext_lazy("project acceptance", "Not accepted")


class ConstructionProject(TimeStampedModel):
    """A smart-community construction project (智慧社区建设项目), registered by an officer of the
    district or a subdistrict (`area`): officers of that area's subtree manage it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("project name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered for"))
    communities = models.ManyToManyField(Area, related_name="+", verbose_name=_("communities covered"))
    department = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible department")
    )
    partners = models.ManyToManyField(
        Organisation, blank=True, related_name="construction_projects", verbose_name=_("partner enterprises")
    )
    funding_source = models.CharField(_("funding source"), max_length=24, choices=FundingSource.choices)
    budget = models.DecimalField(_("approved budget (yuan)"), **MONEY)
    # The sum of the approved budget adjustments (negative when the budget was cut), and of the
    # spending entries: kept by programme.projects under this row's lock, checked by the database.
    adjustments = models.DecimalField(_("approved adjustments (yuan)"), default=0, **MONEY)
    spent = models.DecimalField(_("spent to date (yuan)"), default=0, **MONEY)
    acceptance_decision = models.CharField(
        _("acceptance decision"), max_length=16, choices=AcceptanceDecision.choices, blank=True
    )
    acceptance_date = models.DateField(_("acceptance date"), null=True, blank=True)
    acceptance_note = models.TextField(_("acceptance opinion"), blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("construction project")
        verbose_name_plural = _("construction projects")
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="project_budget_positive"),
            models.CheckConstraint(condition=Q(spent__gte=0), name="project_spent_not_negative"),
            models.CheckConstraint(
                condition=Q(spent__lte=F("budget") + F("adjustments")), name="project_spent_within_budget"
            ),
            models.CheckConstraint(condition=Q(funding_source__in=FundingSource.values), name="project_funding_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def approved_budget(self):
        return self.budget + self.adjustments


class Milestone(models.Model):
    project = models.ForeignKey(ConstructionProject, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("milestone"), max_length=200)
    planned_date = models.DateField(_("planned date"))
    actual_date = models.DateField(_("date reached"), null=True, blank=True)
    note = models.CharField(_("remarks"), max_length=500, blank=True)

    class Meta:
        ordering = ["planned_date", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        indexes = [
            # The delayed projects: a milestone past its planned date and not reached.
            models.Index(fields=["planned_date"], condition=Q(actual_date__isnull=True), name="milestone_open_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Deliverable(models.Model):
    project = models.ForeignKey(ConstructionProject, on_delete=models.CASCADE, related_name="deliverables")
    name = models.CharField(_("deliverable"), max_length=200)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")

    def __str__(self) -> str:
        return self.name


class ProjectSpend(StoredFile):
    """One spending entry. Entries are never edited or deleted: a mistake is put right by a negative
    entry (a correction) that names the entry it corrects."""

    project = models.ForeignKey(ConstructionProject, on_delete=models.PROTECT, related_name="spends")
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    spent_on = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=300)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-spent_on", "-pk"]
        verbose_name = _("spending entry")
        verbose_name_plural = _("spending entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(amount__lt=0, corrects__isnull=False), name="project_spend_amount_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.purpose}"


class BudgetAdjustment(TimeStampedModel):
    """A change of a project's budget, asked for by an officer and decided by a district leader
    (never the one who asked)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    project = models.ForeignKey(ConstructionProject, on_delete=models.PROTECT, related_name="adjustment_requests")
    amount = models.DecimalField(_("change (yuan)"), **MONEY)
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("budget adjustment")
        verbose_name_plural = _("budget adjustments")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="budget_adjustment_not_zero"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="pending"), name="budget_adjustment_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.amount:+}"


class ProjectDocument(StoredFile):
    """A document of a project: its acceptance papers, plans, photos of the work."""

    class Kind(models.TextChoices):
        ACCEPTANCE = "acceptance", _("Acceptance")
        OTHER = "other", _("Other")

    project = models.ForeignKey(ConstructionProject, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")

    def __str__(self) -> str:
        return self.file_name


# --- the indicator system ------------------------------------------------------------------------
class IndicatorGroup(models.TextChoices):
    SERVICE = "service", _("Services")
    PARTICIPATION = "participation", _("Participation")
    WORKFORCE = "workforce", _("Workforce")
    DATA_SHARING = "data_sharing", _("Data sharing")
    SECURITY = "security", _("Security")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")


class IndicatorSystem(TimeStampedModel):
    """One version of a district's indicator system. A draft is edited; publishing puts it in force
    (retiring the one before); a change to a system in force is made on a new draft copied from it,
    so a round keeps the version it was assessed by."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_FORCE = "in_force", _("In force")
        RETIRED = "retired", _("Retired")

    district = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["district_id", "-version"]
        verbose_name = _("indicator system")
        verbose_name_plural = _("indicator systems")
        constraints = [
            models.UniqueConstraint(fields=["district", "version"], name="indicator_system_version_unique"),
            models.UniqueConstraint(
                fields=["district"], condition=Q(status="in_force"), name="indicator_system_one_in_force"
            ),
            models.UniqueConstraint(
                fields=["district"], condition=Q(status="draft"), name="indicator_system_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class Indicator(BilingualNameMixin, models.Model):
    """One indicator of a system: its weight (whole percents; a system's sum to 100 when published),
    its target and direction, and where its value comes from: a computation over the portal's own data
    (a key of programme.indicators.COMPUTATIONS) or a figure the community reports with evidence."""

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class Source(models.TextChoices):
        COMPUTED = "computed", _("Computed from the portal's data")
        REPORTED = "reported", _("Reported by the community")

    system = models.ForeignKey(IndicatorSystem, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("code"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    group = models.CharField(_("group"), max_length=24, choices=IndicatorGroup.choices)
    weight = models.PositiveSmallIntegerField(_("weight (%)"))
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=4)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    computation = models.CharField(_("computation"), max_length=40, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["system_id", "order", "pk"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="indicator_code_unique"),
            models.CheckConstraint(
                condition=(Q(source="computed") & ~Q(computation="")) | Q(source="reported", computation=""),
                name="indicator_source_computation",
            ),
            models.CheckConstraint(condition=Q(weight__lte=100), name="indicator_weight_max_100"),
            models.CheckConstraint(condition=Q(target__gte=0), name="indicator_target_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name  # in the reader's language (BilingualNameMixin)


# --- assessment rounds ---------------------------------------------------------------------------
class AssessmentRound(TimeStampedModel):
    """A round (e.g. a half-year) in which every community of a district is assessed by one version of
    the indicator system. Open: the computed indicators are (re)computed, communities report theirs and
    the subdistricts check them. Closed: every community's score, breakdown and ranks are final."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("assessment round", "Open")
        CLOSED = "closed", pgettext_lazy("assessment round", "Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey(IndicatorSystem, on_delete=models.PROTECT, related_name="rounds")
    name = models.CharField(_("name"), max_length=100)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    report_due = models.DateField(_("reports due by"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    computed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-period_end", "-pk"]
        verbose_name = _("assessment round")
        verbose_name_plural = _("assessment rounds")
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="round_period_ordered"),
            models.UniqueConstraint(fields=["district", "period_start", "period_end"], name="round_period_unique"),
        ]
        indexes = [models.Index(fields=["district", "status", "-period_end"], name="round_district_idx")]

    def __str__(self) -> str:
        return self.name


class IndicatorReport(TimeStampedModel, StoredFile):
    """A community's reported figure for a reported indicator, with its evidence, and the
    subdistrict's check. A rejected report may be appealed once, with new evidence (the appeal_*
    fields); the subdistrict then decides again, finally."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for the subdistrict's check")
        ACCEPTED = "accepted", pgettext_lazy("indicator report", "Accepted")
        REJECTED = "rejected", pgettext_lazy("indicator report", "Rejected")
        APPEALED = "appealed", _("Appealed")
        APPEAL_ACCEPTED = "appeal_accepted", _("Accepted on appeal")
        APPEAL_REJECTED = "appeal_rejected", _("Rejected on appeal")

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="reports")
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    note = models.CharField(_("remarks"), max_length=1000, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    reported_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    checked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)
    check_reason = models.CharField(_("reason"), max_length=1000, blank=True)
    appeal_note = models.CharField(_("grounds of appeal"), max_length=1000, blank=True)
    appeal_file = models.FileField(upload_to="programme/", blank=True)
    appeal_file_name = models.CharField(max_length=200, blank=True)
    appeal_content_type = models.CharField(max_length=64, blank=True)
    appeal_size = models.PositiveIntegerField(default=0)
    appealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round_id", "community_id", "indicator_id"]
        verbose_name = _("indicator report")
        verbose_name_plural = _("indicator reports")
        constraints = [
            models.UniqueConstraint(fields=["round", "community", "indicator"], name="indicator_report_unique"),
            models.CheckConstraint(condition=Q(value__gte=0), name="indicator_report_value_not_negative"),
        ]
        indexes = [models.Index(fields=["round", "status"], name="indicator_report_status_idx")]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.value}"


class IndicatorValue(models.Model):
    """One community's value and score (0–100) on one indicator in a round: computed ones written by
    the round's computation, reported ones once accepted. `value` is None when there was nothing to
    measure (the indicator's weight is then shared among the others)."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="indicator_values")
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    # What the value was computed from (counts), so a result can be explained.
    inputs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["round_id", "community_id", "indicator_id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "community", "indicator"], name="indicator_value_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.value}"


class CommunityScore(models.Model):
    """A community's total in a closed round, its ranks, and the change since the district's round
    before."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="scores")
    community = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    subdistrict = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    total = models.DecimalField(max_digits=5, decimal_places=2)
    rank_in_subdistrict = models.PositiveIntegerField()
    rank_in_district = models.PositiveIntegerField()
    previous_total = models.DecimalField(max_digits=5, decimal_places=2, null=True)

    class Meta:
        ordering = ["round_id", "rank_in_district", "community_id"]
        constraints = [models.UniqueConstraint(fields=["round", "community"], name="community_score_unique")]

    def __str__(self) -> str:
        return f"{self.community} · {self.total}"

    @property
    def change(self):
        return None if self.previous_total is None else self.total - self.previous_total
