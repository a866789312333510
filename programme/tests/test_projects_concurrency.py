"""Parallel spending entries never take a project over its approved budget: each thread has its own
database connection and transaction, and they start together."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from programme.models import ConstructionProject, ProjectSpend
from programme.projects import spend_record
from programme.tests.test_projects_setup import days, pdf, register
from security.models import AuditEvent


def _spend_in_parallel(project, actor, amounts):
    barrier = threading.Barrier(len(amounts))
    outcomes = [None] * len(amounts)

    def spend(index, amount):
        try:
            barrier.wait(timeout=30)
            spend_record(
                actor=actor,
                project=ConstructionProject.objects.get(pk=project.pk),
                amount=amount,
                spent_on=days(0),
                purpose=f"第{index}笔",
                document=pdf(),
            )
            outcomes[index] = "ok"
        except ValidationError as exc:
            outcomes[index] = exc.message_dict["amount"][0]
        finally:
            connection.close()

    threads = [threading.Thread(target=spend, args=(i, amount)) for i, amount in enumerate(amounts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_parallel_spends_never_exceed_the_budget(tree, orgs, people, round_):
    project = register(people.subdistrict, tree.s1, [tree.c1], orgs.dept, budget="100000.00")
    # Six entries of 30,000 against 100,000: exactly three fit, whichever comes first.
    outcomes = _spend_in_parallel(project, people.subdistrict, ["30000.00"] * 6)
    project.refresh_from_db()
    assert outcomes.count("ok") == 3
    assert all("¥10,000.00" in outcome for outcome in outcomes if outcome != "ok")
    assert project.spent == Decimal("90000.00")
    assert sum(ProjectSpend.objects.filter(project=project).values_list("amount", flat=True)) == project.spent
    assert AuditEvent.objects.filter(action="programme.spend_record").count() == 3


@pytest.mark.django_db(transaction=True)
def test_parallel_spends_of_different_sizes_fill_the_budget_exactly_when_they_fit(tree, orgs, people):
    project = register(people.subdistrict, tree.s1, [tree.c1], orgs.dept, budget="1000.00")
    amounts = ["600.00", "400.00", "700.00", "300.00"]
    outcomes = _spend_in_parallel(project, people.subdistrict, amounts)
    project.refresh_from_db()
    accepted = [Decimal(a) for a, outcome in zip(amounts, outcomes, strict=True) if outcome == "ok"]
    assert project.spent == sum(accepted) <= Decimal("1000.00")
    # Whatever the order, a refused entry did not fit in what was left when its turn came, and what is
    # left at the end is smaller than every refused entry.
    left = project.budget - project.spent
    assert all(Decimal(a) > left for a, outcome in zip(amounts, outcomes, strict=True) if outcome != "ok")
    assert ProjectSpend.objects.filter(project=project).count() == len(accepted)
