"""What the OpenAPI schema says about the partner API beyond its serializers: how a key is sent,
and the shape of the error answers every endpoint can give. Imported from PartnersConfig.ready()
so drf-spectacular finds the extension before it generates the schema."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "security.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": str(
                _(
                    "A key made on the partner key page (it starts with sq_). Each key carries scopes "
                    "and acts for one organisation."
                )
            ),
        }


_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# Field errors: each field (or "non_field_errors") with its messages. A list or dict field may
# nest its items' errors; a body that cannot be parsed answers {"detail": "..."}.
_FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
        ]
    },
}

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    description=_("Seconds to wait before calling again."),
    response=[429],
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers for `codes`, plus those every partner call can give
    (a missing or bad key, a missing scope, too many calls)."""
    described = {
        400: OpenApiResponse(_FIELD_ERRORS, description=_("The input is not acceptable; see each field's messages.")),
        401: OpenApiResponse(_DETAIL, description=_("No key, or an invalid, expired or revoked key.")),
        403: OpenApiResponse(_DETAIL, description=_("The key lacks the scope, or the step is not yours to take.")),
        404: OpenApiResponse(_DETAIL, description=_("No such work order for this key's organisation.")),
        415: OpenApiResponse(_DETAIL, description=_("The body's content type is not accepted here.")),
        429: OpenApiResponse(_DETAIL, description=_("Too many calls with this key; see Retry-After.")),
    }
    return {code: described[code] for code in sorted({*codes, 401, 403, 429})}
