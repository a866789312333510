"""The demo's year of visits: demo_grid's elderly, some overdue, written once (a second build adds
nothing and records no audit event)."""

import pytest

from demo.workforce import build_demo_visits
from residents.models import ResidentProfile
from security.models import AuditEvent, Role
from tests.factories import HouseholdFactory, ResidentFactory
from workforce.models_visits import Visit
from workforce.visit_selectors import overdue, roster

pytestmark = pytest.mark.django_db


def test_the_demo_visits_cover_a_year_with_some_overdue_and_a_second_build_adds_nothing(make_user, tree):
    make_user(Role.GRID_WORKER, tree.g1, username="demo_grid")
    for _ in range(4):
        ResidentFactory(household=HouseholdFactory(grid=tree.g1))
    ResidentFactory(household=HouseholdFactory(grid=tree.g2))
    events = AuditEvent.objects.count()
    build_demo_visits()
    in_grid = ResidentProfile.objects.filter(household__grid=tree.g1)
    assert set(Visit.objects.values_list("resident_id", flat=True)) == set(in_grid.values_list("pk", flat=True))
    assert 0 < overdue(in_grid).count() < roster(in_grid).count()
    assert Visit.objects.filter(resident=in_grid.first()).count() >= 10  # about monthly for a year
    made = Visit.objects.count()
    build_demo_visits()
    assert Visit.objects.count() == made and AuditEvent.objects.count() == events
