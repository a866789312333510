from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from directory.models import Organisation
from exchange.datasets import DATASETS
from exchange.models import Dataset, DatasetField
from security.audit import audit_record
from security.models import User


@transaction.atomic
def dataset_define(*, code: str, provider: Organisation, actor: User | None = None) -> Dataset:
    """Put a dataset the portal can extract into the catalogue, provided by `provider`; its fields
    and their sensitivity come from `exchange.datasets`. Idempotent: a second call refreshes them."""
    spec = DATASETS.get(code)
    if spec is None:
        raise ValidationError(_("The portal has no extractor for this dataset."))
    if provider.kind != Organisation.Kind.DEPARTMENT:
        raise ValidationError(_("Only a government department provides datasets."))
    before = Dataset.objects.filter(code=code).values_list("provider_id", flat=True).first()
    dataset, created = Dataset.objects.update_or_create(
        code=code,
        defaults={
            "provider": provider,
            "name_zh": spec.name_zh,
            "name_en": spec.name_en,
            "description_zh": spec.description_zh,
            "description_en": spec.description_en,
            "is_active": True,
        },
    )
    for position, field in enumerate(spec.fields):
        DatasetField.objects.update_or_create(
            dataset=dataset,
            code=field.code,
            defaults={
                "name_zh": field.name_zh,
                "name_en": field.name_en,
                "sensitivity": field.sensitivity,
                "maskable": field.maskable,
                "position": position,
            },
        )
    DatasetField.objects.filter(dataset=dataset).exclude(code__in=[f.code for f in spec.fields]).delete()
    if created or before != provider.pk:
        # Refreshing the field list from the code is not news; a new dataset or provider is.
        audit_record(
            actor=actor,
            action="exchange.dataset.define",
            target=dataset,
            details={"provider": provider.code, "created": created},
        )
    return dataset
