"""Reading what an Open311 client sends, and saying exactly what is wrong with it.

The spec's rule for optional arguments: an empty one is the same as an absent one. Everything a
client can get wrong is an `Open311Error` with the HTTP status the spec gives (404 for a resource
that does not exist, 403 for the key, 400 for the rest), never an exception that would become a
500. These descriptions are machine-facing and stay in English; the messages the filing service
gives about a request's content come in the request's language.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from core.request_input import storable_text
from services.models import OPEN_STATUSES, RequestStatus

MAX_WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_PAGE = 100_000
MAX_IDS = 1000
_COORDINATE_PLACES = Decimal("0.000001")


class Open311Error(Exception):
    """One or more problems, answered as the spec's error list with `status`."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(descriptions)
        self.status = status
        self.errors = [(status, description) for description in descriptions]


def bad(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


def forbidden(description: str) -> Open311Error:
    return Open311Error(403, description)


def optional(data, name: str) -> str:
    """The argument's value, stripped; "" when it is absent or empty (the spec treats both alike)."""
    value = data.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def reject_nul(*sources) -> None:
    """PostgreSQL cannot store or compare text with a NUL character (core.request_input, whose
    middleware leaves Open311 to answer in its own format); no real client sends one."""
    for source in sources:
        items = source.lists() if hasattr(source, "lists") else ((k, [v]) for k, v in source.items())
        for name, values in items:
            if not storable_text(name) or any(isinstance(v, str) and not storable_text(v) for v in values):
                raise bad(f"{name.replace(chr(0), '')!r} contains a NUL character.")


def check_jurisdiction(value: str) -> None:
    if value and value != settings.OPEN311_JURISDICTION_ID:
        raise not_found(
            f"jurisdiction_id {value!r} is not served here; this endpoint serves only "
            f"{settings.OPEN311_JURISDICTION_ID!r}."
        )


def language_of(locale: str) -> str:
    """The portal language for an Open311 `locale` (en, en_US, zh_CN, …); Chinese unless English."""
    return "en" if locale.lower().replace("_", "-").split("-")[0] == "en" else settings.LANGUAGE_CODE


def flag(data, name: str) -> bool:
    value = optional(data, name).lower()
    if value in ("", "false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise bad(f"{name} must be true or false.")


def comma_list(data, name: str) -> list[str]:
    values = [part.strip() for part in optional(data, name).split(",") if part.strip()]
    if len(values) > MAX_IDS:
        raise bad(f"{name} lists {len(values)} values; at most {MAX_IDS} at a time.")
    return list(dict.fromkeys(values))


def statuses(data) -> set[str] | None:
    """The internal statuses behind `status=open`, `closed` or `open,closed`; None for all."""
    wanted = {value.lower() for value in comma_list(data, "status")}
    if not wanted:
        return None
    unknown = wanted - {"open", "closed"}
    if unknown:
        raise bad(f"status must be open, closed or both (comma-separated), not {', '.join(sorted(unknown))}.")
    chosen: set[str] = set()
    if "open" in wanted:
        chosen |= set(OPEN_STATUSES)
    if "closed" in wanted:
        chosen |= set(RequestStatus.values) - set(OPEN_STATUSES)
    return chosen


# A "+" in a query string means a space, so an unencoded offset (…T08:00:00+08:00) arrives as
# "…T08:00:00 08:00". Reading it back is kinder than refusing what most clients send.
_SPACED_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def w3_datetime(value: str, name: str) -> datetime:
    """A W3C/ISO 8601 date-time; without an offset it is read as the portal's local time."""
    value = _SPACED_OFFSET.sub(r"\1+\2", value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad(f"{name} must be a W3C date-time such as 2026-05-01T08:00:00+08:00, not {value!r}.") from None
    # Far-off years overflow date arithmetic and PostgreSQL's range; no request is that old or new.
    if not 1900 <= moment.year <= 2999:
        raise bad(f"{name} must be a date-time between the years 1900 and 2999.")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def date_window(data, *, start_name: str = "start_date", end_name: str = "end_date") -> tuple[datetime, datetime]:
    """The spec's window: both ends as given, one end and 90 days from it, or the last 90 days;
    never longer than 90 days."""
    start_raw, end_raw = optional(data, start_name), optional(data, end_name)
    start = w3_datetime(start_raw, start_name) if start_raw else None
    end = w3_datetime(end_raw, end_name) if end_raw else None
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - MAX_WINDOW
    if end is None:
        end = start + MAX_WINDOW
    if start > end:
        raise bad(f"{start_name} must not be after {end_name}.")
    if end - start > MAX_WINDOW:
        raise bad(f"{start_name} and {end_name} may be at most 90 days apart.")
    return start, end


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def bounds(self) -> tuple[int, int]:
        first = (self.number - 1) * self.size
        return first, first + self.size


def _whole_number(data, name: str, default: int, maximum: int) -> int:
    raw = optional(data, name)
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise bad(f"{name} must be a whole number from 1 to {maximum}.")
    return int(raw)


def page(data) -> Page:
    """The common `page` / `page_size` extension; by default the first 1,000 (the spec's limit)."""
    return Page(
        number=_whole_number(data, "page", 1, MAX_PAGE),
        size=_whole_number(data, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE),
    )


def coordinate(value: str, name: str, limit: int) -> Decimal | None:
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise bad(f"{name} must be a number of degrees (WGS84), not {value!r}.") from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise bad(f"{name} must be a number of degrees between -{limit} and {limit}.")
    return number.quantize(_COORDINATE_PLACES)
