"""The webhook endpoints of the partner API (/api/v1/webhooks/): a partner's system registers the
addresses that receive its work orders' events, reads each one's delivery log, and has a delivery
sent again.

Thin views: parse, call a `partners.webhooks_selectors` read or a `partners.webhooks` service,
render. Every call needs a key with the webhooks:manage scope (PartnerApiMixin, through
`partners.api.PartnerApi`) and reaches only the key's organisation's webhooks.
"""

import uuid

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from partners.api import PartnerApi, WorkOrderCursorPagination
from partners.models import DeliveryStatus
from partners.schema import RETRY_AFTER, error_responses
from partners.webhooks import webhook_deactivate, webhook_delivery_replay, webhook_register
from partners.webhooks_selectors import (
    webhook_deliveries,
    webhook_delivery_get,
    webhook_get_for_user,
    webhooks_for_user,
)
from security.models import ApiScope

TAGS = ["webhooks"]
WEBHOOK_ID = OpenApiParameter(
    "webhook_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description=_("The webhook's id, as registration returned it."),
)
DELIVERY_ID = OpenApiParameter(
    "delivery_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description=_("The delivery's id (the X-Shunqing-Delivery header)."),
)
NOT_FOUND = {
    404: OpenApiResponse(
        {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
        description=_("No such webhook or delivery for this key's organisation."),
    )
}


class NewestFirstPagination(WorkOrderCursorPagination):
    """Newest first; like the work orders' pages, a cursor that is not ours is a 400."""

    ordering = ("-created_at", "-id")
    page_size = 50


PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description=_("The `next` or `previous` link's cursor.")),
    OpenApiParameter("page_size", int, description=_("50 unless given; at most 100.")),
]


# --- serializers -------------------------------------------------------------------------------
@extend_schema_serializer(component_name="Webhook")
class WebhookOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    url = serializers.CharField()
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    deactivated_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="WebhookPage")
class WebhookPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WebhookOutputSerializer(many=True)


@extend_schema_serializer(component_name="WebhookDelivery")
class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    event_id = serializers.CharField(help_text=_("The event's id, the same in every delivery of the event."))
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.SerializerMethodField(help_text=_("While pending: when it is next tried."))
    last_status_code = serializers.IntegerField(allow_null=True, help_text=_("Your endpoint's last HTTP status."))
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    replay_of = serializers.UUIDField(
        source="replay_of.public_id", allow_null=True, help_text=_("The delivery this one sends again.")
    )
    payload = serializers.JSONField(help_text=_("The body sent, as JSON."))

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, delivery):
        if delivery.status != DeliveryStatus.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)


@extend_schema_serializer(component_name="WebhookDeliveryPage")
class DeliveryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DeliveryOutputSerializer(many=True)


# --- views -------------------------------------------------------------------------------------
def _uuid_or_404(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404 from None


class WebhookApi(PartnerApi):
    """Webhook endpoints need the webhooks:manage scope and see the key's organisation only."""

    required_scope = ApiScope.MANAGE_WEBHOOKS

    def get_webhook(self, webhook_id: str):
        return webhook_get_for_user(
            actor=self.request.user, organisation=self.request.auth.organisation, public_id=_uuid_or_404(webhook_id)
        )


class WebhookListApi(WebhookApi):
    """The key's organisation's webhooks, and registering another."""

    @extend_schema_serializer(component_name="WebhookRegisterInput")
    class InputSerializer(serializers.Serializer):
        url = serializers.CharField(
            max_length=500,
            help_text=_("An https:// address on the public internet; redirects are not followed."),
        )
        description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    @extend_schema_serializer(component_name="WebhookRegistered")
    class OutputSerializer(WebhookOutputSerializer):
        secret = serializers.CharField(
            help_text=_("Signs every delivery (see X-Shunqing-Signature). Shown this once: store it now.")
        )

    @extend_schema(
        operation_id="webhooks_list",
        summary=_("List your organisation's webhooks"),
        tags=TAGS,
        parameters=[*PAGE_PARAMETERS, RETRY_AFTER],
        responses={200: WebhookPageSerializer, **error_responses(400)},
    )
    def get(self, request):
        webhooks = webhooks_for_user(actor=request.user, organisation=request.auth.organisation)
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(webhooks, request, view=self)
        return paginator.get_paginated_response(WebhookOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        summary=_("Register a webhook"),
        description=_(
            "The answer carries the signing secret, which is never shown again. The address is checked: "
            "https:// only, and its host must resolve to public internet addresses."
        ),
        tags=TAGS,
        request=InputSerializer,
        parameters=[RETRY_AFTER],
        responses={201: OutputSerializer, **error_responses(400, 415)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook, secret = webhook_register(
            actor=request.user,
            organisation=request.auth.organisation,
            api_key=request.auth,
            **serializer.validated_data,
        )
        webhook.secret = secret
        return Response(self.OutputSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(WebhookApi):
    """One of the organisation's webhooks."""

    @extend_schema(
        operation_id="webhooks_retrieve",
        summary=_("Read a webhook"),
        tags=TAGS,
        parameters=[WEBHOOK_ID, RETRY_AFTER],
        responses={200: WebhookOutputSerializer, **error_responses(), **NOT_FOUND},
    )
    def get(self, request, webhook_id):
        return Response(WebhookOutputSerializer(self.get_webhook(webhook_id)).data)


class WebhookDeactivateApi(WebhookApi):
    """Stop sending to a webhook."""

    @extend_schema(
        operation_id="webhooks_deactivate",
        summary=_("Deactivate a webhook"),
        description=_("Nothing more is sent to it; deliveries still waiting are marked failed."),
        tags=TAGS,
        request=None,
        parameters=[WEBHOOK_ID, RETRY_AFTER],
        responses={200: WebhookOutputSerializer, **error_responses(), **NOT_FOUND},
    )
    def post(self, request, webhook_id):
        webhook = webhook_deactivate(webhook=self.get_webhook(webhook_id), actor=request.user, api_key=request.auth)
        return Response(WebhookOutputSerializer(webhook).data)


class WebhookDeliveryListApi(WebhookApi):
    """What was sent to a webhook, and how each delivery went."""

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        summary=_("A webhook's delivery log, newest first"),
        tags=TAGS,
        parameters=[WEBHOOK_ID, *PAGE_PARAMETERS, RETRY_AFTER],
        responses={200: DeliveryPageSerializer, **error_responses(400), **NOT_FOUND},
    )
    def get(self, request, webhook_id):
        deliveries = webhook_deliveries(webhook=self.get_webhook(webhook_id))
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(deliveries, request, view=self)
        return paginator.get_paginated_response(DeliveryOutputSerializer(page, many=True).data)


class WebhookDeliveryReplayApi(WebhookApi):
    """Send a delivery again."""

    @extend_schema(
        operation_id="webhooks_deliveries_replay",
        summary=_("Send a delivery again"),
        description=_(
            "Queues a new delivery with the same event id and body. Only a delivered or failed delivery "
            "of an active webhook can be sent again."
        ),
        tags=TAGS,
        request=None,
        parameters=[WEBHOOK_ID, DELIVERY_ID, RETRY_AFTER],
        responses={202: DeliveryOutputSerializer, **error_responses(400), **NOT_FOUND},
    )
    def post(self, request, webhook_id, delivery_id):
        delivery = webhook_delivery_get(webhook=self.get_webhook(webhook_id), public_id=_uuid_or_404(delivery_id))
        copy = webhook_delivery_replay(delivery=delivery, actor=request.user, api_key=request.auth)
        return Response(DeliveryOutputSerializer(copy).data, status=status.HTTP_202_ACCEPTED)
