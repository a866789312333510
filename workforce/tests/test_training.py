"""Training and certificates: the services (bad input changes nothing), the pages and who reaches
them, the public certificate check, the worker's profile listing, and the audit events."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from security import personal_data
from security.models import AuditEvent, User
from workforce import training
from workforce.models import Post, WorkerProfile
from workforce.models_training import Certificate, Course, Enrolment

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _course(crew, **fields) -> Course:
    fields.setdefault("title", "调解入门")
    fields.setdefault("kind", Course.Kind.ONLINE)
    return training.course_create(actor=crew.civil, **fields)


# --- services ------------------------------------------------------------------------------------
def test_civil_affairs_creates_a_course_audited_and_no_one_else_may(crew):
    course = _course(crew, required_posts=[Post.OTHER], validity_months=24)
    assert course.required_posts == ["other"] and course.validity_months == 24
    assert AuditEvent.objects.filter(action="workforce.course_create", actor=crew.civil).count() == 1
    for outsider in (crew.head1, crew.sub1, crew.w1):
        with pytest.raises(PermissionDenied):
            training.course_create(actor=outsider, title="x", kind=Course.Kind.ONLINE)
    assert Course.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"kind": "webinar"}, "kind"),
        ({"kind": Course.Kind.SESSION, "place": "社区活动室"}, "starts_at"),
        (
            {"kind": Course.Kind.SESSION, "starts_at": datetime(2027, 1, 5, 9, tzinfo=timezone.get_current_timezone())},
            "place",
        ),
        ({"required_posts": ["boss"]}, "required_posts"),
        ({"validity_months": 0}, "validity_months"),
    ],
)
def test_a_bad_course_says_which_field_and_creates_nothing(crew, fields, field):
    with pytest.raises(ValidationError) as error:
        _course(crew, **fields)
    assert field in error.value.message_dict
    assert not Course.objects.exists() and not AuditEvent.objects.filter(action="workforce.course_create").exists()


def test_a_worker_enrols_once_and_enrolling_in_nothing_says_so(crew):
    course = _course(crew)
    enrolment = training.enrol(actor=crew.w1, course=course)
    assert enrolment.profile == crew.p1
    assert AuditEvent.objects.filter(action="workforce.course_enrol", actor=crew.w1).count() == 1
    with pytest.raises(ValidationError, match="already enrolled"):
        training.enrol(actor=crew.w1, course=course)
    with pytest.raises(ValidationError) as error:
        training.enrol(actor=crew.w1, course=None)
    assert "course" in error.value.message_dict
    with pytest.raises(PermissionDenied):  # a resident has no worker profile
        training.enrol(actor=crew.resident, course=course)
    assert Enrolment.objects.count() == 1
    assert AuditEvent.objects.filter(action="workforce.course_enrol").count() == 1


def test_a_manager_records_a_pass_and_a_certificate_with_a_random_code_is_issued(crew):
    course = _course(crew, validity_months=12)
    enrolment = training.enrol(actor=crew.w1, course=course)
    certificate = training.completion_record(actor=crew.head1, enrolment=enrolment, score=60)
    today = timezone.localdate()
    assert certificate.issued_on == today and certificate.expires_on > today + timedelta(days=360)
    assert len(certificate.code) == 12 and set(certificate.code) <= set(training.CODE_ALPHABET)
    enrolment.refresh_from_db()
    assert enrolment.score == 60 and enrolment.recorded_by == crew.head1
    event = AuditEvent.objects.get(action="workforce.course_complete")
    assert event.actor == crew.head1 and event.details["passed"] is True
    other = training.completion_record(
        actor=crew.civil, enrolment=training.enrol(actor=crew.w2, course=course), score=99
    )
    assert other.code != certificate.code


def test_a_score_below_the_pass_mark_is_recorded_without_a_certificate(crew):
    enrolment = training.enrol(actor=crew.w1, course=_course(crew))
    assert training.completion_record(actor=crew.civil, enrolment=enrolment, score=59) is None
    assert not Certificate.objects.exists()
    assert AuditEvent.objects.get(action="workforce.course_complete").details["passed"] is False


@pytest.mark.parametrize("score", [-1, 101, None, "80", True])
def test_a_score_out_of_range_says_so_and_changes_nothing(crew, score):
    enrolment = training.enrol(actor=crew.w1, course=_course(crew))
    with pytest.raises(ValidationError) as error:
        training.completion_record(actor=crew.head1, enrolment=enrolment, score=score)
    assert "score" in error.value.message_dict
    enrolment.refresh_from_db()
    assert enrolment.completed_on is None and enrolment.score is None and not Certificate.objects.exists()
    assert not AuditEvent.objects.filter(action="workforce.course_complete").exists()


def test_completing_twice_is_refused_and_changes_nothing(crew):
    enrolment = training.enrol(actor=crew.w1, course=_course(crew))
    first = training.completion_record(actor=crew.head1, enrolment=enrolment, score=70)
    with pytest.raises(ValidationError, match="already recorded"):
        training.completion_record(actor=crew.civil, enrolment=enrolment, score=95)
    enrolment.refresh_from_db()
    assert enrolment.score == 70 and list(Certificate.objects.all()) == [first]
    assert AuditEvent.objects.filter(action="workforce.course_complete").count() == 1


def test_only_managers_and_civil_affairs_record_never_the_worker_or_another_community(crew):
    enrolment = training.enrol(actor=crew.w1, course=_course(crew))
    for outsider in (crew.w1, crew.w1b, crew.head2, crew.staff1, crew.resident, crew.partner):
        with pytest.raises(PermissionDenied):
            training.completion_record(actor=outsider, enrolment=enrolment, score=80)
    enrolment.refresh_from_db()
    assert enrolment.completed_on is None


# --- pages ---------------------------------------------------------------------------------------
def test_a_worker_enrols_and_the_manager_records_on_the_pages(crew, login):
    course = _course(crew)
    client = login(crew.w1)
    page = client.get("/workforce/training/", **ENGLISH).content.decode()
    assert course.title in page and "Enrol" in page and "New course" not in page
    response = client.post("/workforce/training/enrol/", {"course": course.pk}, **ENGLISH)
    assert response.status_code == 302 and Enrolment.objects.filter(profile=crew.p1).exists()
    response = client.post("/workforce/training/enrol/", {"course": ""}, follow=True, **ENGLISH)
    assert "Choose a course to enrol on." in response.content.decode()
    enrolment = Enrolment.objects.get()
    client = login(crew.head1)
    page = client.get(f"/workforce/training/{course.pk}/", **ENGLISH).content.decode()
    assert "Record the completion" in page and str(crew.p1) in page
    response = client.post(
        f"/workforce/training/enrolments/{enrolment.pk}/complete/", {"score": "150"}, follow=True, **ENGLISH
    )
    assert response.status_code == 200 and not Certificate.objects.exists()
    response = client.post(
        f"/workforce/training/enrolments/{enrolment.pk}/complete/", {"score": "88"}, follow=True, **ENGLISH
    )
    code = Certificate.objects.get().code
    assert code in response.content.decode()


def test_the_course_page_lists_only_the_workers_the_viewer_manages(crew, login):
    course = _course(crew)
    training.enrol(actor=crew.w1, course=course)
    training.enrol(actor=crew.w2, course=course)
    page = login(crew.head2).get(f"/workforce/training/{course.pk}/", **ENGLISH).content.decode()
    assert str(crew.p2) in page and str(crew.p1) not in page
    page = login(crew.civil).get(f"/workforce/training/{course.pk}/", **ENGLISH).content.decode()
    assert str(crew.p2) in page and str(crew.p1) in page


def test_outsiders_are_kept_out(crew, login, client):
    course = _course(crew)
    enrolment = training.enrol(actor=crew.w1, course=course)
    staff_pages = ["/workforce/training/", f"/workforce/training/{course.pk}/", "/workforce/training/new/"]
    for url in staff_pages:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    for outsider in (crew.resident, crew.partner):
        signed_in = login(outsider)
        for url in staff_pages:
            assert signed_in.get(url).status_code == 403
        assert signed_in.post("/workforce/training/enrol/", {"course": course.pk}).status_code == 403
        signed_in.logout()
    # Another community's head, a colleague: the completion is not theirs to record.
    for outsider in (crew.head2, crew.w1b):
        signed_in = login(outsider)
        url = f"/workforce/training/enrolments/{enrolment.pk}/complete/"
        assert signed_in.post(url, {"score": "90"}).status_code == 404
        assert signed_in.get("/workforce/training/new/").status_code == 403
        signed_in.logout()
    enrolment.refresh_from_db()
    assert enrolment.completed_on is None and Course.objects.count() == 1


def test_civil_affairs_creates_a_course_on_the_page(crew, login):
    client = login(crew.civil)
    response = client.post(
        "/workforce/training/new/", {"title": "网格员入职", "kind": "session", "place": ""}, **ENGLISH
    )
    assert response.status_code == 200 and "A session needs its time." in response.content.decode()
    assert not Course.objects.exists()
    response = client.post(
        "/workforce/training/new/",
        {"title": "网格员入职", "kind": "online", "required_posts": ["other"], "validity_months": "12"},
    )
    assert response.status_code == 302 and Course.objects.get().required_posts == ["other"]


# --- the public check ----------------------------------------------------------------------------
def test_anyone_checks_a_code_and_sees_only_name_course_and_dates(crew, client):
    User.objects.filter(pk=crew.w1.pk).update(first_name="王网格")
    WorkerProfile.objects.filter(pk=crew.p1.pk).update(
        personal_phone_encrypted=personal_data.encrypt("13800138000"), level=3
    )
    enrolment = training.enrol(actor=crew.w1, course=_course(crew, title="调解入门", validity_months=6))
    certificate = training.completion_record(actor=crew.head1, enrolment=enrolment, score=91)
    response = client.get("/workforce/certificates/verify/", {"code": certificate.code.lower()}, **ENGLISH)
    assert response.status_code == 200
    page = response.content.decode()
    assert "王网格" in page and "调解入门" in page and certificate.issued_on.strftime("%Y-%m-%d") in page
    assert certificate.expires_on.strftime("%Y-%m-%d") in page
    for private in ("13800138000", "138****8000", "08172223333", crew.w1.username, "91", "Level", "G1"):
        assert private not in page
    # A worker whose account has no name: the page never falls back to the sign-in name.
    User.objects.filter(pk=crew.w1.pk).update(first_name="")
    page = client.get("/workforce/certificates/verify/", {"code": certificate.code}, **ENGLISH).content.decode()
    assert "调解入门" in page and crew.w1.username not in page
    missing = client.get("/workforce/certificates/verify/", {"code": "ZZZZZZZZZZZZ"}, **ENGLISH).content.decode()
    assert "No certificate has this code." in missing and "王网格" not in missing
    assert client.get("/workforce/certificates/verify/", {"code": "x" * 500}).status_code == 200
    assert client.get("/workforce/certificates/verify/").status_code == 200


# --- the worker's profile ------------------------------------------------------------------------
def test_the_profile_lists_courses_and_flags_required_ones_not_done(crew, login, django_assert_max_num_queries):
    required = _course(crew, title="必修：安全", required_posts=[Post.OTHER])
    _course(crew, title="正职必修", required_posts=[Post.HEAD])
    done = _course(crew, title="已完成课程", required_posts=[Post.OTHER])
    training.completion_record(actor=crew.head1, enrolment=training.enrol(actor=crew.w1, course=done), score=80)
    for index in range(5):
        training.enrol(actor=crew.w1, course=_course(crew, title=f"选修{index}"))
    client = login(crew.w1)
    client.get(f"/workforce/{crew.p1.pk}/")
    with django_assert_max_num_queries(25) as captured:
        page = client.get(f"/workforce/{crew.p1.pk}/", **ENGLISH).content.decode()
    baseline = len(captured)
    assert "必修：安全" in page and "正职必修" not in page and "已完成课程" in page and "选修4" in page
    missing_section = page.split("required-missing", 1)[1].split("</ul>", 1)[0]
    assert required.title in missing_section and done.title not in missing_section
    for index in range(5, 15):
        training.enrol(actor=crew.w1, course=_course(crew, title=f"选修{index}"))
    with django_assert_max_num_queries(baseline):
        client.get(f"/workforce/{crew.p1.pk}/", **ENGLISH)


def test_the_course_list_has_constant_queries(crew, login, django_assert_max_num_queries):
    for index in range(3):
        _course(crew, title=f"课程{index}")
    client = login(crew.civil)
    client.get("/workforce/training/")
    with django_assert_max_num_queries(25) as captured:
        client.get("/workforce/training/")
    baseline = len(captured)
    for index in range(3, 13):
        _course(crew, title=f"课程{index}")
    with django_assert_max_num_queries(baseline):
        assert client.get("/workforce/training/").status_code == 200


def test_the_course_page_has_constant_queries(crew, login, django_assert_max_num_queries):
    course = _course(crew)
    for worker in (crew.w1, crew.w1b):
        training.enrol(actor=worker, course=course)
    client = login(crew.civil)
    client.get(f"/workforce/training/{course.pk}/")
    with django_assert_max_num_queries(25) as captured:
        client.get(f"/workforce/training/{course.pk}/")
    baseline = len(captured)
    for worker in (crew.head1, crew.staff1, crew.w2, crew.head2):
        enrolment = training.enrol(actor=worker, course=course)
    training.completion_record(actor=crew.civil, enrolment=enrolment, score=75)
    with django_assert_max_num_queries(baseline):
        page = client.get(f"/workforce/training/{course.pk}/", **ENGLISH).content.decode()
    assert str(crew.ph2) in page and "score 75" in page
