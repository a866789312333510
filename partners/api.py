"""The partner REST API (/api/v1/): a partner's system reads the work orders routed to its
organisation, moves them along, and files requests on residents' behalf.

Thin views: parse with a plain serializer, call a `partners.selectors` read or a
`services.services` step (which holds every rule), render with `partners.serializers`. Every call
is authenticated by an API key, needs a scope, is throttled per key and audited (PartnerApiMixin).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.request_input import LimitedJSONParser, LimitedMultiPartParser
from directory.models import Area
from partners.api_base import PartnerApiMixin
from partners.schema import RETRY_AFTER, error_responses
from partners.selectors import work_order_event_get, work_order_get, work_order_list, work_order_timeline
from partners.serializers import (
    AnswersField,
    EventOutputSerializer,
    MomentField,
    SubmittedOutputSerializer,
    WorkOrderCursorPagination,
    WorkOrderDetailOutputSerializer,
    WorkOrderOutputSerializer,
    WorkOrderPageSerializer,
)
from security.models import ApiScope
from services import services as steps
from services.models import Channel, RequestStatus, Service
from services.photos import MAX_PHOTOS
from services.services import MAX_DESCRIPTION


# --- shared parts ------------------------------------------------------------------------------
def _validation_detail(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if field == "__all__" else field): msgs for field, msgs in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


class PartnerApi(PartnerApiMixin, APIView):
    """A call of the partner API, authenticated with an API key in the X-API-Key header."""

    # (The docstring above is what the schema says of a view that has none of its own.)
    # JSON in and out; the services' own errors become 400 with each field's messages, 403 and 404.

    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(detail=_validation_detail(exc))
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(detail=str(exc) or None)
        return super().handle_exception(exc)


PUBLIC_ID = OpenApiParameter(
    "public_id", str, OpenApiParameter.PATH, description=_("The work order's number, e.g. SQ4K7M2P9XWD.")
)


def _work_order_response(request, order) -> Response:
    """The work order as the detail endpoint shows it: what every step answers with."""
    order.partner_timeline = work_order_timeline(key=request.auth, request=order)
    context = {"actor": request.user, "request_requester_id": order.requester_id}
    return Response(WorkOrderDetailOutputSerializer(order, context=context).data)


# --- work orders -------------------------------------------------------------------------------
class WorkOrderListApi(PartnerApi):
    """The work orders routed to your organisation, most recently changed first, a page at a time:
    follow `next` until it is null. To poll for changes, pass the time of your last poll as
    `updated_since`. Needs the scope workorders:read."""

    required_scope = ApiScope.READ_WORK_ORDERS

    @extend_schema_serializer(component_name="WorkOrderFilter")
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=RequestStatus.choices, required=False, allow_blank=True)
        service = serializers.CharField(
            required=False, allow_blank=True, max_length=64, help_text=_("A service's code.")
        )
        area = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=32,
            help_text=_("An area's code: work orders anywhere under it."),
        )
        updated_since = MomentField(required=False, help_text=_("ISO 8601; work orders changed at or after it."))
        cursor = serializers.CharField(required=False, help_text=_("The `next` or `previous` link's cursor."))
        page_size = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=WorkOrderCursorPagination.max_page_size,
            help_text=_("25 unless given."),
        )

    @extend_schema(
        operation_id="work_orders_list",
        summary=_("List your organisation's work orders"),
        tags=["work orders"],
        parameters=[FilterSerializer, RETRY_AFTER],
        responses={200: WorkOrderPageSerializer, **error_responses(400)},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        orders = work_order_list(
            key=request.auth,
            status=data.get("status", ""),
            service_code=data.get("service", ""),
            area_code=data.get("area", ""),
            updated_since=data.get("updated_since"),
        )
        paginator = WorkOrderCursorPagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        results = WorkOrderOutputSerializer(page, many=True, context={"actor": request.user}).data
        return paginator.get_paginated_response(results)


class WorkOrderDetailApi(PartnerApi):
    """One work order with its answers and timeline: the public events and your own internal
    notes. Another organisation's work order answers 404, as a missing one does. Needs the scope
    workorders:read."""

    required_scope = ApiScope.READ_WORK_ORDERS

    @extend_schema(
        operation_id="work_orders_retrieve",
        summary=_("One work order with its timeline"),
        tags=["work orders"],
        parameters=[PUBLIC_ID, RETRY_AFTER],
        responses={200: WorkOrderDetailOutputSerializer, **error_responses(404)},
    )
    def get(self, request, public_id):
        return _work_order_response(request, work_order_get(key=request.auth, public_id=public_id))


class _NoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_DESCRIPTION)


class _NoteStepApi(PartnerApi):
    """A step of a work order that takes an optional note: `step` is the `services.services`
    function that holds its rules. Needs the scope workorders:write."""

    required_scope = ApiScope.UPDATE_WORK_ORDERS
    InputSerializer = _NoteInputSerializer
    step = None

    def post(self, request, public_id):
        order = work_order_get(key=request.auth, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        step = type(self).step  # a plain function stored on the class, not a bound method
        order = step(request=order, actor=request.user, note=serializer.validated_data.get("note", ""))
        return _work_order_response(request, order)


def _note_step_schema(*, name: str, summary):
    return extend_schema_view(
        post=extend_schema(
            operation_id=f"work_orders_{name}",
            summary=summary,
            tags=["work orders"],
            parameters=[PUBLIC_ID, RETRY_AFTER],
            request=extend_schema_serializer(component_name=f"WorkOrder{name.title()}Input")(
                type(f"WorkOrder{name.title()}Input", (_NoteInputSerializer,), {})
            ),
            responses={200: WorkOrderDetailOutputSerializer, **error_responses(400, 404, 415)},
        )
    )


@_note_step_schema(name="accept", summary=_("Accept a submitted work order"))
class WorkOrderAcceptApi(_NoteStepApi):
    """Take on a submitted work order. Needs the scope workorders:write."""

    step = steps.request_accept


@_note_step_schema(name="start", summary=_("Start work on an accepted or assigned work order"))
class WorkOrderStartApi(_NoteStepApi):
    """Start work on an accepted or assigned work order. Needs the scope workorders:write."""

    step = steps.request_start


class WorkOrderResolveApi(PartnerApi):
    """Mark an assigned or started work order resolved, saying what was done (the resident reads
    it), with up to 6 photos of the fix when sent as multipart/form-data. Needs the scope
    workorders:write."""

    required_scope = ApiScope.UPDATE_WORK_ORDERS
    parser_classes = [LimitedMultiPartParser, LimitedJSONParser]

    @extend_schema_serializer(component_name="WorkOrderResolveInput")
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(
            allow_blank=True, max_length=MAX_DESCRIPTION, help_text=_("What was done; the resident reads it.")
        )

    @extend_schema_serializer(component_name="WorkOrderResolveWithPhotosInput")
    class InputWithPhotosSerializer(InputSerializer):
        photos = serializers.ListField(
            child=serializers.FileField(),
            required=False,
            max_length=MAX_PHOTOS,
            help_text=_("Photos of the fix: JPEG, PNG or WebP."),
        )

    @extend_schema(
        operation_id="work_orders_resolve",
        summary=_("Resolve a work order, with photos of the fix"),
        tags=["work orders"],
        parameters=[PUBLIC_ID, RETRY_AFTER],
        request={"multipart/form-data": InputWithPhotosSerializer, "application/json": InputSerializer},
        responses={200: WorkOrderDetailOutputSerializer, **error_responses(400, 404, 415)},
    )
    def post(self, request, public_id):
        order = work_order_get(key=request.auth, public_id=public_id)
        serializer = self.InputWithPhotosSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = steps.request_resolve(
            request=order, actor=request.user, note=data["note"], photos=data.get("photos", [])
        )
        return _work_order_response(request, order)


class WorkOrderCommentApi(PartnerApi):
    """A comment the resident sees, or (internal: true) a note for the staff only. Needs the scope
    workorders:write."""

    required_scope = ApiScope.UPDATE_WORK_ORDERS

    @extend_schema_serializer(component_name="WorkOrderCommentInput")
    class InputSerializer(serializers.Serializer):
        message = serializers.CharField(allow_blank=True, max_length=MAX_DESCRIPTION)
        internal = serializers.BooleanField(
            default=False, help_text=_("An internal note for the staff only; the resident does not see it.")
        )

    @extend_schema(
        operation_id="work_orders_comment",
        summary=_("Comment on a work order, or add an internal note"),
        tags=["work orders"],
        parameters=[PUBLIC_ID, RETRY_AFTER],
        request=InputSerializer,
        responses={201: EventOutputSerializer, **error_responses(400, 404, 415)},
    )
    def post(self, request, public_id):
        order = work_order_get(key=request.auth, public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event = steps.request_comment(
            request=order, actor=request.user, message=data["message"], internal=data["internal"]
        )
        event = work_order_event_get(key=request.auth, request=order, event_id=event.pk)
        context = {"request_requester_id": order.requester_id}
        return Response(EventOutputSerializer(event, context=context).data, status=status.HTTP_201_CREATED)


# --- filing on a resident's behalf -------------------------------------------------------------
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    pattern=r"^[!-~]{1,64}$",
    description=_(
        "Your own id for this submission (1-64 visible ASCII characters). Sending the same key again "
        "returns the request the first call filed instead of filing it twice."
    ),
)


class RequestSubmitApi(PartnerApi):
    """File a request for a resident who reached you, e.g. by your hotline. It is routed like any
    other request; `is_work_order` says whether it came back to your organisation. Send an
    Idempotency-Key to make retries safe. Needs the scope requests:submit."""

    required_scope = ApiScope.SUBMIT_REQUESTS

    @extend_schema_serializer(component_name="RequestSubmitInput")
    class InputSerializer(serializers.Serializer):
        service = serializers.SlugRelatedField(
            slug_field="code", queryset=Service.objects.all(), help_text=_("The service's code.")
        )
        description = serializers.CharField(allow_blank=True, max_length=MAX_DESCRIPTION)
        answers = AnswersField(required=False, help_text=_("Answers to the service's questions, by question code."))
        grid = serializers.SlugRelatedField(
            slug_field="code",
            queryset=Area.objects.all(),
            required=False,
            allow_null=True,
            help_text=_("The grid's code; or give lat and lng."),
        )
        lat = serializers.DecimalField(
            max_digits=9, decimal_places=6, coerce_to_string=False, required=False, allow_null=True
        )
        lng = serializers.DecimalField(
            max_digits=9, decimal_places=6, coerce_to_string=False, required=False, allow_null=True
        )
        address = serializers.CharField(required=False, allow_blank=True, max_length=255)
        contact_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
        contact_phone = serializers.CharField(
            required=False, allow_blank=True, max_length=20, help_text=_("A mainland mobile number.")
        )

    @extend_schema(
        operation_id="requests_submit",
        summary=_("File a request on a resident's behalf"),
        tags=["requests"],
        parameters=[IDEMPOTENCY_KEY, RETRY_AFTER],
        request=InputSerializer,
        responses={201: SubmittedOutputSerializer, **error_responses(400, 415)},
    )
    def post(self, request):
        submission_key = request.headers.get("Idempotency-Key", "")
        if submission_key and not (len(submission_key) <= 64 and all("!" <= c <= "~" for c in submission_key)):
            raise exceptions.ValidationError({"Idempotency-Key": [_("Use 1-64 visible ASCII characters.")]})
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        arguments = {
            "actor": request.user,
            "requester": None,
            "channel": Channel.API,
            "service": data["service"],
            "description": data["description"],
            "answers": data.get("answers", {}),
            "grid": data.get("grid"),
            "lat": data.get("lat"),
            "lng": data.get("lng"),
            "address": data.get("address", ""),
            "contact_name": data.get("contact_name", ""),
            "contact_phone": data.get("contact_phone", ""),
            "submission_key": submission_key,
            "api_key": request.auth,
        }
        try:
            filed = steps.request_file(**arguments)
        except IntegrityError:
            if not submission_key:
                raise
            # Two calls with the same Idempotency-Key raced; the other one filed it, so this
            # second attempt finds and returns that request.
            filed = steps.request_file(**arguments)
        context = {"organisation_id": request.auth.organisation_id}
        return Response(SubmittedOutputSerializer(filed, context=context).data, status=status.HTTP_201_CREATED)
