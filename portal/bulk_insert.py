"""Inserting new rows without the ORM's per-value machinery, for the writes made once per API call.

`bulk_create` prepares every value of every row through several method calls of its field. On
the Open311 intake (a POST's row; a batch of 200 requests filed with their events and audit
events) that cost more than the database's own work. Here a model's statement and which of its
fields need preparing are worked out once. On PostgreSQL a value psycopg2 takes as it is (text, a
number, a flag, an aware datetime, a key) goes as it is; any other value goes through its field's
own `get_db_prep_save`, as `save()` would send it.

Like `bulk_create`: no signals, no `save()`, related objects must be saved before they are
assigned, and the model's primary key is the database's to number.
"""

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, models
from django.utils import timezone

# What psycopg2 adapts exactly as the fields below would prepare it.
_PLAIN_VALUES = (str, int, float, Decimal, type(None))
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DecimalField,
    models.FloatField,
)


@dataclass(frozen=True)
class _Column:
    field: models.Field
    name: str
    attname: str
    plain: bool  # its values need no preparation when they are _PLAIN_VALUES
    is_datetime: bool
    set_on_insert: bool  # auto_now or auto_now_add: pre_save sets it


@dataclass(frozen=True)
class _Plan:
    columns: list[_Column]
    sql_head: str
    row_sql: str
    returning: str
    rows_per_statement: int


@functools.cache
def _plan(model: type[models.Model]) -> _Plan:
    meta = model._meta
    if not isinstance(meta.pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
        raise TypeError(f"{meta.label}: bulk_insert needs a primary key the database numbers.")
    # Other databases' drivers take values differently (SQLite stores datetimes as Django writes
    # them): there every value goes through its field, as in bulk_create.
    as_they_are = connection.vendor == "postgresql"
    columns = []
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        is_datetime = isinstance(field, models.DateTimeField)
        columns.append(
            _Column(
                field=field,
                name=field.name,
                attname=field.attname,
                plain=as_they_are and (field.is_relation or is_datetime or isinstance(field, _PLAIN_FIELDS)),
                is_datetime=is_datetime,
                set_on_insert=is_datetime and (field.auto_now or field.auto_now_add),
            )
        )
    quote = connection.ops.quote_name
    return _Plan(
        columns=columns,
        sql_head="INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 - the model's names; values are parameters
            quote(meta.db_table), ", ".join(quote(column.field.column) for column in columns)
        ),
        row_sql="({})".format(", ".join(["%s"] * len(columns))),
        returning=f" RETURNING {quote(meta.pk.column)}",
        # PostgreSQL takes at most 65,535 parameters in a statement.
        rows_per_statement=max(1, 65_535 // len(columns)),
    )


def _value(column: _Column, value):
    if column.plain and (
        isinstance(value, _PLAIN_VALUES) or (column.is_datetime and isinstance(value, datetime) and value.tzinfo)
    ):
        return value
    return column.field.get_db_prep_save(value, connection)


def insert_rows(model: type[models.Model], rows: list[dict]) -> list[int]:
    """Insert rows given as `model(**row)` would take them (a related object by its name, or its
    key by `<name>_id`; a field left out takes its default); their new primary keys, in order."""
    plan = _plan(model)
    params = []
    for row in rows:
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
            params.append(_value(column, value))
    return _execute(plan, params, len(rows))


def insert_instances(objs: list[models.Model]) -> list[models.Model]:
    """Insert new instances of one model, as `bulk_create` would: they get their primary keys."""
    if not objs:
        return objs
    plan = _plan(type(objs[0]))
    params = []
    for obj in objs:
        for column in plan.columns:
            value = column.field.pre_save(obj, add=True) if column.set_on_insert else getattr(obj, column.attname)
            params.append(_value(column, value))
    for obj, pk in zip(objs, _execute(plan, params, len(objs)), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _execute(plan: _Plan, params: list, count: int) -> list[int]:
    width = len(plan.columns)
    pks = []
    with connection.cursor() as cursor:
        for start in range(0, count, plan.rows_per_statement):
            rows = min(plan.rows_per_statement, count - start)
            sql = plan.sql_head + ", ".join([plan.row_sql] * rows) + plan.returning
            cursor.execute(sql, params[start * width : (start + rows) * width])
            pks.extend(pk for (pk,) in cursor.fetchall())
    return pks
