from datetime import date, timedelta
from decimal import Decimal

import pytest

from directory.models import Organisation
from programme.models import AcceptanceDecision, ConstructionProject, Milestone
from programme.project_status import Status, project_status, with_status
from tests.factories import AreaFactory, OrganisationFactory, UserFactory

TODAY = date(2026, 6, 15)


@pytest.fixture
def project(db):
    district = AreaFactory()
    return ConstructionProject.objects.create(
        name="智慧门禁",
        area=district,
        department=OrganisationFactory(kind=Organisation.Kind.DEPARTMENT, area=district),
        funding_source="district_budget",
        budget=Decimal("100000"),
        created_by=UserFactory(),
    )


def _both(project):
    """The status from the Python function and from the annotation: they must agree."""
    annotated = with_status(ConstructionProject.objects.filter(pk=project.pk), today=TODAY).get()
    status, delay = project_status(ConstructionProject.objects.get(pk=project.pk), today=TODAY)
    assert annotated.status == status
    return status, delay, annotated


@pytest.mark.parametrize(
    ("milestones", "accepted", "expected", "expected_delay"),
    [
        ([], False, Status.NOT_STARTED, 0),
        ([(10, None)], False, Status.NOT_STARTED, 0),
        ([(-10, None), (10, None)], False, Status.DELAYED, 10),
        ([(-10, -12), (10, None)], False, Status.IN_PROGRESS, 0),
        ([(-30, -29), (-5, None), (-20, None)], False, Status.DELAYED, 20),
        ([(-10, -12), (-5, -1)], False, Status.AWAITING_ACCEPTANCE, 0),
        ([(-10, -12), (-5, -1)], True, Status.ACCEPTED, 0),
    ],
)
def test_status_and_delay_follow_the_milestones(project, milestones, accepted, expected, expected_delay):
    for planned, actual in milestones:
        Milestone.objects.create(
            project=project,
            name="m",
            planned_date=TODAY + timedelta(days=planned),
            actual_date=None if actual is None else TODAY + timedelta(days=actual),
        )
    if accepted:
        project.acceptance_decision = AcceptanceDecision.ACCEPTED
        project.save()
    status, delay, annotated = _both(project)
    assert (status, delay) == (expected, expected_delay)
    assert annotated.milestones_total == len(milestones)
