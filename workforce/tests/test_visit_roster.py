"""Who is due a visit: the tiers of the rules, ages from birth year and month, the last visit."""

from datetime import date, timedelta

import pytest

from residents.models import Household, ResidentProfile
from workforce.models_visits import LastVisit, Visit, VisitRules
from workforce.visit_selectors import overdue, roster

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 7)


@pytest.fixture
def home(tree):
    return Household.objects.create(address="幸福路1号", grid=tree.g1)


def person(home, name, **fields):
    return ResidentProfile.objects.create(household=home, full_name=name, **fields)


def visit(resident, user, days_ago):
    return Visit.objects.create(
        resident=resident, visitor=user, visited_on=TODAY - timedelta(days=days_ago), mode="in_person", condition="good"
    )


def test_the_roster_holds_the_elderly_and_those_alone_and_gives_each_their_interval(home, make_user, tree):
    alone_81 = person(home, "独居八旬", lives_alone=True, birth_year=1945, birth_month=12)
    alone_79 = person(home, "独居七旬", lives_alone=True, birth_year=1947, birth_month=1)
    by_age = person(home, "六十五", birth_year=1961, birth_month=5)
    flagged = person(home, "老人", is_elderly=True)
    person(home, "年轻人", birth_year=1990, birth_month=1)
    person(home, "搬走", is_elderly=True, moved_out_on=TODAY)
    listed = {r.pk: r.interval_days for r in roster(ResidentProfile.objects.all(), today=TODAY)}
    assert listed == {alone_81.pk: 7, alone_79.pk: 14, by_age.pk: 30, flagged.pk: 30}


def test_overdue_counts_from_the_last_visit_by_each_residents_interval(home, make_user, tree):
    worker = make_user("grid_worker", tree.g1)
    alone_81 = person(home, "独居八旬", lives_alone=True, birth_year=1940, birth_month=1)
    other = person(home, "老人", is_elderly=True)
    visit(alone_81, worker, 8)
    visit(other, worker, 8)
    late = list(overdue(ResidentProfile.objects.all(), today=TODAY))
    assert late == [alone_81]
    assert late[0].last_visited_on == TODAY - timedelta(days=8)
    assert late[0].due_on == TODAY - timedelta(days=1)
    visit(alone_81, worker, 0)
    assert list(overdue(ResidentProfile.objects.all(), today=TODAY)) == []


def test_rules_set_by_civil_affairs_change_who_is_overdue(home, make_user, tree):
    worker = make_user("grid_worker", tree.g1)
    other = person(home, "老人", is_elderly=True)
    visit(other, worker, 20)
    assert list(overdue(ResidentProfile.objects.all(), today=TODAY)) == []
    VisitRules.objects.create(days_other=14)
    assert list(overdue(ResidentProfile.objects.all(), today=TODAY)) == [other]


def test_never_visited_is_counted_from_entering_the_register(home):
    newcomer = person(home, "新来", is_elderly=True)
    assert list(overdue(ResidentProfile.objects.all())) == []
    ResidentProfile.objects.filter(pk=newcomer.pk).update(created_at=newcomer.created_at - timedelta(days=31))
    assert list(overdue(ResidentProfile.objects.all())) == [newcomer]


def test_the_last_visit_kept_by_the_database_only_moves_forward(home, make_user, tree):
    worker = make_user("grid_worker", tree.g1)
    elder = person(home, "老人", is_elderly=True)
    visit(elder, worker, 3)
    visit(elder, worker, 10)  # an older visit written late does not move it back
    assert LastVisit.objects.get(resident=elder).visited_on == TODAY - timedelta(days=3)
    visit(elder, worker, 1)
    assert LastVisit.objects.get(resident=elder).visited_on == TODAY - timedelta(days=1)
