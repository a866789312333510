"""On a 360 px phone: a grid worker enrols on a course, their community's head records a passing
score, the worker reads the certificate's code on the course page, and anyone — not signed in —
checks the code on the public page and sees the name, course and date only."""

from datetime import date

import pytest

from security.models import Role, User
from tests.browser.conftest import PHONE
from tests.browser.test_phone_journeys import fits_the_screen, sign_in
from workforce import training
from workforce.models import Education, Post, WorkerProfile
from workforce.models_training import Certificate, Course

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_completes_a_course_and_anyone_verifies_the_code(phone, browser, live_server, tree, make_user):
    worker = make_user(Role.GRID_WORKER, tree.g1)
    User.objects.filter(pk=worker.pk).update(first_name="王网格")
    head = make_user(Role.COMMUNITY_STAFF, tree.c1)
    civil = make_user(Role.CIVIL_AFFAIRS_OFFICER, tree.d)
    WorkerProfile.objects.create(
        user=worker, post=Post.OTHER, level=1, date_joined=date(2015, 3, 1), education=Education.BACHELOR
    )
    WorkerProfile.objects.create(
        user=head, post=Post.HEAD, level=12, date_joined=date(2024, 1, 1), education=Education.MASTER, is_head=True
    )
    course = training.course_create(
        actor=civil, title="调解入门", kind=Course.Kind.ONLINE, required_posts=[Post.OTHER], validity_months=24
    )

    sign_in(phone, worker.username)
    phone.goto("/workforce/training/")
    assert fits_the_screen(phone)
    phone.click(".courses form button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("#my-enrolment").count() == 1
    phone.context.clear_cookies()

    sign_in(phone, head.username)
    phone.goto(f"/workforce/training/{course.pk}/")
    assert fits_the_screen(phone)
    phone.fill(".enrolments input[name=score]", "86")
    phone.click(".enrolments button[type=submit]")
    phone.wait_for_load_state()
    certificate = Certificate.objects.get()
    code = certificate.code
    phone.context.clear_cookies()

    sign_in(phone, worker.username)
    phone.goto(f"/workforce/training/{course.pk}/")
    assert phone.locator("#certificate-code").inner_text().strip() == code

    visitor_context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url)
    visitor = visitor_context.new_page()
    visitor.goto("/workforce/certificates/verify/")
    visitor.fill("#certificate-code-input", code.lower())
    visitor.click("main form button[type=submit]")
    visitor.wait_for_load_state()
    result = visitor.locator("#verify-result").inner_text()
    assert "王网格" in result and "调解入门" in result and certificate.issued_on.strftime("%Y-%m-%d") in result
    assert worker.username not in result
    assert fits_the_screen(visitor)
    visitor.fill("#certificate-code-input", "ZZZZZZZZZZZZ")
    visitor.click("main form button[type=submit]")
    visitor.wait_for_load_state()
    assert "王网格" not in visitor.locator("#verify-result").inner_text()
    assert visitor.locator("#verify-result [role=alert]").count() == 1
    visitor_context.close()
