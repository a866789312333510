"""The points ledger: append-only, never negative (also under parallel spends), redemption of a
community's items with stock, staff corrections and hand-over."""

import os
import threading

import psycopg2
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, InternalError, connection, connections, transaction
from django.utils import translation

from participation.models import PointsAccount, PointsEntry, Redemption, RedemptionItem
from participation.points import points_adjust, redemption_create, redemption_hand_over, redemption_item_update
from participation.tests.volunteering_support import (  # noqa: F401 - fixture
    earn,
    make_activity,
    make_item,
    town_fixture,
    verified_resident,
)
from participation.volunteering import volunteer_sign_up
from participation.volunteering_data_rights import erase_volunteering, export_volunteering
from security.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _balance(user) -> int:
    return PointsAccount.objects.get(user=user).balance


def test_redeeming_spends_points_and_takes_one_from_stock(town, tree):
    earn(person=town.a, staff=town.staff, area=tree.c1, points=100)
    item = make_item(actor=town.staff, community=tree.c1, points_cost=30, stock=2)
    redemption = redemption_create(user=town.a, item=item)
    assert redemption.status == Redemption.Status.AWAITING_PICKUP and len(redemption.pickup_code) == 6
    item.refresh_from_db()
    assert item.stock == 1 and _balance(town.a) == 70
    entry = PointsEntry.objects.get(redemption=redemption)
    assert (entry.kind, entry.amount, entry.balance_after, entry.sequence) == ("spent", -30, 70, 2)
    assert AuditEvent.objects.filter(action="points.redeem", actor=town.a).exists()


@pytest.mark.parametrize("case", ["insufficient", "out_of_stock", "withdrawn", "other_community", "unverified"])
def test_refused_redemptions_change_nothing(town, tree, case):
    earn(person=town.a, staff=town.staff, area=tree.c1, points=50)
    earn(person=town.outsider, staff=town.staff_c2, area=tree.c2, points=50)
    item = make_item(actor=town.staff, community=tree.c1, points_cost=30, stock=1)
    user = town.a
    if case == "insufficient":
        item = make_item(actor=town.staff, community=tree.c1, points_cost=60, stock=1)
        message = "Not enough points: you have 50, this needs 60"
    elif case == "out_of_stock":
        item = make_item(actor=town.staff, community=tree.c1, points_cost=10, stock=0)
        message = "out of stock"
    elif case == "withdrawn":
        redemption_item_update(actor=town.staff, item=item, name=item.name, points_cost=30, stock=1, is_active=False)
        message = "not offered"
    elif case == "other_community":
        user = town.outsider
        message = "not offered"
    else:
        user = town.unverified
        message = "verified residents"
    entries = PointsEntry.objects.count()
    with pytest.raises(ValidationError, match=message):
        redemption_create(user=user, item=item)
    item.refresh_from_db()
    assert item.stock in (0, 1) and not Redemption.objects.exists()
    assert PointsEntry.objects.count() == entries and _balance(town.a) == 50
    assert not AuditEvent.objects.filter(action="points.redeem").exists()


def test_the_ledger_cannot_be_rewritten_or_deleted(town, tree):
    earn(person=town.a, staff=town.staff, area=tree.c1, points=20)
    entry = PointsEntry.objects.get()
    for change in (
        lambda: PointsEntry.objects.filter(pk=entry.pk).update(amount=1000),
        lambda: PointsEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(InternalError, match="append-only"), transaction.atomic():
            change()
    entry.refresh_from_db()
    assert entry.amount == 20


def test_the_database_refuses_a_negative_balance_and_a_second_writer_of_a_position(town, tree):
    earn(person=town.a, staff=town.staff, area=tree.c1, points=20)
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsAccount.objects.filter(user=town.a).update(balance=-1)
    entry = PointsEntry.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsEntry.objects.create(
            user=town.a,
            sequence=entry.sequence,
            amount=5,
            kind="adjusted",
            reason="x",
            balance_after=25,
            created_at=entry.created_at,
        )


def test_staff_over_the_resident_adjust_with_a_reason(town, tree):
    earn(person=town.a, staff=town.staff, area=tree.c1, points=20)
    entry = points_adjust(actor=town.worker, user=town.a, amount=-5, reason="重复登记")
    assert (entry.kind, entry.balance_after) == ("adjusted", 15)
    assert AuditEvent.objects.filter(action="points.adjust", actor=town.worker).exists()
    for actor, amount, reason, message in (
        (town.staff_c2, 5, "x", "not a verified resident of your area"),
        (town.worker_g1b, 5, "x", "not a verified resident of your area"),
        (town.staff, 0, "x", "other than 0"),
        (town.staff, 5, " ", "Say why"),
        (town.staff, -16, "x", "Not enough points"),
    ):
        with pytest.raises(ValidationError, match=message):
            points_adjust(actor=actor, user=town.a, amount=amount, reason=reason)
    assert _balance(town.a) == 15 and PointsEntry.objects.filter(user=town.a).count() == 2


def test_staff_of_the_community_manage_items_and_hand_them_over(town, tree):
    with pytest.raises(ValidationError):
        make_item(actor=town.staff_c2, community=tree.c1)
    with pytest.raises(ValidationError):
        make_item(actor=town.worker, community=tree.c1)  # a grid worker does not keep the community's stock
    with pytest.raises(ValidationError) as caught:
        make_item(actor=town.staff, community=tree.c1, points_cost=0, stock=-1)
    assert set(caught.value.message_dict) == {"points_cost", "stock"}
    assert not RedemptionItem.objects.exists()
    item = make_item(actor=town.subdistrict, community=tree.c1, points_cost=10, stock=1)
    with pytest.raises(ValidationError, match="outside your area"):
        redemption_item_update(actor=town.staff_c2, item=item, name="x", points_cost=1, stock=9, is_active=True)
    earn(person=town.a, staff=town.staff, area=tree.c1, points=10)
    redemption = redemption_create(user=town.a, item=item)
    with pytest.raises(ValidationError, match="outside your area"):
        redemption_hand_over(actor=town.staff_c2, redemption=redemption, pickup_code=redemption.pickup_code)
    with pytest.raises(ValidationError, match="does not match"):
        redemption_hand_over(actor=town.staff, redemption=redemption, pickup_code="WRONG1")
    redemption = redemption_hand_over(
        actor=town.staff, redemption=redemption, pickup_code=redemption.pickup_code.lower()
    )
    assert redemption.status == Redemption.Status.HANDED_OVER and redemption.handed_over_by == town.staff
    with pytest.raises(ValidationError, match="already"):
        redemption_hand_over(actor=town.staff, redemption=redemption, pickup_code=redemption.pickup_code)
    assert AuditEvent.objects.filter(action="points.hand_over").count() == 1
    assert set(AuditEvent.objects.filter(action__startswith="points.item").values_list("action", flat=True)) == {
        "points.item_create"
    }


def test_export_and_deletion_keep_the_ledger_on_the_tombstone(town, tree):
    earn(person=town.a, staff=town.staff, area=tree.c1, points=40)
    item = make_item(actor=town.staff, community=tree.c1, points_cost=30, stock=1)
    redemption_create(user=town.a, item=item)
    upcoming = volunteer_sign_up(user=town.a, activity=make_activity(actor=town.staff, area=tree.c1))
    exported = export_volunteering(town.a)
    assert exported["points_balance"] == 10
    assert [row["amount"] for row in exported["points_ledger"]] == [40, -30]
    assert len(exported["volunteer_signups"]) == 2 and exported["redemptions"][0]["points"] == 30
    assert export_volunteering(town.b)["points_ledger"] == []
    counts = erase_volunteering(town.a)
    assert counts == {"volunteer_signups_cancelled": 1, "points_entries_kept": 2, "volunteer_hours_kept": 1}
    upcoming.refresh_from_db()
    assert upcoming.status == "cancelled"
    assert PointsEntry.objects.filter(user=town.a).count() == 2


@pytest.mark.django_db(transaction=True)
def test_parallel_spends_never_take_the_balance_below_zero(tree, residents, make_user):
    """10 spends of 30 at once on a balance of 100, each on its own connection: exactly 3 succeed."""
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    person = verified_resident(grid=tree.g1, staff=staff, profile=residents.r1)
    earn(person=person, staff=staff, area=tree.c1, points=100)
    item = make_item(actor=staff, community=tree.c1, points_cost=30, stock=10)
    barrier = threading.Barrier(10)
    outcomes = []

    def spend():
        translation.activate("en")  # a thread starts in the portal's language; the messages below are English
        try:
            barrier.wait()
            redemption_create(user=person, item=item)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=spend) for _i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 3, outcomes
    assert sum(1 for outcome in outcomes if outcome.startswith("Not enough points")) == 7
    assert _balance(person) == 10
    item.refresh_from_db()
    assert item.stock == 7
    ledger = list(PointsEntry.objects.filter(user=person).order_by("sequence"))
    assert [e.amount for e in ledger] == [100, -30, -30, -30]
    assert [e.balance_after for e in ledger] == [100, 70, 40, 10]
    assert Redemption.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_parallel_redemptions_of_the_last_units_never_oversell(tree, residents, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    people = [verified_resident(grid=tree.g1, staff=staff) for _i in range(6)]
    for person in people:
        earn(person=person, staff=staff, area=tree.c1, points=30)
    item = make_item(actor=staff, community=tree.c1, points_cost=30, stock=2)
    barrier = threading.Barrier(len(people))
    outcomes = []

    def redeem(person):
        translation.activate("en")  # a thread starts in the portal's language; the messages below are English
        try:
            barrier.wait()
            redemption_create(user=person, item=item)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 2 and outcomes.count("This item is out of stock.") == 4
    item.refresh_from_db()
    assert item.stock == 0
    assert PointsEntry.objects.filter(kind="spent").count() == 2


def test_the_residents_export_and_account_deletion_include_volunteering(town, tree):
    from residents.services import account_delete, personal_data_export
    from tests.factories import PASSWORD

    earn(person=town.a, staff=town.staff, area=tree.c1, points=40)
    upcoming = volunteer_sign_up(user=town.a, activity=make_activity(actor=town.staff, area=tree.c1))
    exported = personal_data_export(user=town.a, fmt="json")
    assert exported["volunteering"]["points_balance"] == 40
    assert len(exported["volunteering"]["volunteer_signups"]) == 2
    account_delete(user=town.a, password=PASSWORD)
    upcoming.refresh_from_db()
    assert upcoming.status == "cancelled"
    # The ledger stays on the tombstone, which names no one; the community's hours stay counted.
    entry = PointsEntry.objects.get(user=town.a)
    assert entry.user.username.startswith("deleted-") and entry.amount == 40
    event = AuditEvent.objects.get(action="account.delete", actor=town.a)
    assert event.details["erased"]["volunteering"]["points_entries_kept"] == 1


@pytest.mark.django_db(transaction=True)
def test_the_portals_production_role_may_only_read_and_add_to_the_ledger(tree, residents, make_user):
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    person = verified_resident(grid=tree.g1, staff=staff, profile=residents.r1)
    earn(person=person, staff=staff, area=tree.c1, points=10)
    role = f"portal_app_ledger_{os.getpid()}"
    call_command("database_roles", role=role, database="default")
    settings_dict = connection.settings_dict
    portal = psycopg2.connect(
        host=settings_dict["HOST"], port=settings_dict["PORT"], dbname=settings_dict["NAME"], user=role
    )
    portal.autocommit = True
    try:
        with portal.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM participation_pointsentry")
            assert cursor.fetchone() == (1,)
            for statement in (
                "UPDATE participation_pointsentry SET amount = 1000",
                "DELETE FROM participation_pointsentry",
                "TRUNCATE participation_pointsentry",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cursor.execute(statement)
            # The account row, which is the lock, stays the portal's to update.
            cursor.execute("UPDATE participation_pointsaccount SET balance = balance WHERE false")
    finally:
        portal.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")
    assert PointsEntry.objects.get(user=person).amount == 10
