"""Checking a request's answers against its service's questions (Open311 attributes)."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from services.models import Service, ServiceAttribute

MAX_SHORT_TEXT = 255
MAX_LONG_TEXT = 4000


def _one(value) -> str:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _many(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v) != ""]
    return [str(value)]


def _clean(attribute: ServiceAttribute, raw) -> str | list[str] | None:
    """The stored form of one answer, None when it is blank; ValidationError when it is invalid."""
    kind = ServiceAttribute.Datatype
    if attribute.datatype == kind.MULTIVALUELIST:
        keys = _many(raw)
        allowed = {v["key"] for v in attribute.values}
        if any(key not in allowed for key in keys):
            raise ValidationError(_("Choose from the listed options."))
        # Each option once: so no more answers than options, however many a client sends.
        if len(set(keys)) != len(keys):
            raise ValidationError(_("Choose each option at most once."))
        return keys or None
    value = _one(raw).strip()
    if value == "":
        return None
    if attribute.datatype == kind.SINGLEVALUELIST:
        if value not in {v["key"] for v in attribute.values}:
            raise ValidationError(_("Choose one of the listed options."))
        return value
    if attribute.datatype == kind.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValidationError(_("Enter a number, e.g. 3 or 2.5.")) from None
        if not number.is_finite():
            raise ValidationError(_("Enter a number, e.g. 3 or 2.5."))
        return str(number)
    if attribute.datatype == kind.DATETIME:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(_("Enter a date and time, e.g. 2026-05-01 08:30.")) from None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.isoformat()
    limit = MAX_LONG_TEXT if attribute.datatype == kind.TEXT else MAX_SHORT_TEXT
    if len(value) > limit:
        raise ValidationError(_("At most %(limit)d characters.") % {"limit": limit})
    return value


def answers_validate(*, service: Service, raw: dict) -> dict:
    """Return the cleaned answers keyed by attribute code, or raise one ValidationError whose
    dict maps each bad attribute code to its message, so a form can show each beside its field.
    Answers to questions the service does not ask are dropped."""
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for attribute in service.attributes.all():
        if not attribute.variable:
            continue
        try:
            value = _clean(attribute, raw.get(attribute.code))
        except ValidationError as exc:
            errors[attribute.code] = exc.messages
            continue
        if value is None:
            if attribute.required:
                errors[attribute.code] = [_("This question needs an answer.")]
            continue
        cleaned[attribute.code] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def answers_for_display(*, service: Service, answers: dict) -> list[tuple[str, str]]:
    """(question, answer) pairs in the service's order, with choice keys turned into their names."""
    shown = []
    for attribute in service.attributes.all():
        if attribute.code not in answers:
            continue
        value = answers[attribute.code]
        names = dict(attribute.choices())
        if isinstance(value, list):
            text = "、".join(names.get(v, v) for v in value)
        else:
            text = names.get(value, value)
        shown.append((attribute.question, text))
    return shown
