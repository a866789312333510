"""The datasets the portal knows how to extract: their fields, each field's sensitivity and mask,
and the query that reads them for a set of areas.

A catalogue row (`exchange.models.Dataset`) names one of these by its code; an agreement allows a
subset of its fields. Extraction reads only the allowed fields, and decrypts an ID number or phone
only when the agreement allows it unmasked — masked values come from the stored masked columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from exchange.models import Sensitivity
from residents.models import ResidentProfile
from security import personal_data
from services.models import OPEN_STATUSES, ServiceRequest

CHUNK = 5_000


@dataclass(frozen=True)
class FieldSpec:
    code: str
    name_zh: str
    name_en: str
    sensitivity: str
    # Database column(s) read for the field, masked or not; `reveal` turns the stored value into the
    # full one (decryption), `mask` into the masked one.
    column: str
    masked_column: str = ""
    reveal: Callable[[str], str] | None = None
    mask: Callable[[str], str] | None = None

    @property
    def maskable(self) -> bool:
        return bool(self.masked_column or self.mask)


@dataclass(frozen=True)
class Row:
    values: dict
    resident_id: int | None = None


@dataclass(frozen=True)
class DatasetSpec:
    code: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    fields: list[FieldSpec]
    rows: Callable[..., Iterator[Row]]
    about_residents: bool = False
    field_index: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        self.field_index.update({spec.code: spec for spec in self.fields})

    def spec_for(self, code: str) -> FieldSpec:
        return self.field_index[code]


def _decrypt(token: str) -> str:
    return personal_data.decrypt(token) if token else ""


def mask_name(value: str) -> str:
    """张** : the family name stays, the given name is hidden."""
    return value[:1] + "*" * max(len(value) - 1, 1) if value else ""


def mask_address(value: str) -> str:
    """The street stays, the number and flat are hidden: 人民路*** ."""
    head = value[: max(len(value) // 2, 1)]
    return head + "***" if value else ""


def _area_q(lookup: str, area_paths: list[str]) -> Q:
    condition = Q(pk__in=[])
    for path in area_paths:
        condition |= Q(**{f"{lookup}__startswith": path})
    return condition


def _bool(value) -> str:
    return "1" if value else "0"


RESIDENT_FIELDS = [
    FieldSpec("resident_id", "居民编号", "Resident number", Sensitivity.INTERNAL, "public_id"),
    FieldSpec("full_name", "姓名", "Full name", Sensitivity.PERSONAL, "full_name", mask=mask_name),
    FieldSpec(
        "id_card_number",
        "身份证号",
        "ID-card number",
        Sensitivity.SENSITIVE,
        "id_card_encrypted",
        masked_column="id_card_masked",
        reveal=_decrypt,
    ),
    FieldSpec(
        "phone",
        "手机号",
        "Phone",
        Sensitivity.SENSITIVE,
        "phone_encrypted",
        masked_column="phone_masked",
        reveal=_decrypt,
    ),
    FieldSpec("address", "住址", "Address", Sensitivity.PERSONAL, "household__address", mask=mask_address),
    FieldSpec("grid_code", "网格编码", "Grid code", Sensitivity.PUBLIC, "household__grid__code"),
    FieldSpec("grid_name", "网格", "Grid", Sensitivity.PUBLIC, "household__grid__name_zh"),
    FieldSpec("is_elderly", "老年人", "Elderly (60+)", Sensitivity.PERSONAL, "is_elderly"),
    FieldSpec("lives_alone", "独居", "Lives alone", Sensitivity.PERSONAL, "lives_alone"),
]


def _resident_rows(
    queryset: QuerySet, spec_fields: list[FieldSpec], *, area_paths: list[str], fields: list[str], masked: set[str]
) -> Iterator[Row]:
    specs = {s.code: s for s in spec_fields}
    columns: list[str] = ["pk"]
    readers: list[tuple[str, int, Callable | None]] = []
    for code in fields:
        spec = specs[code]
        if code in masked and spec.masked_column:
            column, convert = spec.masked_column, None
        elif code in masked:
            column, convert = spec.column, spec.mask
        else:
            column, convert = spec.column, spec.reveal
        if column not in columns:
            columns.append(column)
        readers.append((code, columns.index(column), convert))
    rows = (
        queryset.filter(_area_q("household__grid__path", area_paths))
        .order_by("pk")
        .values_list(*columns)
        .iterator(chunk_size=CHUNK)
    )
    for record in rows:
        values = {}
        for code, index, convert in readers:
            value = record[index]
            if convert is not None:
                value = convert(value)
            elif isinstance(value, bool):
                value = _bool(value)
            else:
                value = "" if value is None else str(value)
            values[code] = value
        yield Row(values, record[0])


def resident_roster_rows(**kwargs) -> Iterator[Row]:
    return _resident_rows(ResidentProfile.objects.all(), RESIDENT_FIELDS, **kwargs)


def elderly_roster_rows(**kwargs) -> Iterator[Row]:
    return _resident_rows(ResidentProfile.objects.filter(is_elderly=True), RESIDENT_FIELDS, **kwargs)


STATS_FIELDS = [
    FieldSpec("grid_code", "网格编码", "Grid code", Sensitivity.PUBLIC, "grid__code"),
    FieldSpec("grid_name", "网格", "Grid", Sensitivity.PUBLIC, "grid__name_zh"),
    FieldSpec("service_code", "服务类别", "Service", Sensitivity.PUBLIC, "service__code"),
    FieldSpec("requests", "诉求数", "Requests", Sensitivity.PUBLIC, "requests"),
    FieldSpec("open", "未办结", "Open", Sensitivity.INTERNAL, "open"),
    FieldSpec("overdue", "超期", "Overdue", Sensitivity.INTERNAL, "overdue"),
]


def request_stats_rows(*, area_paths: list[str], fields: list[str], masked: set[str]) -> Iterator[Row]:
    """Counts of requests by grid and service: no person appears in them."""
    specs = {s.code: s for s in STATS_FIELDS}
    grouped = (
        ServiceRequest.objects.filter(_area_q("grid__path", area_paths), merged_into__isnull=True)
        .values("grid__code", "grid__name_zh", "service__code")
        .annotate(
            requests=Count("id"),
            open=Count("id", filter=Q(status__in=sorted(OPEN_STATUSES))),
            overdue=Count("id", filter=Q(is_overdue=True)),
        )
        .order_by("grid__code", "service__code")
    )
    for record in grouped:
        yield Row({code: str(record[specs[code].column]) for code in fields})


DATASETS: dict[str, DatasetSpec] = {
    spec.code: spec
    for spec in [
        DatasetSpec(
            code="resident-roster",
            name_zh="常住居民花名册",
            name_en="Resident roster",
            description_zh="按网格登记的居民：姓名、身份证号、手机号、住址、是否老年人、是否独居。",
            description_en="Residents registered by grid: name, ID number, phone, address, elderly, living alone.",
            fields=RESIDENT_FIELDS,
            rows=resident_roster_rows,
            about_residents=True,
        ),
        DatasetSpec(
            code="elderly-roster",
            name_zh="老年人及独居老人名册",
            name_en="Elderly and living-alone roster",
            description_zh="60岁及以上居民，并标明是否独居，用于探访和养老服务。",
            description_en="Residents aged 60 or over, marked when they live alone, for visits and elderly care.",
            fields=RESIDENT_FIELDS,
            rows=elderly_roster_rows,
            about_residents=True,
        ),
        DatasetSpec(
            code="request-stats",
            name_zh="诉求统计",
            name_en="Service-request statistics",
            description_zh="按网格和服务类别统计的诉求数、未办结数和超期数，不含个人信息。",
            description_en="Requests, open requests and overdue requests by grid and service; no personal data.",
            fields=STATS_FIELDS,
            rows=request_stats_rows,
        ),
    ]
}

SENSITIVITY_ORDER = [Sensitivity.PUBLIC, Sensitivity.INTERNAL, Sensitivity.PERSONAL, Sensitivity.SENSITIVE]
UNKNOWN_DATASET = _("The portal has no extractor for this dataset.")
