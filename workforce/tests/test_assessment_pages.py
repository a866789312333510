"""The yearly assessment's pages: the weights, a manager's year, one worker's assessment, a worker's
own; outsiders, query budgets, bad input and audit events."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from security.models import AuditEvent, Role
from workforce.assessment import assessment_rate, assessment_run
from workforce.models_assessment import Assessment, AssessmentWeights
from workforce.tests.helpers import profile

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year - 1
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
WEIGHTS = {"casework": 30, "satisfaction": 20, "visits": 20, "training": 10, "manager": 20}
THRESHOLDS = {"excellent_from": 90, "competent_from": 75, "basic_from": 60}
OUTSIDERS = ["head2", "w1b", "resident", "partner"]


def _final(crew, worker_profile, rating=80):
    return assessment_rate(actor=crew.head1, profile=worker_profile, year=YEAR, rating=rating, finalise=True)


# --- the weights ---------------------------------------------------------------------------------
def test_civil_affairs_officers_set_the_weights_on_one_page(crew, login):
    client = login(crew.civil)
    page = client.get("/workforce/assessment/weights/", **ENGLISH).content.decode()
    assert 'name="casework"' in page and 'value="30"' in page
    response = client.post("/workforce/assessment/weights/", WEIGHTS | THRESHOLDS | {"visits": 10, "training": 20})
    assert response.status_code == 302
    assert AssessmentWeights.objects.get().training == 20
    assert AuditEvent.objects.filter(action="workforce.assessment_weights_set", actor=crew.civil).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"casework": 50}, "must add up to 100; they add up to 120"),
        ({"competent_from": 95}, "Each grade starts above the next"),
        ({"manager": "lots"}, "Enter a whole number"),
        ({"basic_from": ""}, "This field is required"),
    ],
)
def test_bad_weights_say_why_and_change_nothing(crew, login, change, message):
    client = login(crew.civil)
    response = client.post("/workforce/assessment/weights/", WEIGHTS | THRESHOLDS | change, **ENGLISH)
    assert response.status_code == 200
    with translation.override("en"):
        assert message in response.content.decode()
    assert not AssessmentWeights.objects.exists()


@pytest.mark.parametrize("who", ["head1", "head2", "sub1", "w1", "resident", "partner"])
def test_only_civil_affairs_officers_open_the_weights(crew, login, who):
    client = login(getattr(crew, who))
    assert client.get("/workforce/assessment/weights/").status_code == 403
    assert client.post("/workforce/assessment/weights/", WEIGHTS | THRESHOLDS).status_code == 403
    assert not AssessmentWeights.objects.exists()


def test_anonymous_visitors_sign_in_first(crew, client):
    for url in (
        "/workforce/assessment/",
        "/workforce/assessment/weights/",
        "/workforce/assessment/mine/",
        f"/workforce/assessment/{YEAR}/",
        f"/workforce/assessment/{YEAR}/{crew.p1.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(f"/workforce/assessment/{YEAR}/{crew.p1.pk}/rate/", {"rating": 10})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Assessment.objects.exists()


# --- a manager's year ----------------------------------------------------------------------------
def test_a_manager_lists_their_workers_for_a_year_with_scores_and_rating_inputs(crew, login):
    assessment_run(year=YEAR)
    _final(crew, crew.ps1)
    client = login(crew.head1)
    assert client.get("/workforce/assessment/").headers["Location"] == f"/workforce/assessment/{YEAR}/"
    page = client.get(f"/workforce/assessment/{YEAR}/", **ENGLISH).content.decode()
    for worker in (crew.p1, crew.p1b, crew.ps1):
        assert f"/workforce/assessment/{YEAR}/{worker.pk}/" in page
    # Not another community's worker, nor the head themselves.
    assert f"/{crew.p2.pk}/" not in page and f"/{crew.ph1.pk}/" not in page
    assert page.count('name="finalise"') == 2 and "Final" in page  # the final one has no form
    assert "Casework" in page and "Draft" in page


def test_workers_not_yet_assessed_show_what_the_run_would_give(crew, login):
    page = login(crew.head1).get(f"/workforce/assessment/{YEAR}/", **ENGLISH).content.decode()
    assert "not computed yet" in page and f'name="p{crew.p1.pk}-rating"' in page
    assert not Assessment.objects.exists()


def test_the_years_page_costs_the_same_queries_for_more_workers(crew, login, make_user, tree):
    assessment_run(year=YEAR)
    client = login(crew.civil)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/workforce/assessment/{YEAR}/").status_code == 200
    for _ in range(12):
        profile(make_user(Role.GRID_WORKER, tree.g1, mfa=False))
    assessment_run(year=YEAR)
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/workforce/assessment/{YEAR}/").content.decode()
    assert page.count('name="finalise"') == 18
    assert len(many.captured_queries) == len(few.captured_queries)
    # Workers not computed yet get previews, in bulk: the same queries for a few or for all of them.
    Assessment.objects.filter(pk__in=list(Assessment.objects.values_list("pk", flat=True))[::3]).delete()
    with CaptureQueriesContext(connection) as some:
        client.get(f"/workforce/assessment/{YEAR}/")
    Assessment.objects.all().delete()
    with CaptureQueriesContext(connection) as all_of_them:
        assert client.get(f"/workforce/assessment/{YEAR}/", **ENGLISH).content.decode().count("not computed yet") == 18
    assert len(some.captured_queries) == len(all_of_them.captured_queries)


def test_the_years_page_is_paginated(crew, login, make_user, tree):
    for _ in range(20):
        profile(make_user(Role.GRID_WORKER, tree.g1, mfa=False))
    client = login(crew.civil)
    first = client.get(f"/workforce/assessment/{YEAR}/").content.decode()
    second = client.get(f"/workforce/assessment/{YEAR}/?page=2").content.decode()
    assert first.count('name="finalise"') == 20 and second.count('name="finalise"') == 6


def test_another_communitys_head_sees_only_their_own_workers_for_the_year(crew, login):
    assessment_run(year=YEAR)
    page = login(crew.head2).get(f"/workforce/assessment/{YEAR}/", **ENGLISH).content.decode()
    assert f"/workforce/assessment/{YEAR}/{crew.p2.pk}/" in page
    for other in (crew.p1, crew.p1b, crew.ps1, crew.ph1):
        assert f"/workforce/assessment/{YEAR}/{other.pk}/" not in page


@pytest.mark.parametrize("who", ["w1", "staff1", "resident", "partner"])
def test_only_managers_open_a_year(crew, login, who):
    assert login(getattr(crew, who)).get(f"/workforce/assessment/{YEAR}/").status_code == 403


def test_a_year_not_begun_or_long_gone_is_not_found(crew, login):
    client = login(crew.head1)
    assert client.get(f"/workforce/assessment/{YEAR + 2}/").status_code == 404
    assert client.get("/workforce/assessment/1999/").status_code == 404


# --- rating --------------------------------------------------------------------------------------
def test_a_manager_rates_from_the_year_and_finalises(crew, login):
    client = login(crew.head1)
    url = f"/workforce/assessment/{YEAR}/{crew.p1.pk}/rate/"
    response = client.post(url, {f"p{crew.p1.pk}-rating": 85, "back": "year", "page": 1})
    assert response.status_code == 302
    assert response["Location"] == f"/workforce/assessment/{YEAR}/?page=1#worker-{crew.p1.pk}"
    found = Assessment.objects.get(profile=crew.p1, year=YEAR)
    assert found.manager_rating == 85 and found.status == "draft"
    assert AuditEvent.objects.filter(action="workforce.assessment_rate", actor=crew.head1).count() == 1
    response = client.post(url, {"rating": 90, "finalise": "1"}, follow=True, **ENGLISH)
    assert "assessment is final" in response.content.decode()
    found.refresh_from_db()
    assert found.status == "final" and found.manager_rating == 90
    assert AuditEvent.objects.filter(action="workforce.assessment_finalise", actor=crew.head1).count() == 1
    # Final: no form any more, and a further rating is refused with a message.
    page = client.get(f"/workforce/assessment/{YEAR}/{crew.p1.pk}/", **ENGLISH).content.decode()
    assert 'name="rating"' not in page
    response = client.post(url, {"rating": 10}, follow=True, **ENGLISH)
    assert "no longer changes" in response.content.decode()
    found.refresh_from_db()
    assert found.manager_rating == 90


@pytest.mark.parametrize(
    ("rating", "message"),
    [
        ("", "This field is required."),
        ("101", "less than or equal to 100"),
        ("-3", "greater than or equal to 0"),
        ("good", "Enter a whole number."),
    ],
)
def test_a_bad_rating_says_why_and_changes_nothing(crew, login, rating, message):
    client = login(crew.head1)
    response = client.post(
        f"/workforce/assessment/{YEAR}/{crew.p1.pk}/rate/", {"rating": rating}, follow=True, **ENGLISH
    )
    assert response.status_code == 200
    with translation.override("en"):
        assert message in response.content.decode()
    assert not Assessment.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="workforce.assessment").exists()


def test_finalising_this_year_says_to_wait(crew, login):
    client = login(crew.head1)
    year = YEAR + 1
    response = client.post(
        f"/workforce/assessment/{year}/{crew.p1.pk}/rate/", {"rating": 80, "finalise": "1"}, follow=True, **ENGLISH
    )
    assert "once the year is over" in response.content.decode()
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("who", [*OUTSIDERS, "w1", "staff1"])
def test_outsiders_cannot_rate(crew, login, who):
    response = login(getattr(crew, who)).post(f"/workforce/assessment/{YEAR}/{crew.p1.pk}/rate/", {"rating": 100})
    assert response.status_code == 404
    assert not Assessment.objects.exists()


# --- one worker's assessment ---------------------------------------------------------------------
def test_the_worker_reads_their_assessment_only_once_final(crew, login):
    assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR, rating=70)
    client = login(crew.w1)
    url = f"/workforce/assessment/{YEAR}/{crew.p1.pk}/"
    assert client.get(url).status_code == 404
    assert 'id="assessment-' not in client.get("/workforce/assessment/mine/").content.decode()
    _final(crew, crew.p1, 72)
    page = client.get(url, **ENGLISH).content.decode()
    assert "Where the scores come from" in page and "<dd>72</dd>" in page and 'name="rating"' not in page
    mine = client.get("/workforce/assessment/mine/", **ENGLISH).content.decode()
    assert f'id="assessment-{YEAR}"' in mine and "72" in mine
    assert client.get("/workforce/assessment/").headers["Location"] == "/workforce/assessment/mine/"
    # And on their profile page.
    profile_page = client.get(f"/workforce/{crew.p1.pk}/", **ENGLISH).content.decode()
    assert 'id="worker-assessments"' in profile_page and f"/workforce/assessment/{YEAR}/{crew.p1.pk}/" in profile_page


def test_the_manager_reads_the_assessment_explained_with_the_rating_form(crew, login):
    assessment_run(year=YEAR)
    page = login(crew.head1).get(f"/workforce/assessment/{YEAR}/{crew.p1.pk}/", **ENGLISH).content.decode()
    assert "Requests resolved" in page and 'name="rating"' in page and "Elderly visits" in page
    profile_page = login(crew.head1).get(f"/workforce/{crew.p1.pk}/", **ENGLISH).content.decode()
    assert 'id="worker-assessments"' in profile_page and "Draft" in profile_page


@pytest.mark.parametrize("who", [*OUTSIDERS, "staff1"])
def test_outsiders_get_404_on_a_workers_assessment(crew, login, who):
    _final(crew, crew.p1)
    client = login(getattr(crew, who))
    assert client.get(f"/workforce/assessment/{YEAR}/{crew.p1.pk}/").status_code == 404


def test_another_worker_does_not_see_a_colleagues_final_assessment_anywhere(crew, login):
    _final(crew, crew.p1, 77)
    client = login(crew.w1b)
    assert client.get(f"/workforce/assessment/{YEAR}/{crew.p1.pk}/").status_code == 404
    mine = client.get("/workforce/assessment/mine/", **ENGLISH).content.decode()
    assert "No final assessment yet." in mine and str(crew.p1) not in mine


@pytest.mark.parametrize("who", ["resident", "partner"])
def test_people_who_are_not_workers_have_no_assessments_page(crew, login, who):
    client = login(getattr(crew, who))
    assert client.get("/workforce/assessment/mine/").status_code == 403
    assert client.get("/workforce/assessment/").status_code == 403


def test_a_workers_own_page_costs_the_same_queries_for_more_years(crew, login):
    _final(crew, crew.p1)
    client = login(crew.w1)
    with CaptureQueriesContext(connection) as one:
        client.get("/workforce/assessment/mine/")
    for year in (YEAR - 1, YEAR - 2, YEAR - 3):
        assessment_rate(actor=crew.head1, profile=crew.p1, year=year, rating=60, finalise=True)
    with CaptureQueriesContext(connection) as four:
        page = client.get("/workforce/assessment/mine/").content.decode()
    assert page.count('id="assessment-') == 4
    assert len(four.captured_queries) == len(one.captured_queries)
