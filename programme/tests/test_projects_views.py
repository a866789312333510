from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programme import projects as steps
from programme.models import BudgetAdjustment, ConstructionProject, ProjectSpend
from programme.tests.test_projects_setup import days, pdf, register
from security.models import AuditEvent, Role

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def project(tree, orgs, people):
    return register(people.subdistrict, tree.s1, [tree.c1], orgs.dept, partners=[orgs.partner])


@pytest.fixture
def spend(project, people):
    return steps.spend_record(
        actor=people.subdistrict,
        project=project,
        amount="1234.50",
        spent_on=days(0),
        purpose="购买门禁",
        document=pdf(),
    )


@pytest.fixture
def other_officer(tree, make_user):
    return make_user(Role.SUBDISTRICT_OFFICER, tree.s2)


@pytest.fixture
def leader2(tree, make_user):
    return make_user(Role.DISTRICT_LEADER, tree.d)


def url(name, project=None, *args):
    if project is None:
        return reverse(f"programme:{name}", args=args)
    return reverse(f"programme:{name}", args=[project.public_id, *args])


# --- who sees what ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["subdistrict", "leader", "community", "dept", "partner"])
def test_insiders_see_the_project_in_the_list_and_its_page(client, login, people, project, who):
    login(getattr(people, who))
    listed = client.get(url("project_list"), **EN)
    assert listed.status_code == 200
    assert [p.pk for p in listed.context["page"]] == [project.pk]
    page = client.get(url("project_detail", project), **EN)
    assert page.status_code == 200
    assert "¥100,000.00" in page.content.decode()


@pytest.mark.parametrize("who", ["community_c2", "partner_other", "worker"])
def test_outsiders_do_not_find_the_project(client, login, people, project, spend, who):
    login(getattr(people, who))
    listed = client.get(url("project_list"), **EN)
    assert listed.status_code in (200, 403)
    if listed.status_code == 200:
        assert list(listed.context["page"]) == []
    assert client.get(url("project_detail", project)).status_code == 404
    assert client.get(url("project_spend_document", project, spend.pk)).status_code == 404


def test_another_subdistricts_officer_and_a_resident_do_not_find_it(client, login, people, project, other_officer):
    login(other_officer)
    assert list(client.get(url("project_list")).context["page"]) == []
    for name in ("project_detail", "project_spend", "project_edit", "project_acceptance"):
        assert client.get(url(name, project)).status_code == 404
    client.logout()
    login(people.resident)
    assert client.get(url("project_list")).status_code == 403
    assert client.get(url("project_detail", project)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, project, spend):
    for address in (
        url("project_list"),
        url("project_new"),
        url("project_adjustments"),
        url("project_detail", project),
        url("project_spend", project),
        url("project_spend_document", project, spend.pk),
    ):
        response = client.get(address)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_partners_see_totals_but_not_the_entries_or_documents(client, login, people, project, spend):
    login(people.partner)
    page = client.get(url("project_detail", project), **EN).content.decode()
    assert "¥1,234.50" in page  # spent to date
    assert "购买门禁" not in page
    assert client.get(url("project_spend_document", project, spend.pk)).status_code == 404
    assert client.get(url("project_spend", project)).status_code == 403


def test_readers_who_do_not_manage_get_403_on_the_forms(client, login, people, project):
    login(people.community)
    assert client.get(url("project_detail", project)).status_code == 200
    response = client.post(url("project_spend", project), {"amount": "1", "spent_on": days(0), "purpose": "x"})
    assert response.status_code == 403
    assert not ProjectSpend.objects.exists()


def test_the_spend_document_is_served_only_through_the_checked_view(client, login, people, project, spend):
    login(people.community)
    response = client.get(url("project_spend_document", project, spend.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert client.get(url("project_spend_document", project, spend.pk + 999)).status_code == 404


# --- registering and editing --------------------------------------------------------------------------------


def _registration(tree, orgs, **change):
    return {
        "name": "社区智慧停车",
        "description": "",
        "area": tree.s1.pk,
        "communities": [tree.c1.pk],
        "department": orgs.dept.pk,
        "partners": [orgs.partner.pk],
        "funding_source": "higher_level",
        "budget": "250000.00",
        "milestone_name_0": "招标",
        "milestone_date_0": days(10).isoformat(),
        "milestone_name_1": "完工",
        "milestone_date_1": days(90).isoformat(),
        "deliverables": "停车管理系统\n道闸 4 套",
    } | change


def test_an_officer_registers_a_project_from_the_form(client, login, people, tree, orgs):
    login(people.subdistrict)
    assert client.get(url("project_new"), **EN).status_code == 200
    response = client.post(url("project_new"), _registration(tree, orgs), **EN)
    project = ConstructionProject.objects.get()
    assert response.status_code == 302 and response["Location"] == url("project_detail", project)
    assert project.milestones.count() == 2 and project.deliverables.count() == 2
    assert project.budget == Decimal("250000.00")
    assert AuditEvent.objects.filter(action="programme.project_create").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"milestone_name_0": "", "milestone_date_0": "", "milestone_name_1": "", "milestone_date_1": ""},
            "Plan at least one milestone.",
        ),
        ({"milestone_date_1": ""}, "Give every milestone a name and a planned date."),
        ({"communities": []}, "This field is required."),
        ({"budget": "0"}, "Enter an amount above zero."),
        ({"budget": "lots"}, "Enter a number."),
        ({"area": "999999"}, "Select a valid choice."),
    ],
)
def test_bad_registrations_show_a_message_and_change_nothing(client, login, people, tree, orgs, change, message):
    login(people.subdistrict)
    response = client.post(url("project_new"), _registration(tree, orgs, **change), **EN)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ConstructionProject.objects.exists()


def test_a_community_outside_the_officers_area_cannot_be_posted(client, login, people, tree, orgs):
    login(people.subdistrict)
    response = client.post(url("project_new"), _registration(tree, orgs, communities=[tree.c2.pk]), **EN)
    assert response.status_code == 400
    assert not ConstructionProject.objects.exists()


def test_only_officers_register(client, login, people):
    for who in (people.community, people.partner, people.dept):
        client.logout()
        login(who)
        assert client.get(url("project_new")).status_code == 403


def test_editing_from_the_form(client, login, people, project, tree, orgs):
    login(people.subdistrict)
    assert client.get(url("project_edit", project), **EN).status_code == 200
    data = _registration(tree, orgs, name="改名后的项目", budget="90000")
    response = client.post(url("project_edit", project), data, **EN)
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.budget, project.area) == ("改名后的项目", Decimal("90000.00"), tree.s1)


# --- spending, adjustments, milestones, acceptance ------------------------------------------------------------


def test_spending_from_the_form_and_the_refusal_over_budget(client, login, people, project):
    login(people.subdistrict)
    assert "¥100,000.00" in client.get(url("project_spend", project), **EN).content.decode()
    response = client.post(
        url("project_spend", project),
        {"amount": "99000", "spent_on": days(0).isoformat(), "purpose": "设备", "document": pdf()},
        **EN,
    )
    assert response.status_code == 302
    response = client.post(
        url("project_spend", project),
        {"amount": "1000.01", "spent_on": days(0).isoformat(), "purpose": "设备", "document": pdf()},
        **EN,
    )
    assert response.status_code == 400
    assert "¥1,000.00 is left" in response.content.decode()
    project.refresh_from_db()
    assert project.spent == Decimal("99000.00")
    response = client.post(
        url("project_spend", project),
        {"amount": "5", "spent_on": days(0).isoformat(), "purpose": "x", "document": pdf()},
        **EN,
    )
    response = client.post(url("project_spend", project), {"amount": "5", "spent_on": "", "purpose": ""}, **EN)
    assert response.status_code == 400
    assert ProjectSpend.objects.count() == 2


def test_an_adjustment_asked_for_and_approved_by_another_leader(client, login, people, project, leader2):
    login(people.leader)
    response = client.post(url("project_adjustment", project), {"amount": "5000", "reason": "扩容"}, **EN)
    assert response.status_code == 302
    adjustment = BudgetAdjustment.objects.get()
    queue = client.get(url("project_adjustments"), **EN)
    assert [a.pk for a in queue.context["adjustments"]] == [adjustment.pk]
    own = client.get(url("project_adjustment_decide", None, adjustment.pk), **EN)
    assert "another district leader decides it" in own.content.decode()
    response = client.post(url("project_adjustment_decide", None, adjustment.pk), {"action": "approve"}, **EN)
    assert response.status_code == 400
    adjustment.refresh_from_db()
    assert adjustment.status == "pending"
    client.logout()
    login(people.subdistrict)
    assert client.get(url("project_adjustment_decide", None, adjustment.pk)).status_code == 403
    client.logout()
    login(leader2)
    response = client.post(
        url("project_adjustment_decide", None, adjustment.pk), {"action": "refuse", "note": ""}, **EN
    )
    assert response.status_code == 400 and "Give the reason for refusing." in response.content.decode()
    response = client.post(url("project_adjustment_decide", None, adjustment.pk), {"action": "approve"}, **EN)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.approved_budget == Decimal("105000.00")
    assert client.get(url("project_adjustment_decide", None, adjustment.pk)).status_code == 404


def test_another_districts_leader_does_not_find_the_adjustment(client, login, project, people, make_user):
    from tests.factories import AreaFactory

    elsewhere = make_user(Role.DISTRICT_LEADER, AreaFactory(code="D2"))
    adjustment = steps.adjustment_request(actor=people.subdistrict, project=project, amount="10", reason="r")
    login(elsewhere)
    assert client.get(url("project_adjustment_decide", None, adjustment.pk)).status_code == 404
    assert list(client.get(url("project_adjustments")).context["adjustments"]) == []


def test_milestones_deliverables_and_the_acceptance_from_the_forms(client, login, people, project):
    login(people.subdistrict)
    first, second = project.milestones.all()
    response = client.post(url("project_milestone_reach", project, first.pk), {"actual_date": days(1)}, **EN)
    assert response.status_code == 400 and "The date cannot be in the future." in response.content.decode()
    for milestone in (first, second):
        response = client.post(url("project_milestone_reach", project, milestone.pk), {"actual_date": days(0)}, **EN)
        assert response.status_code == 302
    deliverable = project.deliverables.get()
    response = client.post(url("project_deliverable_deliver", project, deliverable.pk), {"delivered_on": days(0)})
    assert response.status_code == 302
    assert (
        client.post(url("project_milestone_add", project), {"name": "验收", "planned_date": days(0)}).status_code == 302
    )
    third = project.milestones.get(name="验收")
    client.post(url("project_milestone_reach", project, third.pk), {"actual_date": days(0)})
    assert "Record the acceptance" in client.get(url("project_detail", project), **EN).content.decode()
    response = client.post(
        url("project_acceptance", project),
        {
            "decision": "accepted",
            "acceptance_date": days(0),
            "opinion": "验收合格",
            "documents": [pdf("a.pdf"), pdf("b.pdf")],
        },
        **EN,
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.acceptance_decision == "accepted"
    page = client.get(url("project_detail", project), **EN).content.decode()
    assert "Record spending" not in page and "a.pdf" in page
    document = project.documents.first()
    assert client.get(url("project_document", project, document.pk)).status_code == 200
    response = client.post(
        url("project_spend", project), {"amount": "1", "spent_on": days(0), "purpose": "x", "document": pdf()}, **EN
    )
    assert response.status_code == 400 and "no longer be changed" in response.content.decode()
    assert AuditEvent.objects.filter(action="programme.acceptance_record").count() == 1


def test_acceptance_without_a_document_is_refused(client, login, people, project):
    login(people.subdistrict)
    response = client.post(
        url("project_acceptance", project), {"decision": "accepted", "acceptance_date": days(0), "opinion": "x"}, **EN
    )
    assert response.status_code == 400
    project.refresh_from_db()
    assert project.acceptance_decision == ""


def test_unknown_milestones_are_404(client, login, people, project, tree, orgs):
    other = register(people.leader, tree.d, [tree.c2], orgs.dept)
    login(people.subdistrict)
    foreign = other.milestones.first()
    assert client.get(url("project_milestone_reach", project, foreign.pk)).status_code == 404
    assert client.get(url("project_deliverable_deliver", project, 999999)).status_code == 404


# --- query budgets ---------------------------------------------------------------------------------------------


def test_the_list_costs_the_same_whatever_the_projects(client, login, people, tree, orgs, django_assert_num_queries):
    register(people.subdistrict, tree.s1, [tree.c1], orgs.dept)
    login(people.leader)
    client.get(url("project_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(url("project_list"))
    for n in range(4):
        project = register(people.leader, tree.d, [tree.c1, tree.c2], orgs.dept, name=f"项目{n}")
        steps.milestone_reach(actor=people.leader, milestone=project.milestones.first(), actual_date=days(0))
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get(url("project_list")).context["page"]) == 5


def test_the_adjustment_queue_costs_the_same_whatever_the_adjustments(
    client, login, people, tree, orgs, leader2, django_assert_num_queries
):
    first = register(people.subdistrict, tree.s1, [tree.c1], orgs.dept)
    steps.adjustment_request(actor=people.subdistrict, project=first, amount="10", reason="r")
    login(leader2)
    client.get(url("project_adjustments"))
    with CaptureQueriesContext(connection) as few:
        client.get(url("project_adjustments"))
    for n in range(3):
        project = register(people.subdistrict, tree.s1, [tree.c1], orgs.dept, name=f"项目{n}")
        steps.adjustment_request(actor=people.subdistrict, project=project, amount="10", reason="r")
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get(url("project_adjustments")).context["adjustments"]) == 4


def test_a_delayed_project_says_since_when_in_the_list(client, login, people, tree, orgs):
    from programme.projects import PlannedMilestone

    register(people.subdistrict, tree.s1, [tree.c1], orgs.dept, milestones=[PlannedMilestone("设计", days(-3))])
    login(people.subdistrict)
    page = client.get(url("project_list"), **EN).content.decode()
    assert "Delayed" in page and f"A milestone is overdue since {days(-3).isoformat()}" in page
    detail = client.get(url("project_detail", ConstructionProject.objects.get()), **EN).content.decode()
    assert "3 days late" in detail
