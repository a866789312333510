"""`portal.bulk_insert` writes what `bulk_create` would write, value for value: it is checked here
against `bulk_create` itself on models with JSON, an IP address, decimals, datetimes in another
time zone, a lazily translated text, choices, defaults and an auto_now field."""

import zoneinfo
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.bulk_insert import ROWS_PER_STATEMENT, insert_instances, insert_rows
from security.models import AuditEvent
from services.models import Channel, RequestEvent, RequestStatus, ServiceRequest

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _stored(model, pk) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    del row["id"]
    return row


def _requests(catalogue, tree, people, number: str) -> list[ServiceRequest]:
    created = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    return [
        ServiceRequest(
            public_id=f"SQTEST{number}{n}",
            created_at=created,
            service=catalogue.repair,
            description=gettext_lazy("Closed"),  # a lazy text, as a form's choice might hand one over
            attributes={"facility": "lift", "floors": [3, 4], "note": "电梯停在三楼"},
            grid=tree.g1,
            lat=Decimal("30.795123"),
            lng=Decimal("106.081234"),
            filed_by=people.resident,
            channel=Channel.OPEN311,
            accept_due_at=created + timedelta(hours=24),
            resolve_due_at=(created + timedelta(days=n)).astimezone(zoneinfo.ZoneInfo("UTC")),
        )
        for n in range(3)
    ]


def test_instances_are_stored_as_bulk_create_stores_them(catalogue, tree, people):
    ours = insert_instances(_requests(catalogue, tree, people, "A"))
    theirs = ServiceRequest.objects.bulk_create(_requests(catalogue, tree, people, "B"))
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.pk and not mine._state.adding
        stored, expected = _stored(ServiceRequest, mine.pk), _stored(ServiceRequest, reference.pk)
        assert stored.pop("public_id")[6] == "A" and expected.pop("public_id")[6] == "B"
        # auto_now: set when each was inserted
        assert abs(stored.pop("updated_at") - expected.pop("updated_at")) < timedelta(seconds=5)
        assert stored == expected
        assert stored["description"] == "Closed" and stored["status"] == RequestStatus.SUBMITTED
        assert stored["created_at"] == datetime(2026, 3, 1, 1, 30, 15, 123456, tzinfo=zoneinfo.ZoneInfo("UTC"))


def test_an_ip_address_and_json_go_through_their_fields(people):
    def events(address):
        return [
            AuditEvent(
                actor=people.resident,
                action="test.bulk",
                ip_address=address,
                details={"n": n, "说明": "地址"},
                prev_hash=f"p{address}{n}",
                hash=f"h{address}{n}",
            )
            for n in range(2)
        ]

    ours = insert_instances(events("2001:db8::1"))
    theirs = AuditEvent.objects.bulk_create(events("2001:db8::2"))
    for mine, reference in zip(ours, theirs, strict=True):
        stored, expected = _stored(AuditEvent, mine.pk), _stored(AuditEvent, reference.pk)
        assert stored.pop("ip_address") == "2001:db8::1" and expected.pop("ip_address") == "2001:db8::2"
        for name in ("hash", "prev_hash"):
            assert stored.pop(name)[1:12] == "2001:db8::1" and expected.pop(name)[1:12] == "2001:db8::2"
        assert abs(stored.pop("occurred_at") - expected.pop("occurred_at")) < timedelta(seconds=5)
        assert stored == expected


def test_rows_take_related_objects_or_keys_and_defaults(catalogue, tree, people):
    (request,) = insert_instances(_requests(catalogue, tree, people, "C")[:1])
    first, second = insert_rows(
        RequestEvent,
        [
            {"request": request, "kind": RequestEvent.Kind.SUBMITTED, "actor": people.resident},
            {"request_id": request.pk, "kind": RequestEvent.Kind.STATUS, "actor_id": None, "to_status": "accepted"},
        ],
    )
    assert first < second
    one, two = RequestEvent.objects.get(pk=first), RequestEvent.objects.get(pk=second)
    assert (one.request, one.kind, one.actor, one.to_status, one.data) == (
        request,
        "submitted",
        people.resident,
        "",
        {},
    )
    assert (two.request, two.kind, two.actor, two.to_status) == (request, "status", None, "accepted")
    assert abs(one.created_at - timezone.now()) < timedelta(seconds=5)  # its default


def test_more_rows_than_one_statement_takes(catalogue, tree, people):
    (request,) = insert_instances(_requests(catalogue, tree, people, "D")[:1])
    count = ROWS_PER_STATEMENT + 5
    pks = insert_rows(RequestEvent, [{"request": request, "kind": "comment", "message": str(n)} for n in range(count)])
    assert len(pks) == count == RequestEvent.objects.filter(request=request).count()
    assert [RequestEvent.objects.get(pk=pk).message for pk in (pks[0], pks[-1])] == ["0", str(count - 1)]


def test_a_model_whose_key_the_database_does_not_number_is_refused():
    from django.contrib.sessions.models import Session

    with pytest.raises(TypeError, match="primary key the database numbers"):
        insert_rows(Session, [{"session_key": "x", "session_data": "", "expire_date": timezone.now()}])
    assert not Session.objects.exists()


def test_json_values_of_every_shape_are_stored_as_bulk_create_stores_them(catalogue, tree, people):
    (request,) = insert_instances(_requests(catalogue, tree, people, "E")[:1])
    shapes = ["只是文字", 7, 2.5, True, [1, "二", None], {"a": {"b": [None, False]}, "引号": 'say "hi"\n'}, {}]

    def events():
        return [RequestEvent(request=request, kind="comment", data=shape) for shape in shapes]

    ours = insert_instances(events())
    theirs = RequestEvent.objects.bulk_create(events())
    assert [RequestEvent.objects.get(pk=event.pk).data for event in ours] == shapes
    for mine, reference in zip(ours, theirs, strict=True):
        stored, expected = _stored(RequestEvent, mine.pk), _stored(RequestEvent, reference.pk)
        assert abs(stored.pop("created_at") - expected.pop("created_at")) < timedelta(seconds=5)
        assert stored == expected


def test_a_value_json_cannot_carry_is_refused_and_nothing_is_written(catalogue, tree, people):
    (request,) = insert_instances(_requests(catalogue, tree, people, "F")[:1])
    # PostgreSQL: refused before the statement. SQLite (bulk_create): by the column's JSON check.
    refusal = ValueError if connection.vendor == "postgresql" else IntegrityError
    with pytest.raises(refusal), transaction.atomic():
        insert_rows(RequestEvent, [{"request": request, "kind": "comment", "data": {"x": float("nan")}}])
    assert not RequestEvent.objects.filter(request=request).exists()
