"""Reach per grid for the publisher, the grid worker's list of living-alone elderly not yet reached,
and recording them informed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from participation.models import Notice, NoticeInformed
from participation.notice_delivery import notice_receipt_read
from participation.notice_reach import elderly_not_reached, notice_informed_record, notice_reach
from participation.tests.notice_helpers import bulk_residents, publish, run_fan_out
from security.models import AuditEvent
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory


@pytest.fixture
def town(tree):
    """In G1: resident a, living-alone elderly e (account) and x (no account), an elderly couple's
    member who does not live alone; in G1b: living-alone elderly y (no account); in G2 (another
    community): living-alone elderly z."""

    def resident(grid, name, account=True, **flags):
        user = UserFactory(username=name) if account else None
        return ResidentFactory(household=HouseholdFactory(grid=grid), full_name=name, user=user, **flags)

    alone = {"is_elderly": True, "lives_alone": True}
    return type(
        "Town",
        (),
        {
            "a": resident(tree.g1, "res_a"),
            "e": resident(tree.g1, "res_e", **alone),
            "x": resident(tree.g1, "res_x", account=False, **alone),
            "couple": resident(tree.g1, "res_couple", is_elderly=True),
            "y": resident(tree.g1b, "res_y", account=False, **alone),
            "z": resident(tree.g2, "res_z", **alone),
        },
    )


def urgent_notice(people, tree, *, hours_ago=3, area=None, actor=None):
    notice = publish(actor=actor or people.community, area=area or tree.c1, urgent=True)
    run_fan_out(notice)
    Notice.objects.filter(pk=notice.pk).update(publish_at=timezone.now() - timedelta(hours=hours_ago))
    notice.refresh_from_db()
    return notice


def by_grid(reach):
    return {row.grid.code: row for row in reach.grids}


def test_reach_counts_per_grid_and_the_elderly_reached(people, tree, town):
    notice = urgent_notice(people, tree)
    notice_receipt_read(notice=notice, user=town.a.user)
    notice_informed_record(actor=people.worker, notice=notice, resident=town.x, how="phone")

    reach = notice_reach(notice=notice)
    g1, g1b = by_grid(reach)["G1"], by_grid(reach)["G1b"]
    assert (g1.delivered, g1.read, g1.read_percent) == (3, 1, 33)
    assert (g1.elderly_alone, g1.elderly_reached) == (2, 1)  # e unread, x told by phone
    assert (g1b.delivered, g1b.read, g1b.read_percent, g1b.elderly_alone, g1b.elderly_reached) == (0, 0, None, 1, 0)
    assert "G2" not in by_grid(reach)
    assert (reach.delivered, reach.read, reach.elderly_alone, reach.elderly_reached) == (3, 1, 3, 1)

    notice_receipt_read(notice=notice, user=town.e.user)
    assert by_grid(notice_reach(notice=notice))["G1"].elderly_reached == 2


def test_reach_page_for_the_publisher_and_area_staff(client, login, people, tree, town):
    notice = urgent_notice(people, tree)
    notice_receipt_read(notice=notice, user=town.a.user)
    for who in (people.community, people.subdistrict):
        login(who)
        page = client.get(f"/notices/manage/{notice.public_id}/reach/")
        assert page.status_code == 200
        row = by_grid(page.context["reach"])["G1"]
        assert (row.delivered, row.read) == (3, 1)
        assert 'data-grid="G1"' in page.content.decode()


@pytest.mark.parametrize("who", ["community_c2", "worker_g2", "resident", "dept", "partner_other"])
def test_outsiders_do_not_see_the_reach(client, login, people, tree, town, who):
    notice = urgent_notice(people, tree)
    login(getattr(people, who))
    assert client.get(f"/notices/manage/{notice.public_id}/reach/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, people, tree, town):
    notice = urgent_notice(people, tree)
    response = client.get(f"/notices/manage/{notice.public_id}/reach/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/notices/elderly/").status_code == 302


def test_reach_page_queries_do_not_grow_with_recipients(client, login, people, tree, django_assert_max_num_queries):
    small = publish(actor=people.community, area=tree.c1, urgent=True)
    bulk_residents(grid=tree.g1, count=5, prefix="few", elderly_alone_every=2)
    run_fan_out(small)
    login(people.community)
    client.get(f"/notices/manage/{small.public_id}/reach/")  # warm up the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/notices/manage/{small.public_id}/reach/").status_code == 200
    bulk_residents(grid=tree.g1b, count=300, prefix="many", elderly_alone_every=3)
    big = publish(actor=people.community, area=tree.c1, urgent=True)
    run_fan_out(big)
    with django_assert_max_num_queries(len(few)):
        assert client.get(f"/notices/manage/{big.public_id}/reach/").status_code == 200


def test_list_shows_living_alone_elderly_who_have_not_read_after_the_window(people, tree, town, settings):
    settings.NOTICE_ELDERLY_READ_WINDOW = timedelta(hours=2)
    recent = urgent_notice(people, tree, hours_ago=1)
    assert elderly_not_reached(user=people.worker) == []
    Notice.objects.filter(pk=recent.pk).update(publish_at=timezone.now() - timedelta(hours=3))

    groups = elderly_not_reached(user=people.worker)
    assert [g.notice.pk for g in groups] == [recent.pk]
    assert [r.full_name for r in groups[0].residents] == ["res_e", "res_x"]  # not the couple, not G1b or G2
    # The community's staff see their whole community.
    assert [r.full_name for r in elderly_not_reached(user=people.community)[0].residents] == [
        "res_e",
        "res_x",
        "res_y",
    ]

    notice_receipt_read(notice=recent, user=town.e.user)
    notice_informed_record(actor=people.worker, notice=recent, resident=town.x, how="visit")
    assert elderly_not_reached(user=people.worker) == []


def test_non_urgent_notices_and_other_areas_stay_off_the_list(people, tree, town):
    plain = publish(actor=people.community, area=tree.c1)
    Notice.objects.filter(pk=plain.pk).update(publish_at=timezone.now() - timedelta(hours=5))
    urgent_notice(people, tree, area=tree.c2, actor=people.community_c2)  # another community's
    assert elderly_not_reached(user=people.worker) == []


def test_recording_informed_through_the_page_is_audited_and_clears_the_row(client, login, people, tree, town):
    notice = urgent_notice(people, tree)
    login(people.worker)
    page = client.get("/notices/elderly/")
    assert page.status_code == 200
    assert str(town.x.public_id) in page.content.decode()

    url = f"/notices/elderly/{notice.public_id}/{town.x.public_id}/informed/"
    response = client.post(url, {"how": "visit"})
    assert response.status_code == 302
    informed = NoticeInformed.objects.get(notice=notice, resident=town.x)
    assert (informed.how, informed.informed_by) == ("visit", people.worker)
    event = AuditEvent.objects.get(action="notice.informed")
    assert event.actor_id == people.worker.pk
    assert str(town.x.public_id) not in client.get("/notices/elderly/").content.decode()
    # Again: nothing new.
    client.post(url, {"how": "phone"})
    assert NoticeInformed.objects.filter(notice=notice).count() == 1
    assert AuditEvent.objects.filter(action="notice.informed").count() == 1


def test_bad_input_changes_nothing(client, login, people, tree, town):
    notice = urgent_notice(people, tree)
    login(people.worker)
    url = f"/notices/elderly/{notice.public_id}/{town.x.public_id}/informed/"
    response = client.post(url, {"how": "carrier-pigeon"}, follow=True)
    assert response.status_code == 200
    assert list(response.context["messages"])
    assert not NoticeInformed.objects.exists()
    # Not a living-alone elderly resident, or not a UUID: 404 alike.
    assert (
        client.post(f"/notices/elderly/{notice.public_id}/{town.a.public_id}/informed/", {"how": "visit"}).status_code
        == 404
    )
    assert client.post("/notices/elderly/nope/also-nope/informed/", {"how": "visit"}).status_code == 404
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("who", ["worker_g1b", "worker_g2", "community_c2"])
def test_another_grids_worker_cannot_see_or_record(client, login, people, tree, town, who):
    notice = urgent_notice(people, tree)
    login(getattr(people, who))
    assert str(town.x.public_id) not in client.get("/notices/elderly/").content.decode()
    url = f"/notices/elderly/{notice.public_id}/{town.x.public_id}/informed/"
    assert client.post(url, {"how": "visit"}).status_code == 404
    assert not NoticeInformed.objects.exists()


@pytest.mark.parametrize("who", ["resident", "subdistrict", "dept"])
def test_residents_and_others_cannot_open_the_list(client, login, people, tree, town, who):
    notice = urgent_notice(people, tree)
    login(getattr(people, who))
    assert client.get("/notices/elderly/").status_code == 403
    url = f"/notices/elderly/{notice.public_id}/{town.x.public_id}/informed/"
    assert client.post(url, {"how": "visit"}).status_code == 403
    # A resident who received the notice cannot see its receipts either.
    login(town.a.user)
    assert client.get(f"/notices/manage/{notice.public_id}/reach/").status_code == 404


def test_elderly_list_queries_do_not_grow(client, login, people, tree, town, django_assert_max_num_queries):
    urgent_notice(people, tree)
    login(people.worker)
    client.get("/notices/elderly/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/notices/elderly/")
    bulk_residents(grid=tree.g1, count=60, prefix="old", phone_every=2, elderly_alone_every=1)
    urgent_notice(people, tree)
    urgent_notice(people, tree, area=tree.g1)
    with django_assert_max_num_queries(len(few)):
        page = client.get("/notices/elderly/")
    assert len(page.context["groups"]) == 3


# --- data rights --------------------------------------------------------------------------------
def test_export_holds_receipts_and_informed_records_and_deletion_deletes_the_receipts(people, tree, town):
    from residents.services import account_delete, personal_data_export
    from tests.factories import PASSWORD

    notice = urgent_notice(people, tree)
    notice_receipt_read(notice=notice, user=town.e.user)
    other = urgent_notice(people, tree)
    notice_informed_record(actor=people.worker, notice=other, resident=town.e, how="phone")

    exported = personal_data_export(user=town.e.user, fmt="json")["notice_receipts"]
    assert [(r["notice"], r["read_at"] is not None) for r in exported["received"]] == [
        (notice.title, True),
        (other.title, False),
    ]
    assert [(t["notice"], t["how"]) for t in exported["told"]] == [(other.title, "By phone")]
    assert personal_data_export(user=town.a.user, fmt="json")["notice_receipts"]["told"] == []

    user = town.e.user
    account_delete(user=user, password=PASSWORD)
    from participation.models import NoticeReceipt

    assert not NoticeReceipt.objects.filter(user=user).exists()
    assert NoticeReceipt.objects.filter(user=town.a.user).count() == 2
    # The grid worker's record stays with the register entry.
    assert NoticeInformed.objects.filter(resident=town.e).count() == 1
