"""On a 360 px phone: a grid worker registers a household that moved in, an elderly woman living
alone; she is on the worker's visit roster; the worker records a visit with a need and files a
service request from it in one step, and the request is hers (named as its contact, in her grid)."""

import pytest

from residents.models import ResidentProfile
from security.models import AuditEvent, Role
from services.models import ServiceRequest
from tests.browser.test_phone_journeys import fits_the_screen, sign_in
from tests.factories import valid_id_card
from workforce import visits
from workforce.models_visits import Visit

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_grid_worker_registers_an_elder_visits_her_and_files_a_request_from_her_need(
    phone, tree, make_user, catalogue
):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    sign_in(phone, worker.username)

    phone.goto("/residents/register/")
    assert fits_the_screen(phone)
    phone.select_option("select[name=grid]", str(tree.g1.pk))
    phone.fill("input[name=address]", "幸福路 8 号 2 单元 301")
    phone.fill("input[name=full_name]", "李桂兰")
    phone.fill("input[name=id_card_number]", valid_id_card(78, birth="19410506"))
    phone.check("input[name=lives_alone]")
    phone.click("main form[novalidate] button[type=submit]")
    phone.wait_for_load_state()
    elder = ResidentProfile.objects.get(full_name="李桂兰")
    assert (elder.lives_alone, elder.is_elderly, elder.household.grid_id) == (True, True, tree.g1.pk)

    phone.goto("/workforce/visits/")
    assert fits_the_screen(phone)
    roster = phone.locator(".visit-roster").inner_text()
    assert "李桂兰" in roster and str(visits.age_of(elder)) in roster
    phone.click(f".visit-roster a[href='/workforce/visits/resident/{elder.public_id}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.check("input[name=mode][value=in_person]")
    phone.check("input[name=condition][value=fair]")
    phone.fill("textarea[name=needs]", "楼道灯坏了，晚上下楼看不见")
    phone.click("#visit-record button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("#visit-record [role=alert]").count() == 0, phone.locator("main").inner_text()
    visit = Visit.objects.get(resident=elder)
    assert (visit.visitor_id, visit.condition, visits.visit_needs(visit)) == (
        worker.pk,
        "fair",
        "楼道灯坏了，晚上下楼看不见",
    )
    assert "楼道灯坏了" in phone.locator(".visit-history").inner_text()
    assert fits_the_screen(phone)

    phone.click(f".visit-history a[href='/workforce/visits/{visit.pk}/request/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.click(".visit-services a[href='?service=repair']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    assert phone.locator("textarea[name=description]").input_value() == "楼道灯坏了，晚上下楼看不见"
    phone.check("input[name=attr_facility][value=door]")
    phone.click("main form[novalidate] button[type=submit]")
    phone.wait_for_load_state()
    filed = ServiceRequest.objects.get()
    assert phone.url.endswith(f"/requests/{filed.public_id}/")
    assert fits_the_screen(phone)
    assert (filed.contact_name, filed.grid_id, filed.filed_by_id, filed.description) == (
        "李桂兰",
        tree.g1.pk,
        worker.pk,
        "楼道灯坏了，晚上下楼看不见",
    )
    visit.refresh_from_db()
    assert visit.request_id == filed.pk
    assert AuditEvent.objects.filter(action="workforce.visit_request", actor=worker).count() == 1
