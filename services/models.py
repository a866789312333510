import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from directory.models import Area, BilingualNameMixin, Organisation
from security.models import User

# Crockford's base32 without I, L, O, U: easy to read out over the phone, hard to guess.
_PUBLIC_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_public_id() -> str:
    # 10 letters of 5 bits from one draw of 50 random bits (a draw per letter cost 10 system calls).
    bits = secrets.randbits(50)
    return "SQ" + "".join(_PUBLIC_ID_ALPHABET[(bits >> shift) & 31] for shift in range(0, 50, 5))


class Service(BilingualNameMixin, TimeStampedModel):
    """One kind of thing a resident can ask for: an Open311 service, with its questions (attributes),
    its deadlines and how long a resident may reopen a resolved request."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    group = models.CharField(_("group"), max_length=64)
    keywords = models.CharField(_("keywords"), max_length=255, blank=True, help_text=_("Comma-separated."))
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    accept_within_hours = models.PositiveIntegerField(_("accept within (hours)"), default=24)
    resolve_within_days = models.PositiveIntegerField(_("resolve within (days)"), default=5)
    reopen_window_days = models.PositiveIntegerField(_("reopen window (days)"), default=7)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.CheckConstraint(condition=Q(accept_within_hours__gt=0), name="service_accept_within_positive"),
            models.CheckConstraint(condition=Q(resolve_within_days__gt=0), name="service_resolve_within_positive"),
        ]

    @property
    def description(self) -> str:
        from django.utils.translation import get_language

        language = get_language() or "zh-hans"
        if language.startswith("zh") or not self.description_en:
            return self.description_zh
        return self.description_en


class ServiceAttribute(models.Model):
    """A question a service asks (an Open311 attribute). `values` holds the choices of the list
    types: [{"key": "...", "name_zh": "...", "name_en": "..."}]."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLEVALUELIST = "singlevaluelist", _("One choice")
        MULTIVALUELIST = "multivaluelist", _("Several choices")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(_("code"), max_length=64)
    datatype = models.CharField(_("type"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(_("asks the resident"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    description_zh = models.CharField(_("question (Chinese)"), max_length=255)
    description_en = models.CharField(_("question (English)"), max_length=255, blank=True)
    help_zh = models.CharField(_("help (Chinese)"), max_length=255, blank=True)
    help_en = models.CharField(_("help (English)"), max_length=255, blank=True)
    values = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["service_id", "order", "code"]
        verbose_name = _("service question")
        verbose_name_plural = _("service questions")
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="service_attribute_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.service.code}.{self.code}"

    def _localised(self, zh: str, en: str) -> str:
        from django.utils.translation import get_language

        language = get_language() or "zh-hans"
        return zh if language.startswith("zh") or not en else en

    @property
    def question(self) -> str:
        return self._localised(self.description_zh, self.description_en)

    @property
    def help(self) -> str:
        return self._localised(self.help_zh, self.help_en)

    def choices(self) -> list[tuple[str, str]]:
        return [(v["key"], self._localised(v.get("name_zh", v["key"]), v.get("name_en", ""))) for v in self.values]


class RoutingRule(TimeStampedModel):
    """Requests for `service` in `area`'s subtree go to `organisation`; the deepest matching area wins."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="routing_rules")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="routing_rules")

    class Meta:
        ordering = ["service_id", "area__path"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [models.UniqueConstraint(fields=["service", "area"], name="routing_rule_unique")]

    def __str__(self) -> str:
        return f"{self.service} · {self.area} → {self.organisation}"


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = frozenset(
    {RequestStatus.SUBMITTED, RequestStatus.ACCEPTED, RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS}
)


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    PHONE = "phone", _("Phone call")
    WALK_IN = "walk_in", _("In person")
    API = "api", _("Partner API")
    OPEN311 = "open311", _("Open311")


class ServiceRequest(TimeStampedModel):
    # Unique by a constraint in Meta. Some foreign keys have no index of their own: an index in
    # Meta starts with them. Every request filed writes each index, so none is there twice.
    public_id = models.CharField(_("request number"), max_length=12, default=new_public_id, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="requests", verbose_name=_("service"), db_index=False
    )
    description = models.TextField(_("description"), max_length=4000)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="service_requests", verbose_name=_("grid"))
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    # The resident the request is for (None for someone without an account, e.g. a phone call),
    # and who typed it in: the resident, a staff member on their behalf, or a partner.
    requester = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="service_requests", db_index=False
    )
    filed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone_encrypted = models.TextField(blank=True)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=11, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    is_public = models.BooleanField(_("public"), default=True)
    # A form's one-time token: a double submit of the same form files one request.
    submission_key = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    handling_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="service_requests", db_index=False
    )
    assignee = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_requests"
    )
    accept_due_at = models.DateTimeField(_("accept by"))
    resolve_due_at = models.DateTimeField(_("resolve by"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # How far up the area tree an overdue request has been escalated: 0 = its grid.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    # A duplicate merged into another request: closed, its people follow the other one.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged", verbose_name=_("merged into")
    )
    # Moderation: the description hidden from every public page and Open311 (the requester and
    # staff still read it), with the moderator's reason.
    public_text_hidden_at = models.DateTimeField(null=True, blank=True)
    public_text_hidden_reason = models.TextField(_("reason for hiding"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        constraints = [
            # A constraint rather than unique=True: the same unique index, without the second
            # (pattern-matching) index PostgreSQL gets for a unique text field.
            models.UniqueConstraint(fields=["public_id"], name="service_request_public_id_unique"),
            models.UniqueConstraint(
                fields=["filed_by", "submission_key"],
                condition=~Q(submission_key=""),
                name="service_request_submission_once",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="service_request_rating_1_to_5"
            ),
            models.CheckConstraint(condition=Q(status__in=RequestStatus.values), name="service_request_status_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "resolve_due_at"], name="request_status_due_idx"),
            models.Index(fields=["status", "accept_due_at"], name="request_status_accept_due_idx"),
            models.Index(fields=["requester", "-created_at"], name="request_requester_idx"),
            models.Index(fields=["handling_organisation", "status"], name="request_org_status_idx"),
            models.Index(fields=["service", "grid", "status"], name="request_service_grid_idx"),
            # Open311's public reads: the last 90 days of public requests.
            models.Index(fields=["created_at"], condition=Q(is_public=True), name="request_public_created_idx"),
            # The workbench queue's order (most urgent first), so a page of it is read from the
            # index and the scan stops after one page, instead of joining and sorting every row in
            # scope. The open ones (the default view) get their own small index, carrying the grid
            # so the page's count of a scope's open requests is answered from the index alone.
            models.Index(
                fields=["resolve_due_at", "id"],
                include=["grid"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="request_open_due_idx",
            ),
            models.Index(fields=["resolve_due_at", "id"], name="request_due_idx"),
            # Range scans over millions of rows: the requests filed since a day (the dashboards'
            # live part), and those changed since a moment (the summaries' refresh watermark).
            models.Index(fields=["created_at"], name="request_created_idx"),
            models.Index(fields=["updated_at"], name="request_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestEvent(models.Model):
    """One line of a request's timeline."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        STATUS = "status", _("Status changed")
        COMMENT = "comment", _("Comment")
        NOTE = "note", _("Internal note")
        ASSIGNMENT = "assignment", _("Assigned")
        RATING = "rating", _("Rated")
        PHOTO = "photo", _("Photos added")
        SUPPORT = "support", _("Me too")
        MERGED = "merged", _("Merged")
        ESCALATION = "escalation", _("Escalated")
        REOPENED = "reopened", _("Reopened")

    # Indexed by the timeline index in Meta, which starts with it.
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    message = models.TextField(blank=True)
    # Internal notes are for staff only; everything else the requester sees too.
    is_public = models.BooleanField(default=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Moderation: a public message hidden from the public page and Open311 (not from the timeline
    # the requester and staff read), with the moderator's reason.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.TextField(_("reason for hiding"), max_length=1000, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"], name="request_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def to_status_label(self) -> str:
        return RequestStatus(self.to_status).label if self.to_status else ""


def photo_path(photo: "RequestPhoto", filename: str) -> str:
    # The stored name says nothing about the request or the person: only a random id.
    return f"request-photos/{photo.public_id.hex[:2]}/{photo.public_id.hex}.{photo.extension}"


class RequestPhoto(models.Model):
    """A photo of the problem or of the fix. Stored re-encoded without EXIF (no GPS position, no
    camera serial), outside the public static files, and served only to those who may see the request."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(RequestEvent, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to=photo_path)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When staff judged the photo fit for the public page of a public request; until then (and
    # after they undo it, or a moderator hides the photos) it is shown only to those who may open
    # the request.
    public_fit_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} photo {self.public_id}"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[self.content_type]


class RequestSupport(models.Model):
    """A resident's "me too" on someone else's open request: they follow it instead of filing again."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="request_supports")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["request", "user"], name="request_support_once")]

    def __str__(self) -> str:
        return f"{self.user_id} supports {self.request_id}"


def staged_photo_path(photo: "StagedPhoto", filename: str) -> str:
    # Like a request's photos: a random id only, outside the static files, served by a view that checks the owner.
    return f"staged-photos/{photo.public_id.hex[:2]}/{photo.public_id.hex}.{photo.extension}"


class StagedPhoto(models.Model):
    """A photo attached to a request form that has not been filed yet (a question was left empty, or
    the resident was shown similar requests nearby first). Cleaned like every request photo, kept under
    the form's token for its owner only, and moved onto the request when the form is filed; what is never
    filed is removed after services.photos.STAGED_PHOTO_LIFETIME."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    image = models.FileField(upload_to=staged_photo_path)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["owner", "token"], name="staged_photo_form_idx"),
            models.Index(fields=["created_at"], name="staged_photo_age_idx"),
        ]

    def __str__(self) -> str:
        return f"staged photo {self.public_id}"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[self.content_type]
