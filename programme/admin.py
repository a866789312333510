"""The programme's tables in the admin, read-only: they change only through the audited services."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from programme.models import (
    AssessmentRound,
    BudgetAdjustment,
    CommunityScore,
    ConstructionProject,
    Deliverable,
    Indicator,
    IndicatorReport,
    IndicatorSystem,
    IndicatorValue,
    Milestone,
    ProjectDocument,
    ProjectSpend,
)


@admin.register(ConstructionProject)
class ConstructionProjectAdmin(ReadOnlyAdmin):
    list_display = ("name", "area", "funding_source", "budget", "adjustments", "spent", "acceptance_decision")
    list_filter = ("funding_source", "acceptance_decision")
    search_fields = ("name",)
    list_select_related = ("area",)


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ("name", "project", "planned_date", "actual_date")
    list_select_related = ("project",)


@admin.register(Deliverable)
class DeliverableAdmin(ReadOnlyAdmin):
    list_display = ("name", "project", "delivered_on")
    list_select_related = ("project",)


@admin.register(ProjectSpend)
class ProjectSpendAdmin(ReadOnlyAdmin):
    list_display = ("project", "amount", "spent_on", "purpose", "corrects")
    list_select_related = ("project",)
    # The document is served by the permission-checked view, never from a media URL.
    exclude = ("file",)


@admin.register(BudgetAdjustment)
class BudgetAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ("project", "amount", "status", "created_at", "decided_at")
    list_filter = ("status",)
    list_select_related = ("project",)


@admin.register(ProjectDocument)
class ProjectDocumentAdmin(ReadOnlyAdmin):
    list_display = ("file_name", "project", "kind", "created_at")
    list_filter = ("kind",)
    list_select_related = ("project",)
    exclude = ("file",)


@admin.register(IndicatorSystem)
class IndicatorSystemAdmin(ReadOnlyAdmin):
    list_display = ("district", "version", "status", "published_at")
    list_filter = ("status",)


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ("code", "name_zh", "system", "group", "weight", "target", "direction", "source")
    list_filter = ("group", "source")


@admin.register(AssessmentRound)
class AssessmentRoundAdmin(ReadOnlyAdmin):
    list_display = ("name", "district", "period_start", "period_end", "status", "computed_at", "closed_at")
    list_filter = ("status",)


@admin.register(IndicatorReport)
class IndicatorReportAdmin(ReadOnlyAdmin):
    list_display = ("round", "community", "indicator", "value", "status")
    list_filter = ("status",)
    exclude = ("file", "appeal_file")


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ReadOnlyAdmin):
    list_display = ("round", "community", "indicator", "value", "score")


@admin.register(CommunityScore)
class CommunityScoreAdmin(ReadOnlyAdmin):
    list_display = ("round", "community", "total", "rank_in_subdistrict", "rank_in_district", "previous_total")
