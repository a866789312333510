"""Open311 documents on the wire: JSON and XML, chosen by the URL's suffix, and the form fields a
client posts its answers in (`attribute[code]=value`, `attribute[code][]=value`).

A document is built once as plain Python (dicts, lists, strings, numbers, booleans, None) and
rendered either way. The XML follows the spec's shape: a list's items are elements named after
the list (`<services><service>`, `<service_requests><request>`, `<values><value>`), a dict's
keys become child elements, None an empty element and booleans `true`/`false` — the mapping of the
Spark convention the spec's JSON is defined by.
"""

import json
import re
from xml.etree.ElementTree import Element, SubElement, tostring

from django.http import HttpResponse, QueryDict

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}

# The element of each item in a list, by the list's own element.
ITEM_ELEMENTS = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}

# Characters XML 1.0 cannot carry at all, not even escaped (most C0 controls). A resident's
# description may hold one pasted from somewhere; dropping it keeps the document well-formed.
_NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'


def render(document, *, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """The response carrying `document` as JSON, or as XML under a `root` element."""
    if fmt == "xml":
        body = _XML_DECLARATION + xml_text(document, root=root)
    else:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPES[fmt])


def xml_text(document, *, root: str) -> str:
    element = Element(root)
    _fill(element, root, document)
    return tostring(element, encoding="unicode")


def _fill(element: Element, name: str, value) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(SubElement(element, key), key, inner)
    elif isinstance(value, list | tuple):
        item_name = ITEM_ELEMENTS[name]
        for inner in value:
            _fill(SubElement(element, item_name), item_name, inner)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = _NOT_IN_XML.sub("", str(value))


def error_document(errors: list[tuple[int, str]]) -> list[dict]:
    """The spec's error list: one {code, description} per problem."""
    return [{"code": code, "description": description} for code, description in errors]


# attribute[code] or attribute[code][]: the spec's way of posting a service's answers.
_ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class MalformedAttributeField(ValueError):
    """A form field that starts like an answer (`attribute…`) but is not one."""


def form_answers(data: QueryDict) -> dict[str, str | list[str]]:
    """Answers by attribute code: a list for `attribute[code][]` (a multivaluelist, each value
    its own field) or a repeated field, else the one value."""
    answers: dict[str, str | list[str]] = {}
    for field, values in data.lists():
        if not field.startswith("attribute"):
            continue
        match = _ATTRIBUTE_FIELD.match(field)
        if match is None:
            raise MalformedAttributeField(field)
        code, as_list = match.group(1), bool(match.group(2))
        earlier = answers.get(code)
        if earlier is not None:
            earlier_values = earlier if isinstance(earlier, list) else [earlier]
            answers[code] = earlier_values + list(values)
        elif as_list or len(values) > 1:
            answers[code] = list(values)
        else:
            answers[code] = values[0]
    return answers
