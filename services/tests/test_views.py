import pytest

from directory.models import Area
from services import services as steps
from services.models import ServiceRequest
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db


def test_resident_files_through_the_form(client, login, people, catalogue, tree):
    login(people.resident)
    page = client.get("/requests/new/repair/")
    assert page.status_code == 200
    key = page.context["form"]["submission_key"].value()
    form = {"description": "电梯停了", "attr_facility": "lift", "grid": tree.g1.pk, "submission_key": key}
    response = client.post("/requests/new/repair/", form)
    request = ServiceRequest.objects.get()
    assert response["Location"] == f"/requests/{request.public_id}/"
    assert request.requester == people.resident
    client.post("/requests/new/repair/", form)  # the same form sent again
    assert ServiceRequest.objects.count() == 1


def test_form_errors_are_shown_beside_their_fields(client, login, people, catalogue):
    login(people.resident)
    response = client.post(
        "/requests/new/repair/",
        {"description": "", "attr_floors": "three", "submission_key": "k1"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "attr_facility" in form.errors and "attr_floors" in form.errors and "grid" in form.errors
    assert ServiceRequest.objects.count() == 0


def test_staff_file_on_behalf_through_the_form(client, login, people, catalogue, tree):
    login(people.worker)
    page = client.get("/requests/new/repair/")
    assert "contact_name" in page.context["form"].fields
    client.post(
        "/requests/new/repair/",
        {
            "description": "电话反映电梯故障",
            "attr_facility": "lift",
            "grid": tree.g1.pk,
            "submission_key": "k2",
            "channel": "phone",
            "contact_name": "王大爷",
            "contact_phone": "13900001111",
        },
    )
    request = ServiceRequest.objects.get()
    assert (request.filed_by, request.requester, request.channel) == (people.worker, None, "phone")


@pytest.mark.parametrize("who", ["other_resident", "worker_g2", "worker_g1b", "community_c2", "partner_other", "dept"])
def test_outsiders_get_404_on_every_request_page(client, login, people, file_request, who):
    request = file_request()
    login(getattr(people, who))
    assert client.get(f"/requests/{request.public_id}/").status_code == 404
    for step in ("accept", "comment", "note", "rate", "close"):
        assert client.post(f"/requests/{request.public_id}/{step}/", {"text": "x"}).status_code == 404
    assert ServiceRequest.objects.get(pk=request.pk).events.count() == 1


def test_anonymous_is_sent_to_sign_in(client, file_request):
    request = file_request()
    for url in (f"/requests/{request.public_id}/", "/requests/mine/", "/requests/workbench/", "/requests/new/"):
        assert client.get(url)["Location"].startswith("/accounts/login/")


def test_resident_sees_public_timeline_only(client, login, people, file_request):
    request = file_request()
    steps.request_comment(request=request, actor=people.worker, message="内部：先联系物业", internal=True)
    steps.request_comment(request=request, actor=people.worker, message="我们明天上门", internal=False)
    login(people.resident)
    page = client.get(f"/requests/{request.public_id}/").content.decode()
    assert "我们明天上门" in page
    assert "内部：先联系物业" not in page


def test_worker_takes_steps_through_the_page(client, login, people, file_request):
    request = file_request()
    login(people.worker)
    client.post(f"/requests/{request.public_id}/accept/")
    client.post(f"/requests/{request.public_id}/assign/", {"assignee": people.worker.pk})
    client.post(f"/requests/{request.public_id}/start/")
    client.post(f"/requests/{request.public_id}/resolve/", {"text": "已修好"})
    assert ServiceRequest.objects.get(pk=request.pk).status == "resolved"


def test_a_step_not_allowed_now_is_explained(client, login, people, file_request):
    request = file_request()
    login(people.worker)
    response = client.post(f"/requests/{request.public_id}/resolve/", {"text": "x"}, follow=True)
    assert "不能进行" in response.content.decode() or "not possible" in response.content.decode()
    assert ServiceRequest.objects.get(pk=request.pk).status == "submitted"


def test_resident_confirms_and_rates(client, login, people, file_request):
    from services.tests.test_lifecycle import walk_to_resolved

    request = walk_to_resolved(file_request(), people.worker)
    login(people.resident)
    client.post(f"/requests/{request.public_id}/close/")
    client.post(f"/requests/{request.public_id}/rate/", {"score": "5", "text": "很好"})
    request.refresh_from_db()
    assert (request.status, request.rating, request.rating_comment) == ("closed", 5, "很好")


def test_workbench_shows_the_queue_in_scope(client, login, people, file_request, tree):
    mine = file_request()
    elsewhere = file_request(actor=people.other_resident, requester=people.other_resident, grid=tree.g2)
    login(people.worker)
    page = client.get("/requests/workbench/").content.decode()
    assert mine.public_id in page and elsewhere.public_id not in page
    login(people.partner_other)
    page = client.get("/requests/workbench/").content.decode()
    assert mine.public_id not in page


def test_workbench_filters(client, login, people, file_request):
    open_request = file_request()
    done = file_request()
    steps.request_reject(request=done, actor=people.worker, reason="重复")
    login(people.worker)
    assert [r.pk for r in client.get("/requests/workbench/").context["page"]] == [open_request.pk]
    rejected = client.get("/requests/workbench/", {"status": "rejected"}).context["page"]
    assert [r.pk for r in rejected] == [done.pk]
    assert [
        r.pk for r in client.get("/requests/workbench/", {"q": done.public_id, "status": "all"}).context["page"]
    ] == [done.pk]


def test_residents_have_no_workbench(client, login, people):
    login(people.resident)
    assert client.get("/requests/workbench/").status_code == 403


def test_query_counts_do_not_grow(client, login, people, file_request, django_assert_max_num_queries):
    file_request()
    login(people.worker)
    with django_assert_max_num_queries(20) as workbench:
        client.get("/requests/workbench/")
    login(people.resident)
    with django_assert_max_num_queries(20) as mine:
        client.get("/requests/mine/")
    for _ in range(15):
        file_request()
    login(people.worker)
    with django_assert_max_num_queries(len(workbench.captured_queries)):
        client.get("/requests/workbench/")
    login(people.resident)
    with django_assert_max_num_queries(len(mine.captured_queries)):
        client.get("/requests/mine/")


def test_my_requests_lists_only_my_own(client, login, people, file_request, tree):
    mine = file_request()
    theirs = file_request(actor=people.other_resident, requester=people.other_resident, grid=tree.g2)
    login(people.resident)
    page = client.get("/requests/mine/").content.decode()
    assert mine.public_id in page and theirs.public_id not in page


def test_detail_shows_questions_and_chosen_names(client, login, people, file_request):
    request = file_request(answers={"facility": "lift", "needs": ["a", "b"]})
    login(people.resident)
    page = client.get(f"/requests/{request.public_id}/").content.decode()
    assert "哪里坏了？" in page and "电梯" in page and "甲、乙" in page
    assert "facility" not in page


def test_the_admin_refuses_a_list_question_without_choices(client, catalogue):
    from security.mfa import mfa_totp_enrol
    from security.models import User
    from tests.factories import STAFF_TOTP_SECRET

    root = User.objects.create_superuser(username="root", password="pw-long-enough-2026")
    mfa_totp_enrol(user=root, secret=STAFF_TOTP_SECRET)  # or the admin sends them to enrolment
    client.force_login(root)
    service = catalogue.repair
    form = {
        "code": service.code, "name_zh": service.name_zh, "name_en": "", "description_zh": "", "description_en": "",
        "group": service.group, "keywords": "", "is_active": "on", "order": "0", "accept_within_hours": "24",
        "resolve_within_days": "5", "reopen_window_days": "7",
        "attributes-TOTAL_FORMS": "1", "attributes-INITIAL_FORMS": "0",
        "attributes-0-code": "colour", "attributes-0-datatype": "singlevaluelist", "attributes-0-order": "0",
        "attributes-0-description_zh": "颜色？", "attributes-0-values": "[]", "attributes-0-variable": "on",
        "routing_rules-TOTAL_FORMS": "0", "routing_rules-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = client.post(f"/admin/services/service/{service.pk}/change/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "needs choices" in response.content.decode()
    assert not service.attributes.filter(code="colour").exists()


def test_workbench_filters_have_words_not_dashes_and_no_empty_community_list(client, login, people, tree):
    """Issue 20: the selects said "---------", and a grid worker got an empty community list."""
    login(people.worker)
    page = client.get("/requests/workbench/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "---------" not in page
    assert '<option value="" selected>All services</option>' in page
    assert 'name="area"' not in page  # one community in scope: nothing to choose between
    assert "<details" in page and '<details class="filters-box" open' not in page  # closed until a filter is set
    login(people.subdistrict)
    AreaFactory(code="C1x", kind=Area.Kind.COMMUNITY, parent=tree.s1)
    page = client.get("/requests/workbench/", {"status": "all"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="" selected>All communities</option>' in page
    assert f'<option value="{tree.c1.pk}">' in page
    assert '<details class="filters-box" open' in page  # a filter is set: the filters show open
