from django.contrib import admin

from core.admin import ReadOnlyAdmin
from residents.models import Household, ResidentProfile


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["address", "grid", "created_at"]
    search_fields = ["address"]
    readonly_fields = ["public_id", "grid"]


@admin.register(ResidentProfile)
class ResidentProfileAdmin(ReadOnlyAdmin):
    """Read-only, masked values only: residents are registered and changed through
    `residents.services`, which audit every write; full values only through the audited reveal."""

    list_display = ["full_name", "id_card_masked", "phone_masked", "household", "is_elderly", "lives_alone"]
    list_filter = ["is_elderly", "lives_alone"]
    search_fields = ["full_name"]
    fields = [
        "public_id",
        "full_name",
        "household",
        "id_card_masked",
        "phone_masked",
        "is_elderly",
        "lives_alone",
        "consent_given_at",
        "consent_withdrawn_at",
    ]
    readonly_fields = [
        "public_id",
        "household",
        "id_card_masked",
        "phone_masked",
        "consent_given_at",
        "consent_withdrawn_at",
    ]
