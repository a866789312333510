import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area
from security.models import User


class Household(TimeStampedModel):
    """A dwelling and the people registered in it, placed in one grid."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The household's number in the providing department's registration system (户编号), the key
    # that imports upsert by; empty for households registered in the portal itself.
    household_code = models.CharField(_("household number"), max_length=64, null=True, blank=True, unique=True)
    address = models.CharField(_("address"), max_length=255)
    grid = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"kind": Area.Kind.GRID},
        verbose_name=_("grid"),
    )

    class Meta:
        ordering = ["grid_id", "address"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.address


class ResidentProfile(TimeStampedModel):
    """A registered resident. ID-card number and phone are stored encrypted, with a keyed hash for
    look-ups and a masked form for display; only `residents.services.resident_identity_reveal`
    decrypts them, and it records who did."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="resident_profile")
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("household")
    )
    full_name = models.CharField(_("full name"), max_length=100)
    id_card_encrypted = models.TextField(blank=True)
    id_card_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_card_masked = models.CharField(_("ID-card number"), max_length=18, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=11, blank=True)
    is_elderly = models.BooleanField(_("elderly (60 or over)"), default=False)
    lives_alone = models.BooleanField(_("lives alone"), default=False)
    consent_given_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn"), null=True, blank=True)
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["household_id", "full_name"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.CheckConstraint(
                condition=Q(id_card_hash__isnull=True, id_card_encrypted="")
                | (Q(id_card_hash__isnull=False) & ~Q(id_card_encrypted="")),
                name="resident_id_card_hash_with_ciphertext",
            ),
        ]
        indexes = [
            models.Index(
                fields=["is_elderly", "lives_alone"],
                name="resident_elderly_alone_idx",
                condition=Q(is_elderly=True),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name
