from django.contrib import admin

from residents.models import Household, ResidentProfile


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["address", "grid", "created_at"]
    search_fields = ["address"]
    readonly_fields = ["public_id", "grid"]


@admin.register(ResidentProfile)
class ResidentProfileAdmin(admin.ModelAdmin):
    """Shows masked values only; the encrypted columns and hashes are never displayed or edited here."""

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

    def has_add_permission(self, request):
        return False
