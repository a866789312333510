"""Inserting new rows without the ORM's per-value machinery, for the writes made once per API call.

`bulk_create` prepares every value of every row through several method calls of its field, and
psycopg2 then quotes each one into the statement through an adapter object of its own (1 to 5 µs
a value: more than 70 µs for one service request). On the Open311 intake (a POST's row; a batch
of 200 requests filed with their events and audit events) that cost more than the database's own
work. Here a model's statement and how each column's values are written are worked out once, and
the rows travel as one JSON document that PostgreSQL unpacks (`json_populate_recordset`): Python's
C encoder writes it in a few µs a row. A value of the type its column takes as it is (text, a
number, a flag, an aware datetime, a key) goes as it is; any other goes through its field's own
`get_db_prep_save`, as `save()` would send it.

Like `bulk_create`: no signals, no `save()`, related objects must be saved before they are
assigned, and the model's primary key is the database's to number. On other databases (SQLite
for `make run`) these are `bulk_create` itself.
"""

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from django.db import connection, models
from django.utils import timezone

# The exact types each kind of column takes without its field's preparation (None always does).
_TAKEN_AS_IS = (
    (models.CharField, (str,)),
    (models.TextField, (str,)),
    (models.BooleanField, (bool,)),
    (models.IntegerField, (int,)),
    (models.FloatField, (float,)),
    (models.DecimalField, (Decimal,)),
    (models.DateTimeField, (datetime,)),
)
# Rows per statement: keeps each JSON document to a few hundred kilobytes.
ROWS_PER_STATEMENT = 1000


@dataclass(frozen=True)
class _Column:
    field: models.Field
    name: str
    attname: str
    column: str
    taken_as_is: tuple[type, ...]  # value types written without the field's preparation
    is_json: bool
    set_on_insert: bool  # auto_now or auto_now_add: pre_save sets it


@dataclass(frozen=True)
class _Plan:
    columns: list[_Column]
    sql: str


def _taken_as_is(field: models.Field) -> tuple[type, ...]:
    if field.is_relation:
        field = field.target_field
    for kind, types in _TAKEN_AS_IS:
        if isinstance(field, kind):
            return types
    return ()


def _check_numbered(model: type[models.Model]) -> None:
    if not isinstance(model._meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
        raise TypeError(f"{model._meta.label}: bulk_insert needs a primary key the database numbers.")


@functools.cache
def _plan(model: type[models.Model]) -> _Plan:
    meta = model._meta
    columns = [
        _Column(
            field=field,
            name=field.name,
            attname=field.attname,
            column=field.column,
            taken_as_is=_taken_as_is(field),
            is_json=isinstance(field, models.JSONField),
            set_on_insert=isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add),
        )
        for field in meta.concrete_fields
        if not field.primary_key
    ]
    quote = connection.ops.quote_name
    names = ", ".join(quote(column.column) for column in columns)
    table = quote(meta.db_table)
    return _Plan(
        columns=columns,
        # The table's own row type gives each column its type. The rows come back in the order
        # the document lists them, as they do from INSERT … VALUES (which bulk_create relies on).
        sql=f"INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, %s) "  # noqa: S608 - the model's names; values are a parameter
        f"RETURNING {quote(meta.pk.column)}",
    )


def _as_json(column: _Column, value):
    """`value` as the JSON that PostgreSQL reads back into the column as the field would store it."""
    if value is None:
        return None
    if column.is_json:
        # The document nests it. A field with an encoder of its own serialises it its own way.
        if column.field.encoder is None:
            return value
        return json.loads(json.dumps(value, cls=column.field.encoder))
    if type(value) in column.taken_as_is:
        if type(value) is datetime:
            if value.tzinfo is None:  # the field makes a naive datetime aware, with its warning
                return _prepared_as_json(column, value)
            return value.isoformat()
        return str(value) if type(value) is Decimal else value
    return _prepared_as_json(column, value)


def _prepared_as_json(column: _Column, value):
    prepared = column.field.get_db_prep_save(value, connection)
    if prepared is None or isinstance(prepared, str | int | float):
        return prepared
    if isinstance(prepared, Decimal | UUID):
        return str(prepared)
    if isinstance(prepared, datetime | date | time):
        return prepared.isoformat()
    if hasattr(prepared, "addr"):  # psycopg2's Inet, for an IP address
        return prepared.addr
    raise TypeError(f"{column.field}: bulk_insert cannot write a {type(prepared).__name__}.")


def insert_rows(model: type[models.Model], rows: list[dict]) -> list[int]:
    """Insert rows given as `model(**row)` would take them (a related object by its name, or its
    key by `<name>_id`; a field left out takes its default); their new primary keys, in order."""
    _check_numbered(model)
    if connection.vendor != "postgresql":
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows])]
    plan = _plan(model)
    documents = []
    for row in rows:
        document = {}
        for column in plan.columns:
            if column.attname in row:
                value = row[column.attname]
            elif column.name in row:
                value = row[column.name]
                if value is not None and column.field.is_relation:
                    value = value.pk
            elif column.set_on_insert:
                value = timezone.now()  # as pre_save sets it
            else:
                value = column.field.get_default()
            document[column.column] = _as_json(column, value)
        documents.append(document)
    return _execute(plan, documents)


def insert_instances(objs: list[models.Model]) -> list[models.Model]:
    """Insert new instances of one model, as `bulk_create` would: they get their primary keys."""
    if not objs:
        return objs
    model = type(objs[0])
    _check_numbered(model)
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs)
    plan = _plan(model)
    documents = [
        {
            column.column: _as_json(
                column, column.field.pre_save(obj, add=True) if column.set_on_insert else getattr(obj, column.attname)
            )
            for column in plan.columns
        }
        for obj in objs
    ]
    for obj, pk in zip(objs, _execute(plan, documents), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _execute(plan: _Plan, documents: list[dict]) -> list[int]:
    pks = []
    with connection.cursor() as cursor:
        for start in range(0, len(documents), ROWS_PER_STATEMENT):
            chunk = documents[start : start + ROWS_PER_STATEMENT]
            # allow_nan=False: JSON has no NaN or infinity, and PostgreSQL would refuse the document.
            cursor.execute(plan.sql, [json.dumps(chunk, ensure_ascii=False, allow_nan=False)])
            pks.extend(pk for (pk,) in cursor.fetchall())
    return pks
