from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area, Organisation
from security.audit_actions import action_label


class User(AbstractUser):
    """A person who signs in. What they may do comes from their `RoleAssignment`s, not from here."""

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    SUBDISTRICT_OFFICER = "subdistrict_officer", _("Subdistrict officer")
    DEPARTMENT_OFFICER = "department_officer", _("Department officer")
    DISTRICT_LEADER = "district_leader", _("District leader")
    PARTNER_OPERATOR = "partner_operator", _("Partner operator")
    AUDITOR = "auditor", _("Auditor")
    # The district's civil-affairs (民政) officers: they manage the community workforce (workforce/).
    CIVIL_AFFAIRS_OFFICER = "civil_affairs_officer", _("Civil-affairs officer")
    ADMIN = "admin", _("Administrator")


class RoleAssignment(TimeStampedModel):
    """One role a user holds, limited to an area subtree and, where it applies, an organisation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area scope"))
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("organisation"),
    )
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["user_id", "role"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=Q(organisation__isnull=True),
                name="role_assignment_unique_without_org",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area", "organisation"],
                condition=Q(organisation__isnull=False),
                name="role_assignment_unique_with_org",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["department_officer", "partner_operator"]) | Q(organisation__isnull=False),
                name="role_assignment_org_required",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_assignment_role_valid"),
        ]


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only: events cannot be changed.")

    def delete(self):
        raise PermissionError("The audit log is append-only: events cannot be deleted.")


class AuditEvent(models.Model):
    """One entry of the tamper-evident audit log.

    Each event stores the hash of the one before it, so changing or removing any row breaks the
    chain from there on; `manage.py verify_audit` finds the first broken link. The ORM refuses to
    update or delete, and on PostgreSQL a trigger refuses it too.
    """

    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # PROTECT: a user who acted can be deactivated, never deleted out from under the log.
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)  # indexed in Meta, without a pattern index
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # The area the event concerns, so an auditor can search one community's events; PROTECT
    # because a keyed event's hash covers it.
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("area")
    )
    # Unique by constraints in Meta: unique=True would add a pattern-matching index to each,
    # written on every audited change and never read.
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            models.UniqueConstraint(fields=["prev_hash"], name="audit_prev_hash_unique"),
            models.UniqueConstraint(fields=["hash"], name="audit_hash_unique"),
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:

        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {action_label(self.action)} {self.object_repr}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only: events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only: events cannot be deleted.")


class ApiScope(models.TextChoices):
    SUBMIT_REQUESTS = "requests:submit", _("Submit requests")
    READ_WORK_ORDERS = "workorders:read", _("Read work orders")
    UPDATE_WORK_ORDERS = "workorders:write", _("Update work orders")
    MANAGE_WEBHOOKS = "webhooks:manage", _("Manage webhooks")
    # Government departments' systems, under data-sharing agreements.
    FETCH_EXCHANGES = "exchange:fetch", _("Fetch shared datasets")
    PUSH_IMPORTS = "exchange:import", _("Push dataset imports")


class ApiKey(TimeStampedModel):
    """A key a partner's system calls the API with. Only a hash is stored; the key is shown once.
    It acts as the operator who created it, so scoping and the audit log name a person."""

    name = models.CharField(_("name"), max_length=100)
    # The first characters of the key, stored in clear to find the row and to show which key it is.
    prefix = models.CharField(_("key starts with"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="api_keys")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_keys")
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class SecurityAlert(models.Model):
    """Something an auditor should look at: a burst of failed sign-ins, a mass export or reveal,
    a reveal outside working hours, a failed check of the audit chain (see security.alerts).

    `dedupe_key`, when set, is unique, so a detector that runs twice over the same burst, or a
    check that keeps failing, raises one alert. `area` decides who is told: none means the whole
    district (only district-wide auditors and administrators).
    """

    kind = models.CharField(_("kind"), max_length=64)
    summary = models.CharField(_("summary"), max_length=300)
    details = models.JSONField(_("details"), default=dict, blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("area")
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    dedupe_key = models.CharField(max_length=200, blank=True)
    # Set when the notifications app has told the auditors; the claim that keeps them from being told twice.
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("acknowledged by")
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("security alert")
        verbose_name_plural = _("security alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="security_alert_dedupe_key_unique"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="security_alert_acknowledged_by_and_at",
            ),
        ]
        indexes = [
            # The desk lists open alerts first; delivery looks for undelivered ones.
            models.Index(fields=["acknowledged_at", "-raised_at"], name="security_alert_open_idx"),
            models.Index(fields=["raised_at"], name="security_alert_undelivered_idx", condition=Q(delivered_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.raised_at:%Y-%m-%d %H:%M} {self.kind}: {self.summary}"


class SecondFactor(Authenticator):
    """allauth's authenticator (a TOTP key, recovery codes, a security key) as the admin lists it:
    allauth's model has no verbose name of its own to translate, so the admin showed it in English."""

    class Meta:
        proxy = True
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")


class DisplayPreference(TimeStampedModel):
    """How a signed-in person wants pages shown (长辈模式), on every device they sign in on
    (portal.display_mode reads and sets it)."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="display_preference", verbose_name=_("user")
    )
    elderly = models.BooleanField(_("elderly mode"), default=False)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("display preference")
        verbose_name_plural = _("display preferences")

    def __str__(self):
        return f"{self.user_id}: {'elderly' if self.elderly else 'standard'}"
