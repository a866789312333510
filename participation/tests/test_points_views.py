"""The points pages: the resident's balance, history and redemption; staff's items and hand-over.
Outsiders on every page and action; query budgets on the lists."""

import pytest
from django.contrib.messages import get_messages

from participation.models import PointsEntry, Redemption, RedemptionItem
from participation.points import redemption_create
from participation.tests.volunteering_support import earn, make_item, town_fixture, verified_resident  # noqa: F401

pytestmark = pytest.mark.django_db

POINTS = "/points/"
MANAGE = "/points/manage/"


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _redeem(item):
    return f"/points/items/{item.public_id}/redeem/"


def _item(item):
    return f"/points/manage/items/{item.public_id}/"


def _hand_over(redemption):
    return f"/points/manage/redemptions/{redemption.public_id}/hand-over/"


def test_anonymous_goes_to_sign_in(client, town, tree):
    item = make_item(actor=town.staff, community=tree.c1)
    earn(person=town.a, staff=town.staff, area=tree.c1, points=30)
    redemption = redemption_create(user=town.a, item=item)
    for url in (POINTS, MANAGE, _item(item)):
        assert client.get(url)["Location"].startswith("/accounts/login/")
    for url in (_redeem(item), _hand_over(redemption), MANAGE):
        assert client.post(url, {"pickup_code": redemption.pickup_code})["Location"].startswith("/accounts/login/")
    assert Redemption.objects.get().status == Redemption.Status.AWAITING_PICKUP


def test_resident_sees_balance_history_and_redeems(client, login, town, tree):
    earn(person=town.a, staff=town.staff, area=tree.c1, points=50)
    item = make_item(actor=town.staff, community=tree.c1, points_cost=30, stock=3)
    make_item(actor=town.staff_c2, community=tree.c2, name="别处的米")
    login(town.a)
    page = client.get(POINTS)
    assert page.context["balance"] == 50
    assert page.context["items"] == [item]
    assert [entry.amount for entry in page.context["page"]] == [50]
    response = client.post(_redeem(item))
    assert response.status_code == 302
    redemption = Redemption.objects.get(user=town.a)
    page = client.get(POINTS)
    assert page.context["balance"] == 20
    assert redemption.pickup_code in page.content.decode()
    # Not enough left: a message, nothing changes.
    response = client.post(_redeem(item))
    assert _messages(response)
    assert Redemption.objects.count() == 1 and RedemptionItem.objects.get(pk=item.pk).stock == 2


def test_a_resident_never_sees_another_ledger_nor_redeems_elsewhere(client, login, town, tree):
    earn(person=town.a, staff=town.staff, area=tree.c1, points=50)
    earn(person=town.outsider, staff=town.staff_c2, area=tree.c2, points=50)
    elsewhere = make_item(actor=town.staff_c2, community=tree.c2)
    login(town.b)
    page = client.get(POINTS)
    assert page.context["balance"] == 0 and list(page.context["page"]) == []
    login(town.a)
    assert client.post(_redeem(elsewhere)).status_code == 404
    assert client.get(_item(elsewhere)).status_code == 403
    assert client.get(MANAGE).status_code == 403
    login(town.unverified)
    assert client.get(POINTS).context["items"] == []
    assert client.post(_redeem(elsewhere)).status_code == 404
    assert not Redemption.objects.exists()


def test_staff_add_and_change_items_of_their_communities(client, login, town, tree):
    login(town.staff)
    assert client.get(MANAGE).status_code == 200
    bad = client.post(MANAGE, {"community": tree.c1.pk, "name": "米", "points_cost": 0, "stock": 1})
    assert bad.status_code == 400 and "points_cost" in bad.context["form"].errors
    outside = client.post(MANAGE, {"community": tree.c2.pk, "name": "米", "points_cost": 5, "stock": 1})
    assert outside.status_code == 400 and "community" in outside.context["form"].errors
    assert not RedemptionItem.objects.exists()
    assert client.post(MANAGE, {"community": tree.c1.pk, "name": "米", "points_cost": 5, "stock": 1}).status_code == 302
    item = RedemptionItem.objects.get()
    response = client.post(_item(item), {"name": "大米", "points_cost": 8, "stock": 4, "is_active": "on"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.name, item.points_cost, item.stock, item.is_active) == ("大米", 8, 4, True)
    assert client.post(_item(item), {"name": "大米", "points_cost": 8, "stock": -3}).status_code == 400
    item.refresh_from_db()
    assert item.stock == 4


def test_outsider_staff_cannot_manage_items_or_hand_over(client, login, town, tree):
    item = make_item(actor=town.staff, community=tree.c1, points_cost=10, stock=1)
    earn(person=town.a, staff=town.staff, area=tree.c1, points=10)
    redemption = redemption_create(user=town.a, item=item)
    for outsider in (town.staff_c2,):
        login(outsider)
        assert client.get(_item(item)).status_code == 404
        assert client.post(_item(item), {"name": "x", "points_cost": 1, "stock": 99}).status_code == 404
        assert client.post(_hand_over(redemption), {"pickup_code": redemption.pickup_code}).status_code == 404
        page = client.get(MANAGE)
        assert page.context["items"] == [] and page.context["awaiting"] == []
    login(town.worker)  # a grid worker does not keep the community's stock
    assert client.get(MANAGE).status_code == 403
    item.refresh_from_db()
    redemption.refresh_from_db()
    assert item.stock == 0 and redemption.status == Redemption.Status.AWAITING_PICKUP


def test_staff_hand_over_with_the_code(client, login, town, tree):
    item = make_item(actor=town.staff, community=tree.c1, points_cost=10, stock=1)
    earn(person=town.a, staff=town.staff, area=tree.c1, points=10)
    redemption = redemption_create(user=town.a, item=item)
    login(town.staff)
    assert client.get(MANAGE).context["awaiting"] == [redemption]
    response = client.post(_hand_over(redemption), {"pickup_code": "ZZZZZZ"})
    assert _messages(response)
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.AWAITING_PICKUP
    client.post(_hand_over(redemption), {"pickup_code": redemption.pickup_code})
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.HANDED_OVER


def test_points_page_query_count_does_not_grow(client, login, town, tree, django_assert_max_num_queries):
    item = make_item(actor=town.staff, community=tree.c1, points_cost=10, stock=100)
    earn(person=town.a, staff=town.staff, area=tree.c1, points=100)
    redemption_create(user=town.a, item=item)
    login(town.a)
    client.get(POINTS)
    with django_assert_max_num_queries(1000) as few:
        client.get(POINTS)
    for index in range(4):
        make_item(actor=town.staff, community=tree.c1, name=f"物品{index}", points_cost=5, stock=3)
        redemption_create(user=town.a, item=item)
        earn(person=town.a, staff=town.staff, area=tree.c1, points=10)
    assert PointsEntry.objects.filter(user=town.a).count() > 5
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(POINTS)


def test_manage_page_query_count_does_not_grow(client, login, town, tree, django_assert_max_num_queries):
    item = make_item(actor=town.staff, community=tree.c1, points_cost=1, stock=100)
    earn(person=town.a, staff=town.staff, area=tree.c1, points=100)
    redemption_create(user=town.a, item=item)
    login(town.staff)
    client.get(MANAGE)
    with django_assert_max_num_queries(1000) as few:
        client.get(MANAGE)
    for index in range(4):
        make_item(actor=town.staff, community=tree.c1, name=f"物品{index}", points_cost=5, stock=3)
        person = verified_resident(grid=tree.g1, staff=town.staff)
        earn(person=person, staff=town.staff, area=tree.c1, points=10)
        redemption_create(user=person, item=item)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(MANAGE)


def test_the_residents_data_page_and_download_show_volunteering(client, login, town, tree):
    earn(person=town.a, staff=town.staff, area=tree.c1, points=30)
    item = make_item(actor=town.staff, community=tree.c1, name="洗衣液", points_cost=10, stock=1)
    redemption_create(user=town.a, item=item)
    login(town.a)
    page = client.get("/residents/me/data/")
    assert page.status_code == 200
    assert "清理小区绿地" in page.content.decode() and "洗衣液" in page.content.decode()
    download = client.get("/residents/me/data/download/").json()
    assert download["volunteering"]["points_balance"] == 20
