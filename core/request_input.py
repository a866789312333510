"""Input the portal refuses at the door, before any of it reaches a view or the database.

PostgreSQL stores no NUL character in text (psycopg refuses to send one, jsonb refuses its \\u0000
escape), and no real browser, phone or partner system sends one; nor do lone UTF-16 surrogates,
which only a JSON \\ud800 escape can produce, encode into the UTF-8 a text column holds. A request
carrying either anywhere (address, query, form, headers, JSON body) is refused with a 400 and
changes nothing. JSON is also refused past MAX_JSON_DEPTH levels of nesting: Python's parser
recurses once a level and would stop with a RecursionError far sooner than a request grows large.

`unstorable_part` names where a Django request carries such text; `UnstorableInputMiddleware`
answers pages with the portal's error page, while the APIs, which answer in their own error shape
and audit every call, ask the same question themselves (views that do say `handles_unstorable_input`).
`json_loads_limited` is the one way the portal reads JSON it was sent; DRF reads bodies through the
Limited… parsers here, which check the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.http import HttpRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

# Deeper than any document of ours (a request with its answers is 3 levels deep), far below where
# the parser's recursion could fail.
MAX_JSON_DEPTH = 32
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def storable_text(text: str) -> bool:
    """Whether PostgreSQL can store and compare `text`: no NUL, no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_storable(pairs: Iterable[tuple[str, list]]) -> bool:
    return all(
        storable_text(name) and all(storable_text(v) for v in values if isinstance(v, str)) for name, values in pairs
    )


def _address_or_headers(request: HttpRequest) -> str | None:
    if not storable_text(request.path_info):
        return "path"
    if not _all_storable(request.GET.lists()):
        return "query"
    if not _all_storable((name, [value]) for name, value in request.META.items() if name.startswith("HTTP_")):
        return "header"
    return None


def _form_storable(fields, files) -> bool:
    return _all_storable(fields.lists()) and all(
        storable_text(name) and storable_text(upload.name or "") for name, upload in files.items()
    )


def unstorable_part(request: HttpRequest) -> str | None:
    """Which part of `request` holds text that cannot be stored ("path", "query", "header",
    "form"), or None. A form body is read only when it is one (as CSRF checking reads it anyway)."""
    part = _address_or_headers(request)
    if part is None and request.method == "POST" and request.content_type in _FORM_TYPES:
        return None if _form_storable(request.POST, request.FILES) else "form"
    return part


def unstorable_message(part: str) -> str:
    where = {
        "path": _("its address"),
        "query": _("its address"),
        "header": _("its headers"),
        "form": _("its form fields"),
    }[part]
    return _(
        "This request could not be accepted: there is a character that is not allowed (a NUL character) "
        "in %(where)s. Check the link or what was typed and try again."
    ) % {"where": where}


class UnstorableInputMiddleware:
    """Refuse a request whose address, query, headers or form hold text that cannot be stored,
    with a 400 and the portal's error page. Cookies holding it are dropped as if never sent, so the
    session is never looked up by one. Put it before SessionMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name, value in list(request.COOKIES.items()):
            if not (storable_text(name) and storable_text(value)):
                del request.COOKIES[name]
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "view_class", None)
        if getattr(view_func, "handles_unstorable_input", False) or getattr(
            view_class, "handles_unstorable_input", False
        ):
            return None
        part = unstorable_part(request)
        if part is None:
            return None
        return render(request, "400.html", {"message": unstorable_message(part)}, status=400)


# --- JSON ----------------------------------------------------------------------------------------
class JSONRefused(ValueError):
    """JSON the portal will not read; `field` is the top-level key under which it went wrong, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _reject_constant(name: str):
    raise JSONRefused(_("%(name)s is not a JSON number.") % {"name": name})


def json_loads_limited(text: str | bytes):
    """`json.loads`, refusing NaN and Infinity, nesting deeper than MAX_JSON_DEPTH, and text that
    cannot be stored (JSONRefused, a ValueError, with a message fit to show the sender)."""
    too_deep = _("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_JSON_DEPTH}
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise JSONRefused(too_deep) from None
    # Walked without recursion: a document the parser accepted may still be ~1,000 levels deep.
    pending = [(document, 1, None)]
    while pending:
        value, depth, field = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise JSONRefused(too_deep)
            items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
            for key, item in items:
                if key is not None and not storable_text(key):
                    raise JSONRefused(_("A name in the JSON contains a NUL character."), field)
                pending.append((item, depth + 1, field if field is not None or depth > 1 else key))
        elif isinstance(value, str) and not storable_text(value):
            raise JSONRefused(_("This text contains a NUL character or an unpaired surrogate."), field)
    return document


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser through `json_loads_limited`: too deep is a 400 naming the limit, text
    that cannot be stored a 400 under the field that holds it, as a serializer's error would be."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            return json_loads_limited(stream.read().decode(encoding))
        except JSONRefused as exc:
            if exc.field is not None:
                raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
            raise exceptions.ParseError(str(exc)) from None
        except ValueError as exc:  # not JSON at all, or not in the declared encoding
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None


class LimitedMultiPartParser(MultiPartParser):
    """DRF's multipart parser, refusing fields and file names that cannot be stored (a 400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if not _form_storable(parsed.data, parsed.files):
            raise exceptions.ParseError(unstorable_message("form"))
        return parsed


class LimitedFormParser(FormParser):
    """DRF's form parser, refusing fields that cannot be stored (a 400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if not _all_storable(parsed.lists()):
            raise exceptions.ParseError(unstorable_message("form"))
        return parsed


def drf_refuse_unstorable(request) -> None:
    """For a DRF view: a 400 (ParseError) if the request's address, query or headers hold text that
    cannot be stored. Bodies are checked as the view reads them, by the Limited… parsers above."""
    part = _address_or_headers(request._request)
    if part is not None:
        raise exceptions.ParseError(unstorable_message(part))
