"""Training's later steps (issue 18 item 3): editing a course, a session's attendance, retaking a
course with the certificate history kept, the daily reminders, and the rate limit on the public check."""

import itertools
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from notifications.models import OutboxMessage
from security.models import AuditEvent, Role
from workforce import training
from workforce.models import Post
from workforce.models_training import Certificate, Course, Enrolment
from workforce.tasks import training_reminders_task
from workforce.tests.helpers import profile

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
_addresses = itertools.count(1)


def _course(crew, **fields) -> Course:
    fields.setdefault("title", "调解入门")
    fields.setdefault("kind", Course.Kind.ONLINE)
    return training.course_create(actor=crew.civil, **fields)


def _session(crew, *, begun=True, **fields) -> Course:
    starts = timezone.now() + (timedelta(hours=-1) if begun else timedelta(days=2))
    return _course(crew, kind=Course.Kind.SESSION, starts_at=starts, place="社区活动室", **fields)


def _fields(course: Course, **changes) -> dict:
    fields = {
        "title": course.title,
        "description": course.description,
        "kind": course.kind,
        "starts_at": course.starts_at,
        "place": course.place,
        "required_posts": course.required_posts,
        "validity_months": course.validity_months,
    }
    return fields | changes


# --- editing a course ----------------------------------------------------------------------------
def test_civil_affairs_edits_a_course_audited_with_what_changed(crew, login):
    course = _course(crew, validity_months=12)
    client = login(crew.civil)
    assert client.get(f"/workforce/training/{course.pk}/edit/", **ENGLISH).status_code == 200
    session = _session(crew, title="现场课")
    local = timezone.localtime(session.starts_at).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{local}"' in client.get(f"/workforce/training/{session.pk}/edit/").content.decode()
    response = client.post(
        f"/workforce/training/{course.pk}/edit/",
        {"title": "调解进阶", "kind": "online", "required_posts": ["other"], "validity_months": "24"},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.title, course.required_posts, course.validity_months) == ("调解进阶", ["other"], 24)
    event = AuditEvent.objects.get(action="workforce.course_update")
    assert event.actor == crew.civil and event.details["changed"]["title"] == {"from": "调解入门", "to": "调解进阶"}
    # Saving it unchanged records nothing.
    training.course_update(actor=crew.civil, course=course, **_fields(course))
    assert AuditEvent.objects.filter(action="workforce.course_update").count() == 1


def test_a_bad_edit_says_why_and_changes_nothing(crew, login):
    course = _course(crew)
    training.enrol(actor=crew.w1, course=course)
    client = login(crew.civil)
    response = client.post(f"/workforce/training/{course.pk}/edit/", {"title": " ", "kind": "online"}, **ENGLISH)
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    response = client.post(
        f"/workforce/training/{course.pk}/edit/",
        {"title": "x", "kind": "session", "starts_at": "2027-01-05T09:00", "place": "活动室"},
        **ENGLISH,
    )
    assert "Workers are enrolled on this course, so its kind cannot change." in response.content.decode()
    with pytest.raises(ValidationError) as error:
        training.course_update(actor=crew.civil, course=course, **_fields(course, validity_months=500))
    assert "validity_months" in error.value.message_dict
    course.refresh_from_db()
    assert course.title == "调解入门" and course.kind == "online"
    assert not AuditEvent.objects.filter(action="workforce.course_update").exists()


def test_only_civil_affairs_edits_courses(crew, login, client):
    course = _course(crew)
    url = f"/workforce/training/{course.pk}/edit/"
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    for outsider in (crew.head1, crew.head2, crew.sub1, crew.w1, crew.resident, crew.partner):
        signed_in = login(outsider)
        assert signed_in.get(url).status_code == 403
        assert signed_in.post(url, {"title": "x", "kind": "online"}).status_code == 403
        with pytest.raises(PermissionDenied):
            training.course_update(actor=outsider, course=course, **_fields(course, title="x"))
        signed_in.logout()
    assert login(crew.civil).get("/workforce/training/999999/edit/").status_code == 404
    course.refresh_from_db()
    assert course.title == "调解入门"


# --- a session's attendance ----------------------------------------------------------------------
def test_a_session_is_completed_only_after_attendance_recorded_by_a_manager(crew, login):
    course = _session(crew)
    e1, e1b = (training.enrol(actor=worker, course=course) for worker in (crew.w1, crew.w1b))
    with pytest.raises(ValidationError, match="attended the session"):
        training.completion_record(actor=crew.head1, enrolment=e1, score=80)
    client = login(crew.head1)
    page = client.get(f"/workforce/training/{course.pk}/", **ENGLISH).content.decode()
    assert 'id="attendance"' in page and "attendance not recorded yet" in page
    response = client.post(f"/workforce/training/{course.pk}/attendance/", {"attended": [e1.pk]}, **ENGLISH)
    assert response.status_code == 302
    e1.refresh_from_db()
    e1b.refresh_from_db()
    assert e1.attended and e1.attendance_recorded_by == crew.head1 and not e1b.attended
    event = AuditEvent.objects.get(action="workforce.course_attendance")
    assert event.details == {"attended": [e1.pk], "not_attended": []}
    assert training.completion_record(actor=crew.head1, enrolment=e1, score=80) is not None
    with pytest.raises(ValidationError):
        training.completion_record(actor=crew.head1, enrolment=e1b, score=80)
    # Saving the same attendance again changes and records nothing.
    client.post(f"/workforce/training/{course.pk}/attendance/", {"attended": []})
    assert AuditEvent.objects.filter(action="workforce.course_attendance").count() == 1


def test_attendance_bad_input_says_why(crew, login):
    online = _course(crew)
    later = _session(crew, begun=False, title="下周培训")
    begun = _session(crew, title="今日培训")
    for course in (online, later, begun):
        training.enrol(actor=crew.w1, course=course)
    other = training.enrol(actor=crew.w2, course=begun)
    client = login(crew.head1)
    cases = [
        (online, ["1"], "Attendance is recorded for sessions only."),
        (later, [], "Attendance is recorded once the session has begun."),
        (begun, [str(other.pk)], "Choose from the workers listed."),  # another community's worker
        (begun, ["abc"], "Choose from the workers listed."),
    ]
    for course, ids, message in cases:
        response = client.post(
            f"/workforce/training/{course.pk}/attendance/", {"attended": ids}, follow=True, **ENGLISH
        )
        assert response.status_code == 200 and message in response.content.decode()
    assert not Enrolment.objects.filter(attended=True).exists()
    assert not AuditEvent.objects.filter(action="workforce.course_attendance").exists()


def test_outsiders_cannot_record_attendance(crew, login, client):
    course = _session(crew)
    enrolment = training.enrol(actor=crew.w1, course=course)
    url = f"/workforce/training/{course.pk}/attendance/"
    response = client.post(url, {"attended": [enrolment.pk]})
    assert response.status_code == 302 and "login" in response["Location"]
    for outsider in (crew.w1, crew.w1b, crew.resident, crew.partner):
        assert login(outsider).post(url, {"attended": [enrolment.pk]}).status_code == 404
    # Another community's head sees no one of C1 to mark.
    login(crew.head2).post(url, {"attended": [enrolment.pk]})
    assert login(crew.head1).get(url).status_code == 405
    enrolment.refresh_from_db()
    assert not enrolment.attended and not AuditEvent.objects.filter(action="workforce.course_attendance").exists()


# --- retaking ------------------------------------------------------------------------------------
def test_a_fail_is_retaken_and_the_history_kept(crew, login):
    course = _course(crew, validity_months=12)
    first = training.enrol(actor=crew.w1, course=course)
    assert training.completion_record(actor=crew.head1, enrolment=first, score=40) is None
    client = login(crew.w1)
    page = client.get(f"/workforce/training/{course.pk}/", **ENGLISH).content.decode()
    assert "Retake the course" in page
    assert client.post("/workforce/training/enrol/", {"course": course.pk}).status_code == 302
    second = Enrolment.objects.exclude(pk=first.pk).get(course=course)
    assert AuditEvent.objects.filter(action="workforce.course_enrol").last().details["retake"] is True
    certificate = training.completion_record(actor=crew.head1, enrolment=second, score=75)
    page = client.get(f"/workforce/training/{course.pk}/", **ENGLISH).content.decode()
    assert certificate.code in page and "Earlier attempts" in page and "Retake the course" not in page
    # A pass with a certificate in force: no retake yet.
    with pytest.raises(ValidationError, match="within 30 days of expiry"):
        training.enrol(actor=crew.w1, course=course)
    assert Enrolment.objects.filter(course=course).count() == 2


def test_an_expiring_certificate_is_renewed_by_a_retake_and_the_old_one_still_checks(crew, client):
    course = _course(crew, validity_months=12, required_posts=[Post.OTHER])
    old = training.completion_record(actor=crew.head1, enrolment=training.enrol(actor=crew.w1, course=course), score=90)
    Certificate.objects.filter(pk=old.pk).update(expires_on=timezone.localdate() + timedelta(days=10))
    again = training.enrol(actor=crew.w1, course=course)
    with pytest.raises(ValidationError, match="already enrolled"):
        training.enrol(actor=crew.w1, course=course)
    new = training.completion_record(actor=crew.head1, enrolment=again, score=88)
    assert new.code != old.code and Certificate.objects.count() == 2
    assert (
        "This certificate is genuine."
        in client.get("/workforce/certificates/verify/", {"code": old.code}, **ENGLISH).content.decode()
    )


def test_an_expired_required_course_is_missing_again(crew):
    course = _course(crew, validity_months=12, required_posts=[Post.OTHER])
    certificate = training.completion_record(
        actor=crew.head1, enrolment=training.enrol(actor=crew.w1, course=course), score=90
    )
    assert training.worker_courses(crew.p1)["required_missing"] == []
    Certificate.objects.filter(pk=certificate.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert training.worker_courses(crew.p1)["required_missing"] == [course]


# --- reminders -----------------------------------------------------------------------------------
def _reminders_to(user) -> list[str]:
    return sorted(OutboxMessage.objects.filter(recipient=user, channel="in_app").values_list("title", flat=True))


def _title(text: str, **values) -> str:
    """A reminder's title as the task writes it: in the portal's language, whoever reads it."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(text) % values


REQUIRED = "Required training: %(course)s"


def test_reminders_tell_each_worker_once_a_month_and_expiry_once_with_the_head(crew):
    required = _course(crew, title="安全必修", required_posts=[Post.OTHER])
    _course(crew, title="正职必修", required_posts=[Post.HEAD])
    expiring = _course(crew, title="急救", validity_months=12)
    certificate = training.completion_record(
        actor=crew.head1, enrolment=training.enrol(actor=crew.w1, course=expiring), score=90
    )
    Certificate.objects.filter(pk=certificate.pk).update(expires_on=timezone.localdate() + timedelta(days=20))
    passed = training.completion_record(
        actor=crew.civil, enrolment=training.enrol(actor=crew.w2, course=required), score=90
    )
    assert passed is not None
    sent = training.training_reminders_send()
    # w1, w1b: the required course; w2 passed it. Heads and deputies: the head-only course.
    assert _title(REQUIRED, course="安全必修") in _reminders_to(crew.w1)
    assert _reminders_to(crew.w1b) == [_title(REQUIRED, course="安全必修")]
    assert _reminders_to(crew.w2) == []
    assert _title("Your certificate expires soon: %(course)s", course="急救") in _reminders_to(crew.w1)
    head_expiring = "A worker's certificate expires soon: %(name)s"
    told_head = sorted([_title(head_expiring, name=str(crew.p1)), _title(REQUIRED, course="正职必修")])
    assert _reminders_to(crew.head1) == told_head
    expiring = _title(head_expiring, name="")
    assert not any(title.startswith(expiring) for title in _reminders_to(crew.head2))
    assert sent == OutboxMessage.objects.filter(channel="in_app").count()
    events = AuditEvent.objects.filter(action="workforce.training_remind")
    assert events.count() == 1 and events.get().details["expiry"] == 2

    # The same day again, or a retried task: nobody is told twice, nothing audited.
    assert training.training_reminders_send() == 0
    assert training_reminders_task.apply().get() == 0
    assert AuditEvent.objects.filter(action="workforce.training_remind").count() == 1
    # A week later the required course is not recalled; next month it is, the expiry is not.
    today = timezone.localdate()
    assert training.training_reminders_send(today=today + timedelta(days=7) if today.day < 20 else today) == 0
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    training.training_reminders_send(today=next_month)
    assert _reminders_to(crew.w1b) == [_title(REQUIRED, course="安全必修")] * 2
    assert _reminders_to(crew.w1).count(_title("Your certificate expires soon: %(course)s", course="急救")) == 1


def test_a_renewed_certificate_and_a_former_worker_are_not_reminded(crew):
    course = _course(crew, validity_months=12)
    old = training.completion_record(actor=crew.head1, enrolment=training.enrol(actor=crew.w1, course=course), score=90)
    Certificate.objects.filter(pk=old.pk).update(expires_on=timezone.localdate() + timedelta(days=5))
    training.completion_record(actor=crew.head1, enrolment=training.enrol(actor=crew.w1, course=course), score=90)
    _course(crew, title="必修", required_posts=[Post.OTHER])
    crew.w1b.role_assignments.all().delete()  # left the workforce
    training.training_reminders_send()
    assert _reminders_to(crew.w1) == [_title(REQUIRED, course="必修")]
    assert _reminders_to(crew.w1b) == []


def test_reminders_read_in_constant_queries_and_a_rerun_stays_constant(
    crew, tree, make_user, django_assert_max_num_queries
):
    _course(crew, title="必修", required_posts=[Post.OTHER])
    training.training_reminders_send()
    with django_assert_max_num_queries(12) as captured:
        assert training.training_reminders_send() == 0
    baseline = len(captured)
    for index in range(12):
        worker = make_user(Role.GRID_WORKER, tree.g1 if index % 2 else tree.g2)
        profile(worker)
        certificate_course = _course(crew, title=f"课程{index}", validity_months=6)
        cert = training.completion_record(
            actor=crew.civil, enrolment=training.enrol(actor=worker, course=certificate_course), score=80
        )
        Certificate.objects.filter(pk=cert.pk).update(expires_on=timezone.localdate() + timedelta(days=3))
    with django_assert_max_num_queries(baseline):
        due = training._reminders_due(timezone.localdate())
    assert len(due) > 24
    training.training_reminders_send()
    with django_assert_max_num_queries(baseline):
        assert training.training_reminders_send() == 0


# --- the public check's rate limit ---------------------------------------------------------------
def test_the_public_check_is_limited_per_address_with_a_friendly_page(crew, client):
    certificate = training.completion_record(
        actor=crew.head1, enrolment=training.enrol(actor=crew.w1, course=_course(crew)), score=90
    )
    address = f"10.18.{next(_addresses)}.{timezone.now().microsecond % 250}"
    for _index in range(training_views().VERIFY_LIMIT):
        response = client.get("/workforce/certificates/verify/", {"code": "ZZZZ"}, REMOTE_ADDR=address)
        assert response.status_code == 200
    response = client.get("/workforce/certificates/verify/", {"code": certificate.code}, REMOTE_ADDR=address, **ENGLISH)
    page = response.content.decode()
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many checks from your connection." in page and "genuine" not in page
    # The empty form is not counted; another address is not held up.
    assert client.get("/workforce/certificates/verify/", REMOTE_ADDR=address).status_code == 200
    other = client.get(
        "/workforce/certificates/verify/", {"code": certificate.code}, REMOTE_ADDR="10.19.0.1", **ENGLISH
    )
    assert other.status_code == 200 and "This certificate is genuine." in other.content.decode()


def training_views():
    from workforce import views_training

    return views_training


def test_a_sessions_page_with_attendance_has_constant_queries(
    crew, tree, make_user, login, django_assert_max_num_queries
):
    course = _session(crew)
    training.enrol(actor=crew.w1, course=course)
    client = login(crew.head1)
    client.get(f"/workforce/training/{course.pk}/")
    with django_assert_max_num_queries(30) as captured:
        client.get(f"/workforce/training/{course.pk}/")
    baseline = len(captured)
    for _index in range(10):
        worker = make_user(Role.GRID_WORKER, tree.g1)
        profile(worker)
        training.enrol(actor=worker, course=course)
    with django_assert_max_num_queries(baseline):
        page = client.get(f"/workforce/training/{course.pk}/").content.decode()
    assert page.count('name="attended"') == 11
