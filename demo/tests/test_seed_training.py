"""The demo's training: a required online course for other community workers and a session demo_grid
attended and passed with a certificate; a second run adds nothing and records no audit event."""

import pytest
from django.core.management import call_command

from demo.workforce import DEMO_REQUIRED_COURSE, DEMO_SESSION_COURSE
from security.models import AuditEvent
from workforce.models import Post, WorkerProfile
from workforce.models_training import Certificate, Course, Enrolment
from workforce.training import worker_courses

pytestmark = pytest.mark.django_db


def _state():
    return (
        sorted(Course.objects.values_list("title", "kind", "required_posts")),
        sorted(Enrolment.objects.values_list("profile__user__username", "course__title", "attended", "score")),
        sorted(Certificate.objects.values_list("code", "enrolment__course__title")),
        AuditEvent.objects.count(),
    )


def test_the_demo_has_two_courses_and_demo_grids_certificate():
    call_command("seed_demo", force=True, history=0, verbosity=0)
    courses, enrolments, certificates, audited = _state()
    assert (DEMO_REQUIRED_COURSE, Course.Kind.ONLINE, [Post.OTHER]) in courses
    assert enrolments == [("demo_grid", DEMO_SESSION_COURSE, True, 86)]
    assert [title for _code, title in certificates] == [DEMO_SESSION_COURSE]
    grid = worker_courses(WorkerProfile.objects.get(user__username="demo_grid"))
    assert [course.title for course in grid["required_missing"]] == [DEMO_REQUIRED_COURSE]
    call_command("seed_demo", force=True, history=0, verbosity=0)
    assert _state() == (courses, enrolments, certificates, audited)
