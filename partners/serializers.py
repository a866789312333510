"""What the partner API sends and the fields it parses that DRF lacks.

Output serializers shared by several endpoints live here; each endpoint's input serializer stays
nested in its view (partners.api). Residents' personal data stays out except what the work needs:
the contact's name and masked phone.
"""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination

from services import services as steps
from services.models import Channel, RequestEvent, RequestStatus

# The steps a partner's system can take through this API, as `steps_for` names them.
API_STEPS = ("accept", "start", "resolve")
# Who recorded a timeline event, as far as a partner may know: no resident's or officer's name.
EVENT_AUTHORS = ("partner", "requester", "staff", "system")


# --- fields ----------------------------------------------------------------------------------
def _is_storable_text(text: str) -> bool:
    """PostgreSQL stores neither NUL characters nor lone surrogates (which JSON can smuggle in
    as \\ud800), and an error message quoting them could not even be sent back."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@extend_schema_field(
    {
        "anyOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "number"}]}},
        ]
    }
)
class AnswerField(serializers.Field):
    """One answer to a service's question: text, a number, or a list of choice keys. Whether it
    answers the question well is `services.answers`' to judge; this only keeps out what no
    answer can be (objects, and text PostgreSQL cannot store)."""

    default_error_messages = {"invalid": _("An answer is a text, a number or a list of them.")}

    def _one(self, value) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail("invalid")
        text = str(value)
        if not _is_storable_text(text):
            self.fail("invalid")
        return text

    def to_internal_value(self, data):
        if isinstance(data, list):
            return [self._one(item) for item in data]
        return self._one(data)

    def to_representation(self, value):
        return value


class AnswersField(serializers.DictField):
    """Answers by question code. A code that is not plain text is refused as a whole: DRF would
    otherwise key its error message by it, and the answer could not be encoded."""

    child = AnswerField()
    default_error_messages = {"bad_code": _("Question codes are short plain texts.")}

    def to_internal_value(self, data):
        if isinstance(data, dict) and any(
            not isinstance(code, str) or len(code) > 64 or not _is_storable_text(code) for code in data
        ):
            self.fail("bad_code")
        return super().to_internal_value(data)


class MomentField(serializers.DateTimeField):
    """A DateTimeField that answers 400, not 500, for a naive time at the very edge of the
    calendar (e.g. 0001-01-01T00:00:00): DRF's own check overflows on it."""

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class WorkOrderCursorPagination(CursorPagination):
    """Newest change first. The cursor holds a position in `updated_at` (ties broken by offset),
    so pages stay stable while work orders change; a cursor that is not ours is a 400."""

    ordering = ("-updated_at", "-id")
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
            valid = False
        else:
            valid = True
        if valid and cursor is not None and cursor.position is not None:
            try:
                valid = parse_datetime(cursor.position) is not None
            except ValueError:
                valid = False
        if not valid:
            raise exceptions.ValidationError({"cursor": [_("This cursor is not one we gave out.")]})
        return cursor


# --- what is sent ---------------------------------------------------------------------------
@extend_schema_serializer(component_name="WorkOrder")
class WorkOrderOutputSerializer(serializers.Serializer):
    public_id = serializers.CharField(help_text=_("The request number, shown to the resident too."))
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    service = serializers.CharField(source="service.code", help_text=_("The service's code."))
    service_name = serializers.CharField(source="service.name")
    description = serializers.CharField()
    answers = serializers.DictField(
        source="attributes", child=AnswerField(), help_text=_("Answers to the service's questions, by question code.")
    )
    grid = serializers.CharField(source="grid.code", help_text=_("The code of the grid the work is in."))
    grid_name = serializers.CharField(source="grid.name")
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False, allow_null=True)
    address = serializers.CharField()
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField(
        source="contact_phone_masked", help_text=_("Masked, e.g. 138****5678; the full number is not shared.")
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    is_overdue = serializers.BooleanField()
    accept_due_at = serializers.DateTimeField()
    resolve_due_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    rating = serializers.IntegerField(allow_null=True, help_text=_("The resident's rating, 1 to 5."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    actions = serializers.SerializerMethodField(help_text=_("The steps this key may take now."))

    @extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(API_STEPS)}})
    def get_actions(self, order) -> list[str]:
        allowed = steps.steps_for(actor=self.context["actor"], request=order)
        return [step for step in API_STEPS if step in allowed]


@extend_schema_serializer(component_name="WorkOrderEvent")
class EventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=RequestEvent.Kind.choices)
    from_status = serializers.CharField(help_text=_("Blank unless the status changed."))
    to_status = serializers.CharField(help_text=_("Blank unless the status changed."))
    message = serializers.CharField()
    is_internal = serializers.SerializerMethodField(help_text=_("An internal note, which the resident does not see."))
    by = serializers.SerializerMethodField()
    photo_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_is_internal(self, event) -> bool:
        return not event.is_public

    @extend_schema_field(
        {
            "type": "string",
            "enum": list(EVENT_AUTHORS),
            "description": "partner: your organisation; requester: the resident; staff: the district's staff; "
            "system: the portal itself.",
        }
    )
    def get_by(self, event) -> str:
        if event.actor_id is None:
            return "system"
        if event.by_partner:
            return "partner"
        if event.actor_id == self.context["request_requester_id"]:
            return "requester"
        return "staff"


@extend_schema_serializer(component_name="WorkOrderDetail")
class WorkOrderDetailOutputSerializer(WorkOrderOutputSerializer):
    timeline = EventOutputSerializer(many=True, source="partner_timeline")


@extend_schema_serializer(component_name="WorkOrderPage")
class WorkOrderPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WorkOrderOutputSerializer(many=True)


@extend_schema_serializer(component_name="SubmittedRequest")
class SubmittedOutputSerializer(serializers.Serializer):
    public_id = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    service = serializers.CharField(source="service.code")
    grid = serializers.CharField(source="grid.code")
    created_at = serializers.DateTimeField()
    is_work_order = serializers.SerializerMethodField(
        help_text=_("Whether it was routed to your organisation, so it appears among your work orders.")
    )

    def get_is_work_order(self, filed) -> bool:
        return filed.handling_organisation_id == self.context["organisation_id"]
