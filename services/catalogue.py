"""Defining the service catalogue in code (demo data, imports); people edit it in the admin."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from services.models import Service, ServiceAttribute

_LIST_TYPES = {ServiceAttribute.Datatype.SINGLEVALUELIST, ServiceAttribute.Datatype.MULTIVALUELIST}


def attribute_check(definition: dict) -> None:
    """Raise ValidationError unless `definition` is a usable question (type known, list choices keyed)."""
    if definition["datatype"] not in ServiceAttribute.Datatype.values:
        raise ValidationError(_("Unknown question type: %(type)s.") % {"type": definition["datatype"]})
    values = definition.get("values", [])
    if definition["datatype"] in _LIST_TYPES:
        keys = [v.get("key") for v in values]
        if not keys or any(not k for k in keys) or len(set(keys)) != len(keys):
            raise ValidationError(_("A list question needs choices, each with its own key."))


@transaction.atomic
def service_define(
    *, code: str, group: str, name_zh: str, name_en: str = "", attributes: list[dict] = (), **fields
) -> Service:
    """Create or update a service and replace its questions with `attributes`."""
    for definition in attributes:
        attribute_check(definition)
    service, _created = Service.objects.update_or_create(
        code=code, defaults={"group": group, "name_zh": name_zh, "name_en": name_en, **fields}
    )
    service.attributes.exclude(code__in=[a["code"] for a in attributes]).delete()
    for order, definition in enumerate(attributes):
        ServiceAttribute.objects.update_or_create(
            service=service, code=definition["code"], defaults={**definition, "order": order}
        )
    return service
