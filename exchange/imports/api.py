"""The import API of a provider department's system (/exchange/api/v1/imports/): push a file of a
dataset your department provides, follow its progress, fetch the report of rejected rows.

Authenticated, scoped (`exchange:import`), throttled and audited like the partner API
(partners.api_base); the key acts as the officer who made it, for the key's organisation. Another
organisation's import answers 404, like a missing one.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.request_input import LimitedMultiPartParser
from exchange.imports.selectors import import_get_for_key, import_progress, importable_dataset_for_key
from exchange.imports.services import MAX_FILE_BYTES, dataset_import_create
from exchange.imports.views import rejection_report_response
from exchange.models import ImportChannel, PayloadFormat
from partners.api_base import PartnerApiMixin
from partners.schema import error_responses
from security.models import ApiScope


class ImportApi(PartnerApiMixin, APIView):
    """A call of the import API, authenticated with a department's API key (X-API-Key)."""

    required_scope = ApiScope.PUSH_IMPORTS
    renderer_classes = [JSONRenderer]

    def get_authenticate_header(self, request):
        # No WWW-Authenticate challenge: a call without a key gets 403 with the reason, like the
        # exchange API (exchange.api.ExchangeApi).
        return None

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(detail={"file": exc.messages})
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(detail=str(exc) or None)
        return super().handle_exception(exc)


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV with a header row, or JSON Lines; at most 64 MB."))
    format = serializers.ChoiceField(
        choices=PayloadFormat.choices, required=False, help_text=_("Taken from the file name when left out.")
    )


class ImportOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    dataset = serializers.CharField(source="dataset.code")
    status = serializers.CharField()
    file_name = serializers.CharField()
    file_sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField()
    total_rows = serializers.IntegerField(allow_null=True)
    rows_done = serializers.IntegerField(source="progress.rows_done")
    percent = serializers.IntegerField(source="progress.percent")
    created = serializers.IntegerField(source="progress.created")
    updated = serializers.IntegerField(source="progress.updated")
    unchanged = serializers.IntegerField(source="progress.unchanged")
    rejected = serializers.IntegerField(source="progress.rejected")
    failed_batches = serializers.IntegerField(source="progress.batches_failed")
    status_url = serializers.SerializerMethodField()
    rejections_url = serializers.SerializerMethodField()

    def get_status_url(self, item) -> str:
        return reverse("exchange:api_import", args=[item.public_id])

    def get_rejections_url(self, item) -> str:
        return reverse("exchange:api_import_rejections", args=[item.public_id])


def _output(dataset_import) -> dict:
    dataset_import.progress = import_progress(dataset_import=dataset_import)
    return ImportOutputSerializer(dataset_import).data


class ImportCreateApi(ImportApi):
    """Push a file of a dataset your department provides (e.g. `resident-roster`: a household
    registration update). Answers 202 at once; rows are checked and written in the background —
    follow `status_url`. Rows are upserted by their natural keys, so pushing a file again is safe."""

    parser_classes = [LimitedMultiPartParser]

    @extend_schema(
        request=ImportInputSerializer,
        responses={202: ImportOutputSerializer, **error_responses(400, 404, 415)},
    )
    def post(self, request, dataset):
        found = importable_dataset_for_key(key=request.auth, code=dataset)
        data = ImportInputSerializer(data=request.data)
        if not data.is_valid():
            raise exceptions.ValidationError(data.errors)
        uploaded = data.validated_data["file"]
        if uploaded.size > MAX_FILE_BYTES:
            raise DjangoValidationError(_("The file is larger than 64 MB; split it into several imports."))
        dataset_import = dataset_import_create(
            actor=request.user,
            organisation=request.auth.organisation,
            dataset=found,
            file_name=uploaded.name,
            content=uploaded.read(),
            channel=ImportChannel.API,
            file_format=data.validated_data.get("format", ""),
        )
        return Response(_output(dataset_import), status=status.HTTP_202_ACCEPTED)


class ImportDetailApi(ImportApi):
    """Where an import your organisation pushed stands: status, rows done, counts."""

    @extend_schema(responses={200: ImportOutputSerializer, **error_responses(404)})
    def get(self, request, public_id):
        return Response(_output(import_get_for_key(key=request.auth, public_id=public_id)))


class ImportRejectionsApi(ImportApi):
    """The rejected rows of an import as CSV: line, column, reason."""

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.BINARY, description=_("CSV")), **error_responses(404)})
    def get(self, request, public_id):
        return rejection_report_response(import_get_for_key(key=request.auth, public_id=public_id))
