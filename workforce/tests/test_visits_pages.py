"""The visit pages: each one for whom it is for and nobody else (another community's head, a grid
worker of another grid, a resident, a partner, anonymous), constant queries on the lists, bad input
answered with a message and nothing changed, and the audit events they leave."""

from datetime import timedelta

import pytest
from django.utils import timezone

from residents.models import ResidentProfile
from security.models import AuditEvent
from services.models import ServiceRequest
from tests.factories import HouseholdFactory, ResidentFactory, valid_id_card
from workforce import visits
from workforce.models_visits import Visit, VisitRules

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
SEQUENCE = iter(range(100, 10_000))


def elder(grid, *, days_in_register=60, **fields):
    """An elderly resident of `grid`, registered `days_in_register` ago (overdue when never visited)."""
    fields.setdefault("id_card_number", valid_id_card(next(SEQUENCE), birth="19400301"))
    resident = ResidentFactory(household=HouseholdFactory(grid=grid), **fields)
    ResidentProfile.objects.filter(pk=resident.pk).update(created_at=timezone.now() - timedelta(days=days_in_register))
    resident.refresh_from_db()
    return resident


def _visit(actor, resident, needs="想要助餐服务"):
    return visits.visit_record(
        actor=actor,
        resident=resident,
        visited_on=timezone.localdate(),
        mode=Visit.Mode.IN_PERSON,
        condition=Visit.Condition.GOOD,
        needs=needs,
    )


def _anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]


# --- the worker's roster -----------------------------------------------------------------------------
def test_the_roster_lists_the_workers_own_grid_overdue_first(crew, login, tree):
    late = elder(tree.g1, full_name="王阿婆", lives_alone=True)
    visited = elder(tree.g1, full_name="刚走访过")
    _visit(crew.w1, visited)
    elder(tree.g1b, full_name="别的网格")
    elder(tree.g2, full_name="别的社区")
    page = login(crew.w1).get("/workforce/visits/", **ENGLISH).content.decode()
    assert page.index("王阿婆") < page.index("刚走访过")
    assert "别的网格" not in page and "别的社区" not in page
    assert "1 visit overdue" in page and "86 years" in page and "Lives alone" in page
    assert f"/workforce/visits/resident/{late.public_id}/" in page


def test_the_roster_has_constant_queries(crew, login, tree, django_assert_max_num_queries):
    for _ in range(3):
        _visit(crew.w1, elder(tree.g1))
    client = login(crew.w1)
    client.get("/workforce/visits/")
    with django_assert_max_num_queries(30) as captured:
        client.get("/workforce/visits/")
    baseline = len(captured)
    for _ in range(10):
        _visit(crew.w1, elder(tree.g1))
        elder(tree.g1)
    with django_assert_max_num_queries(baseline):
        assert client.get("/workforce/visits/").status_code == 200


def test_the_roster_is_for_workers_only(crew, login, client, tree):
    elder(tree.g1, full_name="王阿婆")
    _anonymous_is_sent_to_sign_in(client, "/workforce/visits/")
    for outsider in (crew.resident, crew.partner):
        assert login(outsider).get("/workforce/visits/").status_code == 403
    # Another community's head and another grid's worker have rosters, without this resident.
    for other in (crew.head2, crew.w2, crew.w1b):
        response = login(other).get("/workforce/visits/")
        assert response.status_code == 200 and "王阿婆" not in response.content.decode()
    # A subdistrict officer manages, and is sent to the overdue visits.
    response = login(crew.sub1).get("/workforce/visits/")
    assert response.status_code == 302 and response["Location"] == "/workforce/visits/overdue/"


# --- the manager's overdue visits ----------------------------------------------------------------------
def test_a_manager_sees_the_overdue_visits_by_grid_and_narrows_them(crew, login, tree):
    elder(tree.g1, full_name="一网格甲")
    elder(tree.g1, full_name="一网格乙")
    elder(tree.g1b, full_name="一乙网格")
    _visit(crew.w1, elder(tree.g1, full_name="已走访"))
    elder(tree.g2, full_name="二社区")
    client = login(crew.head1)
    page = client.get("/workforce/visits/overdue/", **ENGLISH).content.decode()
    assert "3 visits overdue" in page
    assert "一网格甲" in page and "一乙网格" in page and "已走访" not in page and "二社区" not in page
    assert page.index(f"?grid={tree.g1.pk}") < page.index(f"?grid={tree.g1b.pk}")  # most overdue first
    by_grid = client.get(f"/workforce/visits/overdue/?grid={tree.g1b.pk}", **ENGLISH).content.decode()
    assert "1 visit overdue" in by_grid and "一乙网格" in by_grid and "一网格甲" not in by_grid
    by_worker = client.get(f"/workforce/visits/overdue/?worker={crew.w1.pk}", **ENGLISH).content.decode()
    assert "2 visits overdue" in by_worker and "一乙网格" not in by_worker
    # Another community's grid asked for by number shows nothing of it.
    for nonsense in ("?grid=abc", "?worker=-1", "?grid=99999999999999999999999", "?page=zz"):
        assert "3 visits overdue" in client.get("/workforce/visits/overdue/" + nonsense, **ENGLISH).content.decode()
    other = client.get(f"/workforce/visits/overdue/?grid={tree.g2.pk}", **ENGLISH).content.decode()
    assert "0 visits overdue" in other and "二社区" not in other
    civil = login(crew.civil).get("/workforce/visits/overdue/", **ENGLISH).content.decode()
    assert "4 visits overdue" in civil


def test_the_overdue_page_has_constant_queries(crew, login, tree, django_assert_max_num_queries):
    for grid in (tree.g1, tree.g1b):
        elder(grid)
    client = login(crew.sub1)
    client.get("/workforce/visits/overdue/")
    with django_assert_max_num_queries(30) as captured:
        client.get("/workforce/visits/overdue/")
    baseline = len(captured)
    for _ in range(15):
        elder(tree.g1)
        elder(tree.g1b)
    with django_assert_max_num_queries(baseline):
        page = client.get("/workforce/visits/overdue/?page=2", **ENGLISH)
    assert page.status_code == 200 and "32 visits overdue" in page.content.decode()


def test_the_overdue_page_is_for_managers_only(crew, login, client, tree):
    elder(tree.g1, full_name="一网格甲")
    _anonymous_is_sent_to_sign_in(client, "/workforce/visits/overdue/")
    for outsider in (crew.w1, crew.w2, crew.staff1, crew.resident, crew.partner):
        assert login(outsider).get("/workforce/visits/overdue/").status_code == 403
    page = login(crew.head2).get("/workforce/visits/overdue/", **ENGLISH).content.decode()
    assert "一网格甲" not in page and "0 visits overdue" in page


def test_the_counts_on_the_workers_profile_and_the_managers_home(crew, login, tree):
    elder(tree.g1)
    elder(tree.g1)
    elder(tree.g1b)
    profile = login(crew.w1).get(f"/workforce/{crew.p1.pk}/", **ENGLISH).content.decode()
    assert "2 visits overdue" in profile.split('id="worker-visits"', 1)[1]
    home = login(crew.head1).get("/workforce/", **ENGLISH).content.decode()
    assert "3 visits overdue" in home.split('id="managed-visits"', 1)[1]
    seen_by_head = login(crew.head1).get(f"/workforce/{crew.p1b.pk}/", **ENGLISH).content.decode()
    assert "1 visit overdue" in seen_by_head.split('id="worker-visits"', 1)[1]


# --- one resident's visits -----------------------------------------------------------------------------
def test_a_worker_records_a_visit_on_the_page_and_reads_the_earlier_ones(crew, login, tree):
    resident = elder(tree.g1, full_name="王阿婆", lives_alone=True)
    url = f"/workforce/visits/resident/{resident.public_id}/"
    client = login(crew.w1)
    page = client.get(url, **ENGLISH).content.decode()
    assert "Record a visit" in page and "No visits recorded yet." in page
    assert f'max="{timezone.localdate().isoformat()}"' in page
    response = client.post(
        url,
        {"visited_on": timezone.localdate().isoformat(), "mode": "phone", "condition": "poor", "needs": "需要助浴"},
    )
    assert response.status_code == 302 and response["Location"] == url
    visit = Visit.objects.get()
    assert (visit.visitor, visit.mode, visit.condition, visits.visit_needs(visit)) == (
        crew.w1,
        "phone",
        "poor",
        "需要助浴",
    )
    page = client.get(url, **ENGLISH).content.decode()
    assert "需要助浴" in page and f"/workforce/visits/{visit.pk}/request/" in page
    assert AuditEvent.objects.filter(action="workforce.visit_record", actor=crew.w1).count() == 1
    assert AuditEvent.objects.filter(action="workforce.visit_read", actor=crew.w1).count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"visited_on": "2999-01-01"}, "The visit cannot be in the future."),
        ({"visited_on": "2001-01-01"}, "The visit cannot be before the resident entered the register."),
        ({"visited_on": "yesterday"}, "Enter a valid date."),
        ({"mode": "fax"}, "Select a valid choice."),
        ({"condition": ""}, "This field is required."),
        ({"needs": "多" * 1001}, "Keep the needs under 1000 characters."),
    ],
)
def test_bad_input_on_the_visit_form_says_so_and_records_nothing(crew, login, tree, data, message):
    resident = elder(tree.g1)
    good = {"visited_on": timezone.localdate().isoformat(), "mode": "in_person", "condition": "good", "needs": ""}
    response = login(crew.w1).post(f"/workforce/visits/resident/{resident.public_id}/", good | data, **ENGLISH)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Visit.objects.exists() and not AuditEvent.objects.filter(action="workforce.visit_record").exists()


def test_a_manager_reads_the_visits_without_the_needs_and_records_none(crew, login, tree):
    resident = elder(tree.g1)
    _visit(crew.w1, resident, needs="需要助浴")
    url = f"/workforce/visits/resident/{resident.public_id}/"
    client = login(crew.sub1)
    page = client.get(url, **ENGLISH).content.decode()
    assert "Good" in page or "Well" in page
    assert "需要助浴" not in page and "Record a visit" not in page and "/request/" not in page
    assert client.post(url, {"mode": "phone"}).status_code == 403
    assert Visit.objects.count() == 1
    assert AuditEvent.objects.get(action="workforce.visit_read", actor=crew.sub1).details["needs_shown"] is False


def test_a_residents_visits_are_not_found_by_outsiders(crew, login, client, tree):
    resident = elder(tree.g1)
    _visit(crew.w1, resident)
    url = f"/workforce/visits/resident/{resident.public_id}/"
    _anonymous_is_sent_to_sign_in(client, url)
    for outsider in (crew.head2, crew.w1b, crew.w2, crew.resident, crew.partner):
        signed_in = login(outsider)
        assert signed_in.get(url).status_code == 404
        assert (
            signed_in.post(url, {"visited_on": "2026-01-01", "mode": "phone", "condition": "good"}).status_code == 404
        )
    assert login(crew.w1).get("/workforce/visits/resident/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert Visit.objects.count() == 1
    assert not AuditEvent.objects.filter(action="workforce.visit_read").exists()


# --- filing a need ------------------------------------------------------------------------------------
def test_a_need_is_filed_as_a_request_once_from_the_visit(crew, login, tree, catalogue):
    resident = elder(tree.g1, full_name="王阿婆")
    visit = _visit(crew.w1, resident, needs="电梯坏了，下不了楼")
    url = f"/workforce/visits/{visit.pk}/request/"
    client = login(crew.w1)
    choose = client.get(url, **ENGLISH).content.decode()
    assert "?service=repair" in choose
    form = client.get(url + "?service=repair", **ENGLISH).content.decode()
    assert "电梯坏了，下不了楼" in form and 'name="facility"' not in form and 'name="attr_facility"' in form
    assert 'name="grid"' not in form and 'name="contact_phone"' not in form
    missing = client.post(url, {"service": "repair", "description": "电梯坏了", "submission_key": "k"}, **ENGLISH)
    assert missing.status_code == 400 and not ServiceRequest.objects.exists()
    data = {"service": "repair", "description": "电梯坏了", "attr_facility": "lift", "submission_key": "k"}
    response = client.post(url, data)
    filed = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/requests/{filed.public_id}/"
    assert (filed.contact_name, filed.grid_id, filed.filed_by) == ("王阿婆", tree.g1.pk, crew.w1)
    again = client.post(url, data)
    assert again.status_code == 302 and ServiceRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="workforce.visit_request").count() == 1
    visit.refresh_from_db()
    assert visit.request == filed


def test_filing_from_a_visit_is_for_the_workers_over_the_grid(crew, login, client, tree, catalogue):
    visit = _visit(crew.w1, elder(tree.g1))
    url = f"/workforce/visits/{visit.pk}/request/"
    _anonymous_is_sent_to_sign_in(client, url)
    data = {"service": "repair", "description": "x", "attr_facility": "lift", "submission_key": "k"}
    for outsider in (crew.head2, crew.w1b, crew.w2, crew.sub1, crew.civil, crew.resident, crew.partner):
        signed_in = login(outsider)
        assert signed_in.get(url).status_code == 404
        assert signed_in.post(url, data).status_code == 404
    assert login(crew.w1).get("/workforce/visits/999999/request/").status_code == 404
    assert login(crew.w1).get("/workforce/visits/99999999999999999999999/request/").status_code == 404
    assert not ServiceRequest.objects.exists()


def test_a_visit_without_a_need_and_an_unknown_service_file_nothing(crew, login, tree, catalogue):
    quiet = _visit(crew.w1, elder(tree.g1), needs="")
    client = login(crew.w1)
    response = client.get(f"/workforce/visits/{quiet.pk}/request/")
    assert response.status_code == 302
    visit = _visit(crew.w1, elder(tree.g1))
    response = client.post(f"/workforce/visits/{visit.pk}/request/", {"service": "nope"}, **ENGLISH)
    assert response.status_code == 400 and not ServiceRequest.objects.exists()


# --- the intervals ---------------------------------------------------------------------------------------
def test_civil_affairs_sets_the_intervals_on_the_page(crew, login):
    client = login(crew.civil)
    assert 'value="80"' in client.get("/workforce/visits/rules/").content.decode()
    bad = client.post(
        "/workforce/visits/rules/",
        {"old_age": "50", "days_alone_old": "7", "days_alone": "x", "days_other": "30"},
        **ENGLISH,
    )
    assert bad.status_code == 400 and "Ensure this value is greater than or equal to 60." in bad.content.decode()
    assert not VisitRules.objects.exists()
    response = client.post(
        "/workforce/visits/rules/", {"old_age": "75", "days_alone_old": "5", "days_alone": "10", "days_other": "21"}
    )
    assert response.status_code == 302 and VisitRules.objects.get().days_other == 21
    assert AuditEvent.objects.filter(action="workforce.visit_rules_set", actor=crew.civil).count() == 1


def test_only_civil_affairs_sets_the_intervals(crew, login, client):
    _anonymous_is_sent_to_sign_in(client, "/workforce/visits/rules/")
    data = {"old_age": "75", "days_alone_old": "5", "days_alone": "10", "days_other": "21"}
    for outsider in (crew.head1, crew.head2, crew.sub1, crew.w1, crew.resident, crew.partner):
        signed_in = login(outsider)
        assert signed_in.get("/workforce/visits/rules/").status_code == 403
        assert signed_in.post("/workforce/visits/rules/", data).status_code == 403
    assert not VisitRules.objects.exists()


def test_a_residents_visits_have_constant_queries(crew, login, tree, django_assert_max_num_queries):
    resident = elder(tree.g1)
    _visit(crew.w1, resident)
    url = f"/workforce/visits/resident/{resident.public_id}/"
    client = login(crew.w1)
    client.get(url)
    with django_assert_max_num_queries(30) as captured:
        client.get(url)
    baseline = len(captured)
    for _ in range(10):
        _visit(crew.staff1, resident)  # a colleague of the community
    with django_assert_max_num_queries(baseline):
        page = client.get(url)
    assert page.content.decode().count("想要助餐服务") == 11


def test_the_service_choice_has_constant_queries(crew, login, tree, catalogue, django_assert_max_num_queries):
    from services.catalogue import service_define

    visit = _visit(crew.w1, elder(tree.g1))
    url = f"/workforce/visits/{visit.pk}/request/"
    client = login(crew.w1)
    client.get(url)
    with django_assert_max_num_queries(30) as captured:
        client.get(url)
    baseline = len(captured)
    for index in range(5):
        service_define(
            code=f"s{index}", group="养老服务", name_zh=f"服务{index}", attributes=[{"code": "q", "datatype": "string"}]
        )
    with django_assert_max_num_queries(baseline):
        assert "?service=s4" in client.get(url).content.decode()
