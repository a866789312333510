"""The public project pages: open to anyone, budget, spending, status and progress; no documents, no
people; filters that ignore bad input; constant queries."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programme import projects as steps
from programme.tests.test_projects_setup import days, pdf, register

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LIST = reverse("programme:public_projects")


@pytest.fixture
def project(tree, orgs, people):
    project = register(people.subdistrict, tree.s1, [tree.c1], orgs.dept, partners=[orgs.partner], budget="1500000")
    steps.spend_record(
        actor=people.subdistrict,
        project=project,
        amount="250000.50",
        spent_on=days(0),
        purpose="设备采购",
        document=pdf("发票.pdf"),
    )
    steps.document_add(actor=people.subdistrict, project=project, document=pdf("方案.pdf"))
    steps.milestone_reach(
        actor=people.subdistrict, milestone=project.milestones.first(), actual_date=days(0), note="张三负责"
    )
    return project


def detail(project):
    return reverse("programme:public_project", args=[project.public_id])


def test_anyone_sees_budget_spending_status_and_progress(client, project, people):
    page = client.get(LIST, **EN)
    assert page.status_code == 200
    text = page.content.decode()
    assert project.name in text and "Area C1" in text
    assert "¥1,500,000.00" in text and "¥250,000.50" in text
    assert "In progress" in text and "1/2" in text
    assert "District budget" in text


def test_the_public_detail_shows_milestones_and_deliverables_but_no_documents_or_people(client, project, people):
    response = client.get(detail(project), **EN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "设计" in text and "施工" in text and "门禁设备 20 套" in text
    assert "¥1,500,000.00" in text and "¥250,000.50" in text
    assert f'class="status status-{response.context["status"]}"' in text and 'class="status status-"' not in text
    for hidden in ("发票.pdf", "方案.pdf", "设备采购", "张三负责", people.subdistrict.username, "/document"):
        assert hidden not in text


def test_an_unknown_project_is_404(client, db):
    assert client.get(reverse("programme:public_project", args=[uuid.uuid4()])).status_code == 404


def test_filters_narrow_the_list_and_bad_input_is_ignored(client, project, tree, orgs, people):
    other = register(people.leader, tree.d, [tree.c2], orgs.dept, name="二号项目")
    by_community = client.get(LIST, {"area": tree.c2.pk})
    assert [p.pk for p in by_community.context["page"]] == [other.pk]
    by_subdistrict = client.get(LIST, {"area": tree.s1.pk})
    assert [p.pk for p in by_subdistrict.context["page"]] == [project.pk]
    by_status = client.get(LIST, {"status": "in_progress"})
    assert [p.pk for p in by_status.context["page"]] == [project.pk]
    for bad in ({"area": "x"}, {"area": "99999"}, {"status": "<script>"}, {"page": "-1"}, {"area": tree.g1.pk}):
        response = client.get(LIST, bad)
        assert response.status_code == 200
        assert len(response.context["page"]) == 2


def test_the_public_list_costs_the_same_whatever_the_projects(
    client, project, tree, orgs, people, django_assert_num_queries
):
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for n in range(4):
        register(people.leader, tree.d, [tree.c1, tree.c2], orgs.dept, name=f"项目{n}", budget=str(1000 + n))
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["page"]) == 5
    assert sum((p.budget for p in response.context["page"]), Decimal(0)) == Decimal("1504006.00")
