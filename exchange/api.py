"""The exchange API for departments' systems (/exchange/api/v1/): list the exchanges sent to your
organisation, fetch a payload with its signature, ask for a run of an agreement.

Authenticated, scoped, throttled and audited like the partner API (partners.api_base): an
`X-API-Key` of a department organisation with the `exchange:fetch` scope. Every refusal (no
agreement, agreement expired or revoked, a field the agreement does not allow, a payload or
signature that does not verify) answers with a message and a code and is in the audit log.
"""

import base64

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.request_input import LimitedJSONParser
from exchange.selectors import agreement_get_for_key, entries_for_key
from exchange.services import ExchangeRefused, entry_fetch, exchange_job_request
from exchange.services.refusal import refuse
from exchange.signing import manifest_of
from partners.api_base import PartnerApiMixin
from partners.schema import RETRY_AFTER, error_responses
from security.models import ApiScope

REFUSAL_STATUS = {
    "not_found": status.HTTP_404_NOT_FOUND,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "not_in_force": status.HTTP_403_FORBIDDEN,
    "field_not_allowed": status.HTTP_400_BAD_REQUEST,
    "tampered": status.HTTP_409_CONFLICT,
}


REFUSED = {"type": "object", "properties": {"detail": {"type": "string"}, "code": {"type": "string"}}}
TAMPERED = {
    409: OpenApiResponse(
        REFUSED, description=_("The payload or its signature does not verify; it is withheld (code: tampered).")
    )
}
AGREEMENT_FILTER = OpenApiParameter(
    "agreement", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=False, description=_("Only this agreement's.")
)


class ExchangeApi(PartnerApiMixin, APIView):
    """A call of the exchange API, authenticated with a department's API key (X-API-Key)."""

    required_scope = ApiScope.FETCH_EXCHANGES
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]

    def get_authenticate_header(self, request):
        # No WWW-Authenticate challenge: a call without a key gets 403 with the reason, like every
        # other guarded address of the portal (tests/test_security_probes.py).
        return None

    def handle_exception(self, exc):
        if isinstance(exc, ExchangeRefused):
            return Response({"detail": exc.messages[0], "code": exc.code}, status=REFUSAL_STATUS[exc.code])
        return super().handle_exception(exc)


class EntryOutputSerializer(serializers.Serializer):
    job = serializers.UUIDField(source="job.public_id")
    agreement = serializers.UUIDField(source="agreement.public_id")
    dataset = serializers.CharField(source="agreement.dataset.code")
    provider = serializers.CharField(source="agreement.provider.code")
    created_at = serializers.DateTimeField()
    format = serializers.CharField(source="payload_format")
    record_count = serializers.IntegerField()
    payload_sha256 = serializers.CharField()
    manifest = serializers.SerializerMethodField()
    signature = serializers.CharField()
    key = serializers.CharField(source="signing_key.fingerprint")
    public_key = serializers.CharField(source="signing_key.public_key")

    def get_manifest(self, entry) -> str:
        """The exact signed bytes, base64: verify the signature over these, then compare their
        payload_sha256 with the hash of the payload you fetched."""
        return base64.b64encode(manifest_of(entry)).decode()


class EntryPageSerializer(serializers.Serializer):
    results = EntryOutputSerializer(many=True)


class EntryListApi(ExchangeApi):
    """The exchanges logged for your organisation as consumer, newest first (at most 100); filter
    with `agreement=<id>`."""

    @extend_schema(
        operation_id="exchanges_list",
        summary=_("The exchanges sent to your organisation"),
        tags=["data exchange"],
        parameters=[AGREEMENT_FILTER, RETRY_AFTER],
        responses={
            200: EntryPageSerializer,
            **error_responses(),
        },
    )
    def get(self, request):
        entries = entries_for_key(key=request.auth, agreement=request.query_params.get("agreement", ""))
        return Response({"results": EntryOutputSerializer(entries[:100], many=True).data})


class PayloadApi(ExchangeApi):
    """The payload of one exchange: JSON Lines or CSV, with the signed manifest, the signature and
    the provider's public key in X-Exchange-* headers."""

    @extend_schema(
        operation_id="exchanges_payload",
        summary=_("Fetch one exchange's payload"),
        tags=["data exchange"],
        parameters=[RETRY_AFTER],
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description=_("JSON Lines or CSV, as the agreement says.")),
            **error_responses(404),
            **TAMPERED,
        },
    )
    def get(self, request, job):
        deliverable = entry_fetch(key=request.auth, job_public_id=job)
        response = FileResponse(
            deliverable.path.open("rb"),  # FileResponse closes it
            as_attachment=True,
            filename=deliverable.entry.payload_name,
        )
        for name, value in deliverable.headers().items():
            response[name] = value
        return response


class RunInputSerializer(serializers.Serializer):
    fields = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=100)


class RunOutputSerializer(serializers.Serializer):
    job = serializers.UUIDField()
    status = serializers.CharField()
    detail = serializers.CharField()


class RunApi(ExchangeApi):
    """Ask for a run of an agreement your organisation is party to, now; optionally fewer fields
    than the agreement allows. Answers 202 with the job's id; the entry appears in the list when
    the job is done."""

    parser_classes = [LimitedJSONParser]

    @extend_schema(
        operation_id="agreements_run",
        summary=_("Ask for a run of an agreement now"),
        tags=["data exchange"],
        parameters=[RETRY_AFTER],
        request=RunInputSerializer,
        responses={202: RunOutputSerializer, **error_responses(400, 404, 415)},
    )
    def post(self, request, agreement):
        data = RunInputSerializer(data=request.data)
        if not data.is_valid():
            raise exceptions.ValidationError(data.errors)
        found = agreement_get_for_key(key=request.auth, public_id=agreement)
        if found is None:
            refuse(
                actor=request.user,
                action="exchange.job.refused",
                target=request.auth,
                code="not_found",
                message=_("Your organisation has no agreement with this number."),
                details={"agreement": str(agreement)},
            )
        job = exchange_job_request(actor=request.user, agreement=found, fields=data.validated_data.get("fields"))
        return Response(
            {"job": str(job.public_id), "status": job.status, "detail": str(_("Queued."))},
            status=status.HTTP_202_ACCEPTED,
        )
