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
    # When staff last corrected the address in the portal: the next import that says otherwise keeps
    # the staff's address and lists a conflict (RegisterConflict), as for residents' `staff_edited`.
    address_edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["grid_id", "address"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.address


class ResidentQuerySet(models.QuerySet):
    def living(self):
        """Residents who still live here: not recorded as moved out or deceased. Lists of people to
        reach (elderly, living alone, notices' audiences) read through this."""
        return self.filter(moved_out_on__isnull=True, died_on__isnull=True)


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
    # Birth year and month, from digits 7–14 of the ID-card number wherever one is entered (or given
    # for a newborn without one yet), so ages are computed without decrypting anything.
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    birth_month = models.PositiveSmallIntegerField(_("month of birth"), null=True, blank=True)
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    died_on = models.DateField(_("died on"), null=True, blank=True)
    # When staff last edited each field in the portal (field name → ISO time): a later import leaves
    # such a field alone and records a conflict instead (see docs/register.md).
    staff_edited = models.JSONField(default=dict, db_default={}, blank=True)

    objects = ResidentQuerySet.as_manager()

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
            models.CheckConstraint(
                condition=Q(birth_month__isnull=True) | Q(birth_month__gte=1, birth_month__lte=12),
                name="resident_birth_month_valid",
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

    @property
    def is_living_here(self) -> bool:
        return self.moved_out_on is None and self.died_on is None


class RevealPurpose(models.TextChoices):
    """Why a member of staff opens a resident's full ID-card number and phone: stored in the
    reveal's audit event and shown to the resident on "who used my data"."""

    HANDLE_REQUEST = "handle_request", _("Handling their service request")
    CARE_CONTACT = "care_contact", _("Contacting or visiting them (care, follow-up)")
    VERIFY_IDENTITY = "verify_identity", _("Checking their identity (registration, at the office)")
    CORRECTION = "correction", _("Handling their correction request")
    OTHER = "other", _("Other (say what)")


class CorrectionRequest(TimeStampedModel):
    """A resident's request to correct their record in the register (PIPL art. 46), decided by the
    staff over their grid. The value asked for may be an ID-card number or phone, so it is stored
    encrypted like the register's own."""

    class Field(models.TextChoices):
        FULL_NAME = "full_name", _("Name")
        ID_CARD = "id_card", _("ID-card number")
        PHONE = "phone", _("Mobile number")
        ADDRESS = "address", _("Address")
        IS_ELDERLY = "is_elderly", _("Elderly (60 or over)")
        LIVES_ALONE = "lives_alone", _("Lives alone")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the community")
        APPLIED = "applied", _("Corrected")
        REFUSED = "refused", _("Not corrected")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    profile = models.ForeignKey(
        ResidentProfile, on_delete=models.PROTECT, related_name="correction_requests", verbose_name=_("resident")
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(_("what is wrong"), max_length=16, choices=Field.choices)
    explanation = models.TextField(_("what is wrong with it"), max_length=1000)
    proposed_value_encrypted = models.TextField(blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "applied", "refused"]), name="correction_status_valid"
            ),
            # One open request per field: asking again adds nothing while the first is pending.
            models.UniqueConstraint(
                fields=["profile", "field"], condition=Q(status="pending"), name="correction_one_pending_per_field"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False), name="correction_decided_has_time"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="correction_status_idx")]

    def __str__(self) -> str:
        return f"{self.profile or self.household} · {self.get_field_display()}"


class ResidencyVerification(TimeStampedModel):
    """An account's request to be recognised as a registered resident, by household code plus ID
    number (decided at once) or in person at the community office (decided by its staff). Failed
    code tries are kept as refused rows: they count towards the daily limit, and when the code named
    a real household its grid's staff see them (an ID number may be in the wrong hands)."""

    class Method(models.TextChoices):
        CODE = "code", _("Household number and ID-card number")
        IN_PERSON = "in_person", _("Checked in person at the community office")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the community")
        APPROVED = "approved", _("Verified as a resident")
        REFUSED = "refused", _("Not verified")
        ENDED = "ended", _("Ended (moved out)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="residency_verifications")
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # The community whose staff decide an in-person request, or whose household a code named.
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Area.Kind.COMMUNITY},
        verbose_name=_("community"),
    )
    # The household a code try named, kept on a failure so that grid's staff see the try.
    household = models.ForeignKey(Household, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    profile = models.ForeignKey(
        ResidentProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verifications",
        verbose_name=_("resident"),
    )
    note = models.TextField(_("note"), max_length=500, blank=True)
    reason = models.TextField(_("reason"), max_length=1000, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # When the grid's staff were notified of this failed household-number try (notifications reads
    # untold ones through residents.services.verification_failures_claim_untold).
    told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("residency verification")
        verbose_name_plural = _("residency verifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "refused", "ended"]),
                name="verification_status_valid",
            ),
            models.CheckConstraint(condition=Q(method__in=["code", "in_person"]), name="verification_method_valid"),
            # One open request per account: asking again adds nothing while the first is waiting.
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="pending"), name="verification_one_pending_per_user"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="approved"), name="verification_one_approved_per_user"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False), name="verification_decided_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(profile__isnull=False), name="verification_approved_has_profile"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "method", "created_at"], name="verification_tries_idx"),
            models.Index(fields=["status", "community", "created_at"], name="verification_queue_idx"),
            models.Index(
                fields=["id"],
                name="verification_untold_idx",
                condition=Q(method="code", status="refused", household__isnull=False, told_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_status_display()}"


class RegisterConflict(TimeStampedModel):
    """A field of the register that staff edited after the previous import and that a later import
    wanted to change: the import left the staff's value and this row asks the staff of the
    household's grid or community which value to keep. A resident's field names the resident; the
    household's address names only the household. The import's value may be a phone, so it is
    stored encrypted; it is deleted once settled."""

    class Field(models.TextChoices):
        FULL_NAME = "full_name", _("Name")
        PHONE = "phone", _("Mobile number")
        IS_ELDERLY = "is_elderly", _("Elderly (60 or over)")
        LIVES_ALONE = "lives_alone", _("Lives alone")
        ADDRESS = "address", _("Household address")

    class Status(models.TextChoices):
        OPEN = "open", _("To settle")
        KEPT = "kept", _("Kept the register's value")
        TAKEN = "taken", _("Took the import's value")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="register_conflicts", verbose_name=_("household")
    )
    profile = models.ForeignKey(
        ResidentProfile,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="register_conflicts",
        verbose_name=_("resident"),
    )
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    import_value_encrypted = models.TextField(blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("settled"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("import conflict")
        verbose_name_plural = _("import conflicts")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "kept", "taken"]), name="conflict_status_valid"),
            # The address is the household's; every other field is a resident's.
            models.CheckConstraint(
                condition=Q(field="address", profile__isnull=True) | (~Q(field="address") & Q(profile__isnull=False)),
                name="conflict_address_is_the_households",
            ),
            models.UniqueConstraint(
                fields=["profile", "field"], condition=Q(status="open"), name="conflict_one_open_per_field"
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(status="open", field="address"),
                name="conflict_one_open_address",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="conflict_status_idx")]

    def __str__(self) -> str:
        return f"{self.profile or self.household} · {self.get_field_display()}"
