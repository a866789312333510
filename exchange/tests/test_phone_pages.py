"""The exchange pages on a 360 px phone (Debian's chromium): no sideways scrolling, even with
hashes, field lists and the agreement form; the resident's page in Chinese."""

import pytest

from exchange.services import exchange_job_request, exchange_job_run
from residents.models import ResidentProfile
from security.models import Role
from tests.browser.conftest import phone  # noqa: F401  (a fixture; `browser` is exchange/tests/conftest.py's)
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_officer_works_an_agreement_on_a_phone(phone, parties, active, residents):  # noqa: F811
    agreement = active()
    exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=agreement).pk)
    sign_in(phone, parties.consumer_officer.username)
    for path in (
        "/exchange/",
        "/exchange/agreements/",
        f"/exchange/agreements/{agreement.public_id}/",
        "/exchange/log/",
    ):
        phone.goto(path)
        assert fits_the_screen(phone), path
    phone.goto("/exchange/agreements/new/resident-roster/")
    assert fits_the_screen(phone)
    assert "身份证号" in phone.locator("main").inner_text()


def test_a_resident_reads_who_used_their_data_on_a_phone(phone, parties, active, residents, tree, make_user):  # noqa: F811
    resident = make_user(Role.RESIDENT, tree.g1)
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=resident)
    agreement = active()
    exchange_job_run(job_id=exchange_job_request(actor=parties.consumer_officer, agreement=agreement).pk)
    sign_in(phone, resident.username)
    phone.goto("/residents/me/")
    phone.click("a[href='/residents/me/data-uses/']")
    phone.wait_for_load_state()
    text = phone.locator("main").inner_text()
    assert agreement.purpose in text and parties.consumer.name in text
    assert fits_the_screen(phone)
