"""The Open311 GeoReport v2 endpoints.

Every endpoint goes through `open311_endpoint`, which does what they share, in this order: the
format suffix, the HTTP method, reading the arguments, the API key (header `X-API-Key`, or
`api_key` in a POST's form as the spec has it; never in the address, where it would be logged),
the throttle, `jurisdiction_id`, the language (`locale`, Chinese by default), and then the view.
Whatever goes wrong comes back as the spec's error list in the format asked for — never Django's
HTML pages — and every call made with a key, every POST, and every call refused for a key in its
address leaves its audit event (`api.call`, or the filing's `request.file`).
"""

import functools
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.http import Http404, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone, translation
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from security.api_auth import HEADER as API_KEY_HEADER
from security.api_keys import api_key_authenticate
from security.api_throttle import throttle_wait
from security.audit import audit_record
from security.models import ApiKey, ApiScope
from services.models import Channel
from services.open311 import arguments, documents, selectors
from services.open311.arguments import Open311Error, bad, forbidden, not_found, optional
from services.open311.formats import CONTENT_TYPES, MalformedAttributeField, error_document, form_answers, render
from services.services import request_file

logger = logging.getLogger(__name__)

READ = ("GET", "HEAD")


class _Refused(Open311Error):
    """An error answered with extra headers (Allow, Retry-After)."""

    def __init__(self, status: int, description: str, headers: dict[str, str]):
        super().__init__(status, description)
        self.headers = headers


def _errors(errors: list[tuple[int, str]], *, fmt: str, status: int, headers: dict | None = None) -> HttpResponse:
    response = render(error_document(errors), fmt=fmt, root="errors", status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _arguments(request):
    """The call's arguments: the query string, and for a POST the form on top of it."""
    try:
        if request.method != "POST":
            return request.GET
        request.FILES  # noqa: B018 -- parse the uploads now, inside this try
        if not request.GET:
            return request.POST  # a client's usual POST: the form alone, read as it is
        merged = request.GET.copy()
        for name, values in request.POST.lists():
            merged.setlist(name, values)
        return merged
    except (MultiPartParserError, SuspiciousOperation) as exc:
        raise bad(f"The form could not be read: {exc}") from None


def _key_in_address(request) -> bool:
    return "api_key" in request.GET


def _raw_key(request, data) -> str:
    # Addresses end up in access logs, proxies' and browsers' histories: a key sent in one is
    # refused, unused, and the call audited, so its owner can be told to replace it.
    if _key_in_address(request):
        raise bad("Send api_key in the POST body or the X-API-Key header, never in the address: addresses are logged.")
    return (request.META.get(API_KEY_HEADER, "") or optional(data, "api_key")).strip()


def _audit_call(key: ApiKey | None, request, response: HttpResponse) -> None:
    """An `api.call` event: by the key's operator, or by no one for a POST without a usable key
    (kept with the caller's address: someone may be guessing keys)."""
    try:
        audit_record(
            actor=key.created_by if key is not None else None,
            action="api.call",
            target=key,
            # As sent (percent-encoded): a NUL the call was refused for cannot be stored as text.
            details={
                "api": "open311",
                "method": request.method,
                "path": escape_uri_path(request.path),
                "status": response.status_code,
            },
        )
    except Exception:
        # The call itself is done (a request may be filed); failing it now would make the client
        # file it again. The log says the audit event is missing.
        logger.exception("Open311: could not record the api.call audit event for key %s", key and key.pk)


def open311_endpoint(*, methods: tuple[str, ...] = READ):
    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def endpoint(request, fmt: str, **kwargs):
            out = fmt.lower() if fmt.lower() in CONTENT_TYPES else "json"
            key = None
            language = settings.LANGUAGE_CODE
            try:
                if out != fmt.lower():
                    raise bad(f"Unknown format {fmt!r}: Open311 URLs end in .json or .xml.")
                if request.method not in methods:
                    raise _Refused(405, f"{request.method} is not allowed here.", {"Allow": ", ".join(methods)})
                data = _arguments(request)
                language = arguments.language_of(optional(data, "locale"))
                raw_key = _raw_key(request, data)
                key = api_key_authenticate(raw_key) if raw_key else None
                # After the key is known, so a call refused for a NUL is audited as its key's.
                arguments.reject_nul(data, kwargs)
                wait = throttle_wait(key=key, request=request)
                if wait is not None:
                    raise _Refused(429, f"Too many calls; try again in {wait} seconds.", {"Retry-After": str(wait)})
                if raw_key and key is None:
                    raise forbidden("Invalid, expired or revoked api_key.")
                arguments.check_jurisdiction(optional(data, "jurisdiction_id"))
                with translation.override(language):
                    response = view(request, fmt=out, data=data, key=key, **kwargs)
            except _Refused as exc:
                response = _errors(exc.errors, fmt=out, status=exc.status, headers=exc.headers)
            except Open311Error as exc:
                response = _errors(exc.errors, fmt=out, status=exc.status)
            except Http404:
                response = _errors([(404, "Not found.")], fmt=out, status=404)
            except Exception:
                # The spec's "general service error" is a 400 the client reports to us; the log
                # has the traceback.
                logger.exception("Open311: %s %s failed", request.method, request.path)
                response = _errors([(400, "General service error; please report it.")], fmt=out, status=400)
            response["Content-Language"] = language
            # Every call with a key, and every POST, accepted or refused, leaves an audit event. A
            # filed request's own event names the key: one event for that call, not two.
            audited = key is not None or request.method == "POST" or _key_in_address(request)
            if audited and not getattr(response, "filed_request", False):
                _audit_call(key, request, response)
            return response

        # Open311 answers unstorable input in its own error format and audits it (reject_nul above);
        # core.request_input's middleware leaves it to us.
        endpoint.handles_unstorable_input = True
        return endpoint

    return wrap


# --- discovery and the catalogue ----------------------------------------------------------------
@open311_endpoint()
def discovery(request, *, fmt, data, key):
    base = request.build_absolute_uri(request.path.rsplit("/", 1)[0] + "/")
    document = documents.discovery_document(
        url=base,
        changeset=selectors.catalogue_changed_at(),
        production=not settings.DEBUG,
        contact=f"Shunqing District smart-community portal (顺庆智慧社区), {settings.PORTAL_URL or base}",
    )
    return render(document, fmt=fmt, root="discovery")


@open311_endpoint()
def service_list(request, *, fmt, data, key):
    return render([documents.service_document(s) for s in selectors.services_listed()], fmt=fmt, root="services")


@open311_endpoint()
def service_definition(request, *, fmt, data, key, service_code: str):
    try:
        service = selectors.service_defined(code=service_code)
    except Http404:
        raise not_found(f"No service with service_code {service_code!r}.") from None
    return render(documents.definition_document(service), fmt=fmt, root="service_definition")


# --- requests -----------------------------------------------------------------------------------
@open311_endpoint(methods=(*READ, "POST"))
def requests_collection(request, *, fmt, data, key):
    if request.method == "POST":
        return _file(request, fmt=fmt, data=data, key=key)
    with_notes = arguments.flag(data, "extensions")
    ids = arguments.comma_list(data, "service_request_id")
    if ids:
        # The spec: ids override every other argument.
        found = selectors.public_requests_search(ids=ids, with_notes=with_notes)
    else:
        start, end = arguments.date_window(data)
        found = selectors.public_requests_search(
            service_codes=arguments.comma_list(data, "service_code"),
            statuses=arguments.statuses(data),
            start=start,
            end=end,
            page=arguments.page(data),
            with_notes=with_notes,
        )
    return render(
        [documents.request_document(r, with_notes=with_notes, absolute_uri=request.build_absolute_uri) for r in found],
        fmt=fmt,
        root="service_requests",
    )


@open311_endpoint()
def request_detail(request, *, fmt, data, key, service_request_id: str):
    with_notes = arguments.flag(data, "extensions")
    try:
        found = selectors.public_request_get(public_id=service_request_id, with_notes=with_notes)
    except Http404:
        raise not_found(f"No public request with service_request_id {service_request_id!r}.") from None
    document = documents.request_document(found, with_notes=with_notes, absolute_uri=request.build_absolute_uri)
    return render([document], fmt=fmt, root="service_requests")


@open311_endpoint()
def token(request, *, fmt, data, key, token: str):
    try:
        number = selectors.open311_request_by_token(token=token).public_id
    except Http404:
        raise not_found(f"No request for token {token!r}.") from None
    return render([{"service_request_id": number, "token": token}], fmt=fmt, root="service_requests")


@open311_endpoint()
def updates(request, *, fmt, data, key):
    start, end = arguments.date_window(data)
    found = selectors.public_updates(start=start, end=end, page=arguments.page(data))
    return render([documents.update_document(e) for e in found], fmt=fmt, root="service_request_updates")


# --- filing -------------------------------------------------------------------------------------
# The Open311 argument behind each field `request_file` may refuse; the rest are attribute codes.
_FIELD_ARGUMENTS = {
    "description": "description",
    "location": "location (lat/long or address_id)",
    "contact_phone": "phone",
    "photos": "media",
    "service": "service_code",
}


def _field_errors(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    described = []
    for field, messages in exc.message_dict.items():
        if field == "__all__":
            described.extend(messages)
            continue
        argument = _FIELD_ARGUMENTS.get(field, f"attribute[{field}]")
        described.extend(f"{argument}: {message}" for message in messages)
    return described


def _location(data):
    """Where: a grid by its code (`address_id`), a point (`lat` + `long`, placed in its grid by
    the filing service), or both. `address_string` is kept as the request's address text, but we
    have no geocoder, so on its own it cannot place a request."""
    lat_raw, long_raw = optional(data, "lat"), optional(data, "long")
    if bool(lat_raw) != bool(long_raw):
        raise bad("lat and long go together: give both, or neither.")
    lat = arguments.coordinate(lat_raw, "lat", 90)
    lng = arguments.coordinate(long_raw, "long", 180)
    grid = None
    address_id = optional(data, "address_id")
    if address_id:
        grid = selectors.grid_by_code(code=address_id)
        if grid is None:
            raise bad(f"address_id {address_id!r} is not the code of one of our grids.")
    address = optional(data, "address_string")
    if grid is None and lat is None:
        if address:
            raise bad("address_string alone cannot be placed: also give lat and long, or address_id (a grid's code).")
        raise bad("A location is required: lat and long, or address_id (a grid's code).")
    return grid, lat, lng, address


def _contact_name(first: str, last: str) -> str:
    # Chinese names are written family name first and without a space.
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def _file(request, *, fmt, data, key):
    """POST requests: filed at once by `request_file`, as the operator who created the key, like
    the partner API's; the answer carries the request's number, which is also its `token`. The
    e-mail, device and account arguments are accepted and not kept; `media_url` is not fetched
    (uploaded `media` files are taken, as photos)."""
    if key is None:
        raise forbidden("An api_key is required to submit requests.")
    if not key.has_scope(ApiScope.SUBMIT_REQUESTS):
        raise forbidden(f"This api_key lacks the scope {ApiScope.SUBMIT_REQUESTS.value}.")
    code = optional(data, "service_code")
    if not code:
        raise bad("service_code is required.")
    service = selectors.service_for_filing(code=code)
    if service is None:
        raise not_found(f"No service with service_code {code!r}.")
    try:
        answers = form_answers(data)
    except MalformedAttributeField as exc:
        raise bad(f"{exc} is not an answer: write attribute[code]=value or attribute[code][]=value.") from None
    grid, lat, lng, address = _location(data)
    try:
        filed = request_file(
            actor=key.created_by,
            requester=None,
            channel=Channel.OPEN311,
            api_key=key,
            service=service,
            description=data.get("description", ""),
            answers=answers,
            grid=grid,
            lat=lat,
            lng=lng,
            address=address,
            contact_name=_contact_name(optional(data, "first_name"), optional(data, "last_name")),
            contact_phone=optional(data, "phone"),
            photos=request.FILES.getlist("media"),
        )
    except ValidationError as exc:
        raise bad(*_field_errors(exc)) from None
    except PermissionDenied:
        raise forbidden("The operator who created this api_key may no longer file requests.") from None
    notice = _("%(service)s: it will be looked at by %(due)s.") % {
        "service": service.name,
        "due": timezone.localtime(filed.accept_due_at).strftime("%Y-%m-%d %H:%M"),
    }
    response = render(
        [{"service_request_id": filed.public_id, "service_notice": notice, "account_id": None}],
        fmt=fmt,
        root="service_requests",
    )
    # The filing's audit event names the key and stands for this call.
    response.filed_request = True
    return response


@csrf_exempt
def unknown(request, path: str = ""):
    """Anything else under /open311/v2/: a 404 in the spec's error format, not an HTML page."""
    fmt = "xml" if request.path.lower().endswith(".xml") else "json"
    return _errors([(404, "No such Open311 resource; see discovery.json.")], fmt=fmt, status=404)
