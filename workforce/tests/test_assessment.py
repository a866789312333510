"""The yearly assessment's services: the scores, the weights, a manager's rating, the yearly run and
how final assessments feed the level proposals."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from residents.models import Household, ResidentProfile
from security.models import AuditEvent, Role
from services.models import RequestStatus, ServiceRequest
from workforce import assessment
from workforce.assessment import (
    assessment_rate,
    assessment_run,
    assessment_weights_set,
    component_scores,
    total_and_grade,
)
from workforce.casework import WorkerFigures
from workforce.data_rights import export_worker
from workforce.models import LevelProposal, LevelRules, Post
from workforce.models_assessment import Assessment, AssessmentWeights, Grade
from workforce.models_training import Course, Enrolment
from workforce.models_visits import Visit
from workforce.services import level_proposals_run, level_rules_set, proposed_level
from workforce.tasks import assessment_run_task
from workforce.tests.helpers import profile

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year - 1
WEIGHTS = {"casework": 30, "satisfaction": 20, "visits": 20, "training": 10, "manager": 20}
THRESHOLDS = {"excellent_from": 90, "competent_from": 75, "basic_from": 60}


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def resolve(service, grid, assignee, day, *, late=False, rating=None):
    due = at(day) + (timedelta(hours=-1) if late else timedelta(days=1))
    return ServiceRequest.objects.create(
        service=service,
        description="路灯坏了",
        grid=grid,
        filed_by=assignee,
        status=RequestStatus.RESOLVED,
        assignee=assignee,
        accept_due_at=due,
        resolve_due_at=due,
        resolved_at=at(day),
        rating=rating,
    )


def elder(grid, **flags) -> ResidentProfile:
    """An elderly resident of `grid`, in the register since before the assessed year."""
    home = Household.objects.create(address="幸福路1号", grid=grid)
    person = ResidentProfile.objects.create(household=home, full_name="老人", is_elderly=True, **flags)
    ResidentProfile.objects.filter(pk=person.pk).update(created_at=at(date(YEAR - 1, 6, 1)))
    return person


def busy_year(crew, catalogue, tree):
    """w1: 12 resolved (3 late), rated 4 on average; 6 visits to an elder owed ~12; one required
    course of two passed."""
    for month in range(1, 13):
        resolve(catalogue.repair, tree.g1, crew.w1, date(YEAR, month, 10), late=month <= 3, rating=4)
    person = elder(tree.g1)
    for month in range(1, 7):
        Visit.objects.create(
            resident=person, visitor=crew.w1, visited_on=date(YEAR, month, 2), mode="in_person", condition="good"
        )
    first = Course.objects.create(
        title="急救", kind=Course.Kind.ONLINE, created_by=crew.civil, required_posts=[Post.OTHER]
    )
    Course.objects.create(title="法律", kind=Course.Kind.ONLINE, created_by=crew.civil, required_posts=[Post.OTHER])
    Enrolment.objects.create(course=first, profile=crew.p1, completed_on=date(YEAR, 5, 1), score=80)


# --- the scores ----------------------------------------------------------------------------------
def test_each_component_is_scored_as_documented():
    figures = WorkerFigures(resolved=12, resolved_late=3, rated=12, average_rating=Decimal("4.0"), visits=6)
    scores = component_scores(figures, visits_due=12.2, required=2, required_passed=1, manager_rating=80)
    # casework: 50 × 12/24 + 50 × 9/12; satisfaction 4/5; visits 6/12.2; training 1/2.
    assert scores == {"casework": 63, "satisfaction": 80, "visits": 49, "training": 50, "manager": 80}
    # Nothing resolved: nothing late, none done; no rating, nobody due, no required course: left out.
    empty = component_scores(WorkerFigures(), visits_due=0.4, required=0, required_passed=0, manager_rating=None)
    assert empty == {"casework": 50, "satisfaction": None, "visits": None, "training": None, "manager": None}
    # More than due is still full marks.
    assert (
        component_scores(WorkerFigures(visits=40), visits_due=12, required=0, required_passed=0, manager_rating=None)[
            "visits"
        ]
        == 100
    )


def test_the_total_shares_a_missing_components_weight_and_the_thresholds_grade_it():
    weights = AssessmentWeights()
    scores = {"casework": 63, "satisfaction": 80, "visits": 49, "training": 50, "manager": 80}
    # (30×63 + 20×80 + 20×49 + 10×50 + 20×80) / 100 = 65.7
    assert total_and_grade(scores, weights) == (66, Grade.BASIC)
    # Without the rating: (30×63 + 20×80 + 20×49 + 10×50) / 80 = 62.1
    assert total_and_grade(scores | {"manager": None}, weights) == (62, Grade.BASIC)
    assert total_and_grade(dict.fromkeys(scores, 90), weights) == (90, Grade.EXCELLENT)
    assert total_and_grade(dict.fromkeys(scores, 75), weights) == (75, Grade.COMPETENT)
    assert total_and_grade(dict.fromkeys(scores, 59), weights) == (59, Grade.NOT_COMPETENT)


# --- the weights ---------------------------------------------------------------------------------
def test_civil_affairs_officers_set_the_weights_as_a_new_audited_version(crew):
    weights = assessment_weights_set(actor=crew.civil, **(WEIGHTS | {"casework": 40, "training": 0}), **THRESHOLDS)
    assert assessment.weights_in_force() == weights and weights.casework == 40
    event = AuditEvent.objects.get(action="workforce.assessment_weights_set")
    assert event.actor == crew.civil and event.details["casework"] == 40


@pytest.mark.parametrize("who", ["head1", "sub1", "w1"])
def test_only_civil_affairs_officers_set_the_weights(crew, who):
    with pytest.raises(PermissionDenied):
        assessment_weights_set(actor=getattr(crew, who), **WEIGHTS, **THRESHOLDS)
    assert not AssessmentWeights.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"casework": 31},  # 101
        {"manager": 0},  # 80
        {"casework": -5, "manager": 55},
        {"competent_from": 90},  # not below excellent
        {"basic_from": 0},
        {"excellent_from": 101, "casework": 30},
    ],
)
def test_weights_that_do_not_add_up_or_thresholds_out_of_order_are_refused(crew, change):
    values = WEIGHTS | THRESHOLDS | change
    with pytest.raises(ValidationError):
        assessment_weights_set(actor=crew.civil, **values)
    assert (
        not AssessmentWeights.objects.exists()
        and not AuditEvent.objects.filter(action="workforce.assessment_weights_set").exists()
    )


def test_the_database_holds_the_weights_to_100():
    with pytest.raises(IntegrityError), transaction.atomic():
        AssessmentWeights.objects.create(**(WEIGHTS | {"casework": 29}))


# --- the run -------------------------------------------------------------------------------------
def test_the_run_assesses_every_worker_from_their_figures(crew, catalogue, tree):
    busy_year(crew, catalogue, tree)
    assert assessment_run(year=YEAR) == 6
    found = Assessment.objects.get(profile=crew.p1, year=YEAR)
    assert found.status == Assessment.Status.DRAFT and found.manager_rating is None
    assert (found.casework_score, found.satisfaction_score, found.training_score) == (63, 80, 50)
    # The roster's one elder, other elderly: 365/30 ≈ 12.2 visits due, 6 made.
    assert found.figures["visits_due"] == pytest.approx(12.2) and found.figures["visits_done"] == 6
    assert found.visits_score == 49
    assert (found.total, found.grade) == (62, Grade.BASIC)
    assert found.figures["weights"] == WEIGHTS | THRESHOLDS and found.figures["resolved"] == 12
    # A worker with no casework: only casework's nought-resolved half, no grid roster for staff.
    head = Assessment.objects.get(profile=crew.ph1, year=YEAR)
    assert (head.casework_score, head.visits_score, head.total) == (50, None, 50)
    assert AuditEvent.objects.filter(action="workforce.assessment_run", details__year=YEAR).count() == 1


def test_a_grid_shared_by_two_workers_shares_its_visits(crew, tree, make_user):
    elder(tree.g2, lives_alone=True)  # fortnightly: 365/14 ≈ 26.1
    other = make_user(Role.GRID_WORKER, tree.g2, mfa=False)
    profile(other)
    gone = make_user(Role.GRID_WORKER, tree.g2, mfa=False)
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)  # an account closed shares nothing
    assessment_run(year=YEAR)
    assert Assessment.objects.get(profile=crew.p2, year=YEAR).figures["visits_due"] == pytest.approx(13.0, abs=0.1)


def test_rerunning_refreshes_drafts_keeps_ratings_and_never_touches_finals(crew, catalogue, tree):
    assessment_run(year=YEAR)
    assessment_rate(actor=crew.head1, profile=crew.p1b, year=YEAR, rating=70)
    final = assessment_rate(actor=crew.head1, profile=crew.ps1, year=YEAR, rating=95, finalise=True)
    busy_year(crew, catalogue, tree)
    resolve(catalogue.repair, tree.g1b, crew.w1b, date(YEAR, 4, 1), rating=5)
    resolve(catalogue.repair, tree.g1, crew.staff1, date(YEAR, 4, 1), rating=1)

    assert assessment_run(year=YEAR) == 5  # all but the final
    assert assessment_run(year=YEAR) == 5
    assert Assessment.objects.filter(year=YEAR).count() == 6
    rated = Assessment.objects.get(profile=crew.p1b, year=YEAR)
    assert rated.manager_rating == 70 and rated.satisfaction_score == 100 and rated.status == "draft"
    untouched = Assessment.objects.get(pk=final.pk)
    assert untouched.figures == final.figures and untouched.satisfaction_score is None
    assert untouched.updated_at == final.updated_at and untouched.status == "final"


def test_the_run_costs_the_same_queries_for_many_workers(crew, make_user, tree, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assessment_run(year=YEAR)
    for _ in range(15):
        profile(make_user(Role.GRID_WORKER, tree.g1, mfa=False))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert assessment_run(year=YEAR) == 21


def test_the_command_and_the_task_run_it(crew):
    call_command("workforce_assessment_run", "--year", str(YEAR))
    assert Assessment.objects.filter(year=YEAR).count() == 6
    # The beat's call: no argument (last year), and a year survives a JSON round trip.
    assert assessment_run_task(*json.loads(json.dumps([YEAR]))) == 6
    assert assessment_run_task() == 6


def test_the_run_refuses_a_year_not_begun(crew):
    with pytest.raises(ValidationError):
        assessment_run(year=YEAR + 2)


# --- a manager's rating ---------------------------------------------------------------------------
def test_a_manager_rates_and_finalises_with_audit_events(crew):
    draft = assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR, rating=80)
    assert draft.status == "draft" and draft.manager_rating == 80 and draft.rated_by == crew.head1
    # Casework 50 (nothing resolved) and the rating 80, weighted 30 and 20: 62.
    assert draft.total == 62
    event = AuditEvent.objects.get(action="workforce.assessment_rate")
    assert event.actor == crew.head1 and event.details["rating"] == 80 and event.details["year"] == YEAR
    final = assessment_rate(actor=crew.sub1, profile=crew.p1, year=YEAR, rating=90, finalise=True)
    assert final.pk == draft.pk and final.status == "final" and final.finalised_by == crew.sub1
    assert AuditEvent.objects.filter(action="workforce.assessment_finalise", actor=crew.sub1).count() == 1
    with pytest.raises(ValidationError, match="final"):
        assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR, rating=10)
    assert Assessment.objects.get(pk=final.pk).manager_rating == 90


@pytest.mark.parametrize("who", ["head2", "staff1", "w1b", "w1", "resident", "partner"])
def test_only_the_workers_manager_rates_them(crew, who):
    with pytest.raises(PermissionDenied):
        assessment_rate(actor=getattr(crew, who), profile=crew.p1, year=YEAR, rating=80)
    assert not Assessment.objects.exists()


def test_a_head_does_not_rate_themselves(crew):
    with pytest.raises(PermissionDenied):
        assessment_rate(actor=crew.head1, profile=crew.ph1, year=YEAR, rating=100)


@pytest.mark.parametrize("rating", [-1, 101, "80", None, True])
def test_a_rating_out_of_range_is_refused(crew, rating):
    with pytest.raises(ValidationError):
        assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR, rating=rating)
    assert not Assessment.objects.exists()


def test_this_years_assessment_is_finalised_only_once_it_is_over(crew):
    with pytest.raises(ValidationError, match="over"):
        assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR + 1, rating=80, finalise=True)
    assert assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR + 1, rating=80).status == "draft"


# --- the level proposals -------------------------------------------------------------------------
def _final(crew, worker_profile, rating, **scores):
    found = assessment_rate(actor=crew.civil, profile=worker_profile, year=YEAR, rating=rating, finalise=True)
    Assessment.objects.filter(pk=found.pk).update(**scores)
    return found


def test_a_final_not_competent_assessment_withholds_the_rise(crew):
    today = timezone.localdate()
    # w1 (others, joined 2015): the rules give them a rise above level 1.
    earlier = level_proposals_run(today=today)
    assert any(p.profile_id == crew.p1.pk for p in earlier)
    _final(crew, crew.p1, 10, grade=Grade.NOT_COMPETENT)
    assert proposed_level(crew.p1, today=today) == 1
    assert level_proposals_run(today=today) == []
    assert not LevelProposal.objects.filter(profile=crew.p1, status=LevelProposal.Status.PENDING).exists()
    event = AuditEvent.objects.filter(action="workforce.level_run").latest("pk")
    [withheld] = event.details["withheld"]
    assert withheld["profile"] == crew.p1.pk and withheld["reason"] == "assessment_not_competent"
    assert withheld["rule_level"] > 1
    # A draft, or a basic grade, withholds nothing.
    Assessment.objects.filter(profile=crew.p1).update(grade=Grade.BASIC)
    assert proposed_level(crew.p1, today=today) == withheld["rule_level"]


def test_a_final_excellent_assessment_adds_the_levels_set_within_the_band(crew):
    today = timezone.localdate()
    before = proposed_level(crew.p1, today=today)
    _final(crew, crew.p1, 100, grade=Grade.EXCELLENT)
    level_rules_set(actor=crew.civil, step_excellent=2)
    assert LevelRules.objects.get().step_excellent == 2
    assert proposed_level(crew.p1, today=today) == before + 2
    [proposal] = [p for p in level_proposals_run(today=today) if p.profile_id == crew.p1.pk]
    assert proposal.proposed_level == before + 2
    assert proposal.inputs["assessment_grade"] == Grade.EXCELLENT and proposal.inputs["assessment_step"] == 2
    # Never above the band: 31 years of service give a head 7 + 10 = 17, and the two levels stop at 18.
    crew.ph1.date_joined = date(today.year - 31, 1, 1)
    crew.ph1.save()
    assert proposed_level(crew.ph1, today=today) == 17
    _final(crew, crew.ph1, 100, grade=Grade.EXCELLENT)
    assert proposed_level(crew.ph1, today=today) == 18


# --- data rights ---------------------------------------------------------------------------------
def test_the_workers_export_lists_their_final_assessments_only(crew):
    assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR, rating=80, finalise=True)
    assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR + 1, rating=30)
    exported = export_worker(crew.w1)["assessments"]
    assert [row["year"] for row in exported] == [YEAR] and exported[0]["manager_rating"] == 80
    assert export_worker(crew.w1b)["assessments"] == []


def test_finalising_not_competent_after_the_level_run_withholds_the_pending_rise(crew):
    [proposal] = [p for p in level_proposals_run(today=timezone.localdate()) if p.profile_id == crew.p1.pk]
    # A draft, or a final that is not "not competent", leaves the step waiting.
    assessment_rate(actor=crew.head1, profile=crew.p1b, year=YEAR, rating=100, finalise=True)
    found = assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR, rating=0)
    assert found.grade == Grade.NOT_COMPETENT
    proposal.refresh_from_db()
    assert proposal.status == LevelProposal.Status.PENDING
    assessment_rate(actor=crew.head1, profile=crew.p1, year=YEAR, rating=0, finalise=True)
    proposal.refresh_from_db()
    assert proposal.status == LevelProposal.Status.SUPERSEDED
    event = AuditEvent.objects.get(action="workforce.assessment_finalise", object_id=str(crew.p1.pk))
    assert event.details["level_proposals_withheld"] == 1
    assert LevelProposal.objects.filter(status=LevelProposal.Status.PENDING).exclude(profile=crew.p1).exists()
