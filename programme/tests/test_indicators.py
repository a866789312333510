"""The computed indicators: each built from known data made through the real services (timestamps
moved back where a test cannot wait for the clock), checked to the exact value, None when there is
nothing to measure, a neighbouring community's data kept out, the period respected, and the number
of queries independent of the number of communities."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directory.models import Area
from exchange.services import exchange_job_request, exchange_job_run
from exchange.tests.conftest import active, datasets, draft, parties  # noqa: F401 (fixtures)
from participation.models import Proposal, VolunteerActivity
from participation.proposals import proposal_answer, proposal_create, proposal_support, proposal_threshold_set
from participation.tests.poll_helpers import verified_resident
from participation.tests.volunteering_support import held, make_activity
from participation.volunteering import volunteer_hours_confirm, volunteer_sign_up
from programme.indicators import COMPUTATIONS, Measured, computation_choices, compute
from programme.models import Indicator, IndicatorGroup
from residents.models import ResidentProfile
from residents.services import resident_move_out
from security.alerts import AlertKind, alert_raise
from security.models import Role, SecurityAlert
from security.services import role_grant
from services import services as steps
from services.models import ServiceRequest
from tests.factories import AreaFactory, HouseholdFactory, ResidentFactory, UserFactory, valid_id_card
from workforce.models import Post
from workforce.models_visits import Visit
from workforce.tests.helpers import profile
from workforce.training import completion_record, course_create, enrol
from workforce.visits import visit_record

pytestmark = pytest.mark.django_db
LONG_AGO = timedelta(days=100)


def today():
    return timezone.localdate()


def this_week(key, tree):
    return compute(key, communities=[tree.c1, tree.c2], start=today() - timedelta(days=6), end=today())


def weeks_ago(key, tree):
    """A period well before anything the test made 'now'."""
    return compute(
        key, communities=[tree.c1, tree.c2], start=today() - timedelta(days=60), end=today() - timedelta(days=30)
    )


def values(results):
    return {pk: measured.value for pk, measured in results.items()}


# --- the registry --------------------------------------------------------------------------------
def test_the_registry_names_nine_computations_in_order_with_their_defaults():
    assert list(COMPUTATIONS) == [
        "requests_on_time",
        "satisfaction",
        "verified_per_household",
        "proposals_answered_on_time",
        "volunteer_hours",
        "visit_coverage",
        "training_completion",
        "datasets_shared",
        "security_incidents",
    ]
    assert [key for key, _label in computation_choices()] == list(COMPUTATIONS)
    for computation in COMPUTATIONS.values():
        assert computation.group in IndicatorGroup.values
        assert computation.direction in Indicator.Direction.values
        assert computation.target >= 0
    assert COMPUTATIONS["requests_on_time"].target == Decimal(90)
    assert COMPUTATIONS["satisfaction"].target == Decimal("4.5")
    incidents = COMPUTATIONS["security_incidents"]
    assert (incidents.direction, incidents.target) == (Indicator.Direction.LOWER, Decimal(0))


def test_an_unknown_key_is_refused_and_no_community_is_no_result(tree):
    with pytest.raises(KeyError):
        compute("nonsense", communities=[tree.c1], start=today(), end=today())
    assert compute("requests_on_time", communities=[], start=today(), end=today()) == {}


# --- services ------------------------------------------------------------------------------------
def resolved(request, worker, *, late=False, rating=None, rater=None):
    steps.request_accept(request=request, actor=worker)
    steps.request_assign(request=request, actor=worker, assignee=worker)
    steps.request_start(request=request, actor=worker)
    steps.request_resolve(request=request, actor=worker, note="修好了")
    if late:  # its deadline had passed an hour before it was resolved
        ServiceRequest.objects.filter(pk=request.pk).update(resolve_due_at=F("resolved_at") - timedelta(hours=1))
    if rating:
        request.refresh_from_db()
        steps.request_rate(request=request, actor=rater, score=rating)
    return request


def test_requests_on_time_and_satisfaction_count_the_requests_resolved_in_the_period(file_request, people, tree):
    resident = people.resident
    resolved(file_request(), people.worker, rating=5, rater=resident)
    resolved(file_request(), people.worker, late=True, rating=4, rater=resident)
    resolved(file_request(grid=tree.g1b), people.worker_g1b)  # another grid of C1, not rated
    file_request()  # still open: not counted
    old = resolved(file_request(), people.worker, rating=1, rater=resident)
    ServiceRequest.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=40))
    resolved(file_request(grid=tree.g2), people.worker_g2, rating=2, rater=resident)

    on_time = this_week("requests_on_time", tree)
    assert on_time[tree.c1.pk] == Measured(Decimal("66.67"), {"resolved": 3, "on_time": 2})
    assert on_time[tree.c2.pk] == Measured(Decimal("100.00"), {"resolved": 1, "on_time": 1})
    rating = this_week("satisfaction", tree)
    assert rating[tree.c1.pk] == Measured(Decimal("4.50"), {"rated": 2, "rating_sum": 9})
    assert rating[tree.c2.pk].value == Decimal("2.00")

    # Forty days ago only the old one was resolved (on time, rated 1); C2 had nothing to measure.
    assert values(weeks_ago("requests_on_time", tree)) == {tree.c1.pk: Decimal("100.00"), tree.c2.pk: None}
    assert values(weeks_ago("satisfaction", tree)) == {tree.c1.pk: Decimal("1.00"), tree.c2.pk: None}


def test_a_community_without_requests_has_nothing_to_measure(tree):
    assert values(this_week("requests_on_time", tree)) == {tree.c1.pk: None, tree.c2.pk: None}
    assert values(this_week("satisfaction", tree)) == {tree.c1.pk: None, tree.c2.pk: None}


# --- the register --------------------------------------------------------------------------------
def test_verified_residents_per_household_as_the_register_stood_at_the_period_end(tree, people, make_user):
    verified_resident(tree.g1)  # a household of its own, its account verified by household number now
    shared = HouseholdFactory(grid=tree.g1b)
    ResidentFactory(household=shared)
    ResidentFactory(household=shared, user=UserFactory())  # linked when registered
    leaving = ResidentFactory(household=HouseholdFactory(grid=tree.g1))
    ResidentFactory(household=HouseholdFactory(grid=tree.g2))  # C2: one household, nobody verified
    ResidentProfile.objects.update(created_at=timezone.now() - LONG_AGO)
    resident_move_out(actor=people.community, profile=leaving, on=today())

    now = this_week("verified_per_household", tree)
    assert now[tree.c1.pk] == Measured(Decimal("1.00"), {"verified": 2, "households": 2})
    assert now[tree.c2.pk] == Measured(Decimal("0.00"), {"verified": 0, "households": 1})

    # Yesterday the leaver still lived here and the household-number verification was not yet made.
    yesterday = compute(
        "verified_per_household",
        communities=[tree.c1, tree.c2],
        start=today() - timedelta(days=7),
        end=today() - timedelta(days=1),
    )
    assert yesterday[tree.c1.pk] == Measured(Decimal("0.33"), {"verified": 1, "households": 3})
    # Before anyone was entered in the register there is nothing to measure.
    assert values(
        compute(
            "verified_per_household", communities=[tree.c1], start=today(), end=today() - LONG_AGO - timedelta(days=1)
        )
    ) == {tree.c1.pk: None}


# --- proposals -----------------------------------------------------------------------------------
def _reached(author, supporter, title):
    proposal = proposal_create(actor=author, title=title, body="小区东门附近需要充电桩", category="facilities")
    proposal_support(actor=supporter, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.answer_due_at is not None
    return proposal


def test_proposals_answered_on_time_count_the_answers_that_fell_due_in_the_period(tree, make_user):
    staff_c1, staff_c2 = make_user(Role.COMMUNITY_STAFF, tree.c1), make_user(Role.COMMUNITY_STAFF, tree.c2)
    a, b = verified_resident(tree.g1), verified_resident(tree.g1b)
    e, f = verified_resident(tree.g2), verified_resident(tree.g2)
    proposal_threshold_set(actor=staff_c1, community=tree.c1, threshold=1)
    proposal_threshold_set(actor=staff_c2, community=tree.c2, threshold=1)
    on_time = _reached(a, b, "一")
    proposal_answer(actor=staff_c1, proposal=on_time, accepted=False, answer="经费不足")
    late = _reached(b, a, "二")
    Proposal.objects.filter(pk=late.pk).update(answer_due_at=timezone.now() - timedelta(hours=1))
    proposal_answer(actor=staff_c1, proposal=late, accepted=False, answer="不在本社区职责内")
    _reached(a, b, "三")  # its 15 days still run: not yet missed
    missed = _reached(b, a, "四")
    Proposal.objects.filter(pk=missed.pk).update(answer_due_at=timezone.now() - timedelta(hours=2))
    elsewhere = _reached(e, f, "五")
    proposal_answer(actor=staff_c2, proposal=elsewhere, accepted=False, answer="已有安排")

    # The period runs over the next 20 days, so the first answers fall due in it.
    results = compute(
        "proposals_answered_on_time", communities=[tree.c1, tree.c2], start=today(), end=today() + timedelta(days=20)
    )
    assert results[tree.c1.pk] == Measured(Decimal("33.33"), {"due": 3, "on_time": 1})
    assert results[tree.c2.pk] == Measured(Decimal("100.00"), {"due": 1, "on_time": 1})
    assert values(weeks_ago("proposals_answered_on_time", tree)) == {tree.c1.pk: None, tree.c2.pk: None}


# --- volunteering --------------------------------------------------------------------------------
def test_volunteer_hours_per_resident_count_confirmed_hours_of_activities_in_the_period(tree, make_user):
    staff_c1, staff_c2 = make_user(Role.COMMUNITY_STAFF, tree.c1), make_user(Role.COMMUNITY_STAFF, tree.c2)
    a, b, c = verified_resident(tree.g1), verified_resident(tree.g1b), verified_resident(tree.g1)
    e = verified_resident(tree.g2)
    ResidentProfile.objects.update(created_at=timezone.now() - LONG_AGO)

    activity = make_activity(actor=staff_c1, area=tree.c1, hours=4)
    signups = {person: volunteer_sign_up(user=person, activity=activity) for person in (a, b, c)}
    held(activity)
    volunteer_hours_confirm(actor=staff_c1, signup=signups[a], hours="2.5")
    volunteer_hours_confirm(actor=staff_c1, signup=signups[b], hours="1.5")  # c's hours not confirmed
    earlier = make_activity(actor=staff_c1, area=tree.c1, hours=3)
    old = volunteer_sign_up(user=a, activity=earlier)
    held(earlier)
    volunteer_hours_confirm(actor=staff_c1, signup=old, hours="3")
    VolunteerActivity.objects.filter(pk=earlier.pk).update(
        starts_at=F("starts_at") - timedelta(days=40), ends_at=F("ends_at") - timedelta(days=40)
    )
    other = make_activity(actor=staff_c2, area=tree.c2, hours=4)
    theirs = volunteer_sign_up(user=e, activity=other)
    held(other)
    volunteer_hours_confirm(actor=staff_c2, signup=theirs, hours="3")

    results = this_week("volunteer_hours", tree)
    assert results[tree.c1.pk] == Measured(Decimal("1.33"), {"hours": "4.0", "residents": 3})
    assert results[tree.c2.pk] == Measured(Decimal("3.00"), {"hours": "3.0", "residents": 1})
    assert values(weeks_ago("volunteer_hours", tree)) == {tree.c1.pk: Decimal("1.00"), tree.c2.pk: Decimal("0.00")}


def test_volunteer_hours_with_no_resident_have_nothing_to_measure(tree):
    assert values(this_week("volunteer_hours", tree)) == {tree.c1.pk: None, tree.c2.pk: None}


# --- visits --------------------------------------------------------------------------------------
def test_visit_coverage_is_the_share_of_elderly_living_alone_visited_in_the_period(tree, people, make_user):
    def alone(grid, **fields):
        return ResidentFactory(household=HouseholdFactory(grid=grid), lives_alone=True, **fields)

    visited, visited_long_ago, never = alone(tree.g1), alone(tree.g1b), alone(tree.g1)  # born 1950
    died = alone(tree.g1)
    alone(tree.g1, id_card_number=valid_id_card(900, birth="19900101"))  # living alone, not elderly
    ResidentFactory(household=HouseholdFactory(grid=tree.g1))  # elderly, not alone
    theirs = alone(tree.g2)
    ResidentProfile.objects.update(created_at=timezone.now() - LONG_AGO)
    yesterday = today() - timedelta(days=1)
    visit_record(actor=people.worker, resident=visited, visited_on=yesterday, mode="in_person", condition="good")
    old = visit_record(
        actor=people.worker_g1b, resident=visited_long_ago, visited_on=today(), mode="phone", condition="good"
    )
    Visit.objects.filter(pk=old.pk).update(visited_on=today() - timedelta(days=40))
    visit_record(actor=people.worker, resident=died, visited_on=yesterday, mode="in_person", condition="poor")
    ResidentProfile.objects.filter(pk=died.pk).update(died_on=yesterday)
    visit_record(actor=people.worker_g2, resident=theirs, visited_on=today(), mode="in_person", condition="good")
    assert never.visits.count() == 0

    results = this_week("visit_coverage", tree)
    assert results[tree.c1.pk] == Measured(Decimal("33.33"), {"alone_elderly": 3, "visited": 1})
    assert results[tree.c2.pk] == Measured(Decimal("100.00"), {"alone_elderly": 1, "visited": 1})
    # Weeks ago the one who died yesterday was still alive, and only one of the four had a visit then.
    earlier = weeks_ago("visit_coverage", tree)
    assert earlier[tree.c1.pk] == Measured(Decimal("25.00"), {"alone_elderly": 4, "visited": 1})
    assert earlier[tree.c2.pk].value == Decimal("0.00")


def test_visit_coverage_with_nobody_on_the_roster_has_nothing_to_measure(tree):
    assert values(this_week("visit_coverage", tree)) == {tree.c1.pk: None, tree.c2.pk: None}


# --- training ------------------------------------------------------------------------------------
def test_training_completion_is_the_share_of_required_courses_passed(tree, make_user):
    civil = make_user(Role.CIVIL_AFFAIRS_OFFICER, tree.d)
    w1 = profile(make_user(Role.GRID_WORKER, tree.g1))
    head = profile(make_user(Role.COMMUNITY_STAFF, tree.c1), post=Post.HEAD, level=7, is_head=True)
    gone = profile(make_user(Role.GRID_WORKER, tree.g1b))
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    w2 = profile(make_user(Role.GRID_WORKER, tree.g2))
    first_aid = course_create(actor=civil, title="急救", kind="online", required_posts=[Post.OTHER, Post.HEAD])
    law = course_create(actor=civil, title="法律", kind="online", required_posts=[Post.HEAD])
    course_create(actor=civil, title="书法", kind="online")  # required of nobody

    def complete(worker, course, score):
        completion_record(actor=civil, enrolment=enrol(actor=worker.user, course=course), score=score)

    complete(w1, first_aid, 80)
    complete(head, first_aid, 50)  # failed
    complete(head, law, 90)
    complete(w2, law, 90)  # not required of an ordinary worker

    results = this_week("training_completion", tree)
    assert results[tree.c1.pk] == Measured(Decimal("66.67"), {"workers": 2, "required": 3, "passed": 2})
    assert results[tree.c2.pk] == Measured(Decimal("0.00"), {"workers": 1, "required": 1, "passed": 0})
    # Before the courses were set, nothing was required.
    assert values(weeks_ago("training_completion", tree)) == {tree.c1.pk: None, tree.c2.pk: None}


def test_a_worker_serving_two_communities_counts_in_both(tree, make_user):
    civil = make_user(Role.CIVIL_AFFAIRS_OFFICER, tree.d)
    worker = profile(make_user(Role.GRID_WORKER, tree.g1))
    role_grant(user=worker.user, role=Role.GRID_WORKER, area=tree.g2)
    role_grant(user=worker.user, role=Role.GRID_WORKER, area=tree.g1b)  # a second grid of C1: still one worker
    first_aid = course_create(actor=civil, title="急救", kind="online", required_posts=[Post.OTHER])
    completion_record(actor=civil, enrolment=enrol(actor=worker.user, course=first_aid), score=60)

    expected = Measured(Decimal("100.00"), {"workers": 1, "required": 1, "passed": 1})
    assert this_week("training_completion", tree) == {tree.c1.pk: expected, tree.c2.pk: expected}


# --- data sharing --------------------------------------------------------------------------------
def run(agreement, officer):
    return exchange_job_run(job_id=exchange_job_request(actor=officer, agreement=agreement).pk)


def test_datasets_shared_count_exchanges_under_agreements_covering_it(tree, residents, active, parties):  # noqa: F811
    subdistrict = active(areas=[tree.s1])  # covers C1
    grid = active(areas=[tree.g2])  # covers C2 through one of its grids
    for agreement, times in ((subdistrict, 2), (grid, 1)):
        for _time in range(times):
            assert run(agreement, parties.consumer_officer) is not None

    results = this_week("datasets_shared", tree)
    assert results[tree.c1.pk] == Measured(Decimal(2), {"exchanges": 2, "records": 4, "agreements": 1})
    assert results[tree.c2.pk] == Measured(Decimal(1), {"exchanges": 1, "records": 1, "agreements": 1})
    assert values(weeks_ago("datasets_shared", tree)) == {tree.c1.pk: Decimal(0), tree.c2.pk: Decimal(0)}


def test_a_district_wide_agreement_covers_every_community(tree, residents, active, parties):  # noqa: F811
    assert run(active(areas=[tree.d]), parties.consumer_officer) is not None

    results = this_week("datasets_shared", tree)
    assert results[tree.c1.pk] == Measured(Decimal(1), {"exchanges": 1, "records": 3, "agreements": 1})
    assert results[tree.c2.pk] == Measured(Decimal(1), {"exchanges": 1, "records": 3, "agreements": 1})


# --- security ------------------------------------------------------------------------------------
def test_security_incidents_count_the_alerts_about_the_community_in_the_period(tree):
    alert_raise(kind=AlertKind.MASS_REVEAL, summary="many reveals", area=tree.g1)
    alert_raise(kind=AlertKind.REVEAL_OUT_OF_HOURS, summary="at night", area=tree.c1)
    alert_raise(kind=AlertKind.CHAIN_CHECK_FAILED, summary="audit chain", area=tree.c1)
    alert_raise(kind=AlertKind.SIGN_IN_BURST_ADDRESS, summary="burst", area=tree.s1)  # a wider area
    alert_raise(kind=AlertKind.CHAIN_CHECK_FAILED, summary="district")  # the whole district
    old = alert_raise(kind=AlertKind.MASS_EXPORT, summary="exports", area=tree.g1b)
    SecurityAlert.objects.filter(pk=old.pk).update(raised_at=timezone.now() - timedelta(days=40))

    results = this_week("security_incidents", tree)
    assert results[tree.c1.pk] == Measured(Decimal(3), {"alerts": 3, "chain_checks_failed": 1})
    assert results[tree.c2.pk] == Measured(Decimal(0), {"alerts": 0, "chain_checks_failed": 0})
    assert values(weeks_ago("security_incidents", tree)) == {tree.c1.pk: Decimal(1), tree.c2.pk: Decimal(0)}


# --- cost ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", list(COMPUTATIONS))
def test_the_queries_do_not_grow_with_the_number_of_communities(key, tree, people, file_request, make_user):
    resolved(file_request(), people.worker)
    ResidentFactory(household=HouseholdFactory(grid=tree.g1), lives_alone=True)
    profile(people.worker)
    alert_raise(kind=AlertKind.MASS_EXPORT, summary="exports", area=tree.g1)
    few = [tree.c1]
    many = [tree.c1, tree.c2]
    for n in range(6):
        community = AreaFactory(code=f"CX{n}", kind=Area.Kind.COMMUNITY, parent=tree.s2)
        grid = AreaFactory(code=f"GX{n}", kind=Area.Kind.GRID, parent=community)
        resolved(file_request(grid=grid), make_user(Role.GRID_WORKER, grid))
        ResidentFactory(household=HouseholdFactory(grid=grid), lives_alone=True)
        alert_raise(kind=AlertKind.MASS_EXPORT, summary=f"exports {n}", area=grid)
        many.append(community)
    start, end = today() - timedelta(days=6), today()
    with CaptureQueriesContext(connection) as one:
        compute(key, communities=few, start=start, end=end)
    with CaptureQueriesContext(connection) as eight:
        results = compute(key, communities=many, start=start, end=end)
    assert len(results) == 8
    assert len(eight) == len(one) <= 5
