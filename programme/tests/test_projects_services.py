from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from programme import projects as steps
from programme.models import AcceptanceDecision, BudgetAdjustment, ConstructionProject, ProjectDocument, ProjectSpend
from programme.project_status import project_status
from programme.projects import PlannedMilestone
from programme.tests.test_projects_setup import days, pdf, register
from security.models import AuditEvent, Role


@pytest.fixture
def leader2(tree, make_user):
    return make_user(Role.DISTRICT_LEADER, tree.d)


@pytest.fixture
def project(tree, orgs, people):
    return register(people.subdistrict, tree.s1, [tree.c1], orgs.dept, partners=[orgs.partner])


def actions():
    return list(AuditEvent.objects.filter(action__startswith="programme.").values_list("action", flat=True))


# --- registering -----------------------------------------------------------------------------------


def test_an_officer_registers_a_project_with_milestones_and_deliverables(project, tree, orgs, people):
    assert project.area == tree.s1
    assert list(project.communities.all()) == [tree.c1]
    assert list(project.partners.all()) == [orgs.partner]
    assert project.budget == Decimal("100000.00")
    assert [m.name for m in project.milestones.all()] == ["设计", "施工"]
    assert [d.name for d in project.deliverables.all()] == ["门禁设备 20 套"]
    event = AuditEvent.objects.get(action="programme.project_create")
    assert event.actor == people.subdistrict and event.object_id == str(project.pk)
    assert event.details["budget"] == "100000.00"


def test_a_leader_registers_for_the_district_covering_any_community(tree, orgs, people):
    project = register(people.leader, tree.d, [tree.c1, tree.c2], orgs.dept)
    assert project.area == tree.d


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"budget": "0"}, "budget"),
        ({"budget": "-5"}, "budget"),
        ({"budget": "12.345"}, "budget"),
        ({"budget": "abc"}, "budget"),
        ({"funding_source": "lottery"}, "funding_source"),
        ({"communities": []}, "communities"),
        ({"milestones": [PlannedMilestone("", None)]}, "milestones"),
        ({"milestones": [PlannedMilestone("设计", None)]}, "milestones"),
    ],
)
def test_bad_registrations_are_refused_with_a_message_and_change_nothing(tree, orgs, people, change, field):
    arguments = {
        "actor": people.subdistrict,
        "name": "项目",
        "area": tree.s1,
        "communities": [tree.c1],
        "department": orgs.dept,
        "funding_source": "district_budget",
        "budget": "1000",
        "milestones": [PlannedMilestone("设计", days(3))],
    } | change
    with pytest.raises(ValidationError) as caught:
        steps.project_create(**arguments)
    assert field in caught.value.message_dict
    assert not ConstructionProject.objects.exists()
    assert actions() == []


def test_an_officer_registers_only_for_their_own_area_and_its_communities(tree, orgs, people, make_user):
    with pytest.raises(ValidationError) as caught:
        register(people.subdistrict, tree.s2, [tree.c2], orgs.dept)
    assert "area" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        register(people.subdistrict, tree.s1, [tree.c2], orgs.dept)
    assert "communities" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        register(people.subdistrict, tree.s1, [tree.c1], orgs.partner)
    assert "department" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        register(people.subdistrict, tree.s1, [tree.c1], orgs.dept, partners=[orgs.dept_other])
    assert "partners" in caught.value.message_dict
    for outsider in (people.community, people.partner, people.dept, people.resident):
        with pytest.raises(PermissionDenied):
            register(outsider, tree.s1, [tree.c1], orgs.dept)
    assert not ConstructionProject.objects.exists()


def test_editing_changes_the_fields_and_is_audited_but_never_below_spent(project, tree, orgs, people):
    steps.spend_record(
        actor=people.subdistrict, project=project, amount="60000", spent_on=days(0), purpose="设备", document=pdf()
    )
    common = {
        "actor": people.subdistrict,
        "project": project,
        "communities": [tree.c1],
        "department": orgs.dept,
        "description": project.description,
    }
    with pytest.raises(ValidationError) as caught:
        steps.project_update(name="新名", funding_source="enterprise", budget="50000", **common)
    assert "budget" in caught.value.message_dict
    steps.project_update(name="新名", funding_source="enterprise", budget="80000", **common)
    project.refresh_from_db()
    assert (project.name, project.funding_source, project.budget) == ("新名", "enterprise", Decimal("80000.00"))
    assert list(project.partners.all()) == []
    event = AuditEvent.objects.get(action="programme.project_update")
    assert set(event.details["changed"]) == {"name", "funding_source", "budget"}


def test_another_subdistricts_officer_cannot_change_the_project(project, tree, orgs, make_user):
    outsider = make_user(Role.SUBDISTRICT_OFFICER, tree.s2)
    with pytest.raises(PermissionDenied):
        steps.project_update(
            actor=outsider,
            project=project,
            name="x",
            communities=[tree.c1],
            department=orgs.dept,
            funding_source="enterprise",
            budget="1",
        )
    with pytest.raises(PermissionDenied):
        steps.spend_record(actor=outsider, project=project, amount="1", spent_on=days(0), purpose="x", document=pdf())


# --- spending ----------------------------------------------------------------------------------------


def test_spending_adds_up_and_is_refused_over_the_budget_naming_what_is_left(project, people):
    spend = steps.spend_record(
        actor=people.subdistrict,
        project=project,
        amount="70000.50",
        spent_on=days(0),
        purpose="设备采购",
        document=pdf(),
    )
    project.refresh_from_db()
    assert project.spent == Decimal("70000.50")
    assert spend.file_name == "invoice.pdf" and spend.content_type == "application/pdf"
    with pytest.raises(ValidationError) as caught:
        steps.spend_record(
            actor=people.subdistrict, project=project, amount="30000", spent_on=days(0), purpose="施工", document=pdf()
        )
    assert "¥29,999.50" in caught.value.message_dict["amount"][0]
    project.refresh_from_db()
    assert project.spent == Decimal("70000.50")
    assert ProjectSpend.objects.count() == 1
    assert actions().count("programme.spend_record") == 1
    steps.spend_record(
        actor=people.subdistrict, project=project, amount="29999.50", spent_on=days(0), purpose="施工", document=pdf()
    )
    project.refresh_from_db()
    assert project.spent == project.budget


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-10"}, "amount"),
        ({"amount": "1e400"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"spent_on": None}, "spent_on"),
        ({"spent_on": days(2)}, "spent_on"),
        ({"purpose": ""}, "purpose"),
        ({"document": None}, "document"),
        ({"document": SimpleUploadedFile("a.exe", b"MZ\x90\x00", content_type="application/pdf")}, "document"),
    ],
)
def test_bad_spending_entries_are_refused_and_change_nothing(project, people, change, field):
    arguments = {
        "actor": people.subdistrict,
        "project": project,
        "amount": "10",
        "spent_on": days(0),
        "purpose": "x",
        "document": pdf(),
    } | change
    with pytest.raises(ValidationError) as caught:
        steps.spend_record(**arguments)
    assert field in caught.value.message_dict
    project.refresh_from_db()
    assert project.spent == 0
    assert not ProjectSpend.objects.exists()


def test_a_document_over_the_notice_size_limit_is_refused(project, people, settings):
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError) as caught:
        steps.spend_record(
            actor=people.subdistrict, project=project, amount="1", spent_on=days(0), purpose="x", document=pdf()
        )
    assert "document" in caught.value.message_dict


def test_a_correction_takes_back_at_most_what_the_entry_recorded(project, people):
    spend = steps.spend_record(
        actor=people.subdistrict, project=project, amount="500", spent_on=days(0), purpose="x", document=pdf()
    )
    steps.spend_record(
        actor=people.subdistrict,
        project=project,
        amount="-200",
        spent_on=days(0),
        purpose="开错",
        document=pdf(),
        corrects=spend,
    )
    project.refresh_from_db()
    assert project.spent == Decimal("300.00")
    with pytest.raises(ValidationError):
        steps.spend_record(
            actor=people.subdistrict,
            project=project,
            amount="-301",
            spent_on=days(0),
            purpose="x",
            document=pdf(),
            corrects=spend,
        )
    project.refresh_from_db()
    assert project.spent == Decimal("300.00")


def test_the_database_check_is_the_last_guard(project):
    """Even a write that skips the service cannot overspend."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ConstructionProject.objects.filter(pk=project.pk).update(spent=project.budget + 1)


# --- budget adjustments ----------------------------------------------------------------------------------


def test_an_approved_adjustment_raises_what_may_be_spent(project, people, leader2):
    adjustment = steps.adjustment_request(actor=people.subdistrict, project=project, amount="20000", reason="增加点位")
    with pytest.raises(ValidationError):
        steps.adjustment_request(actor=people.subdistrict, project=project, amount="1", reason="again")
    steps.adjustment_approve(actor=people.leader, adjustment=adjustment, note="同意")
    project.refresh_from_db()
    assert project.adjustments == Decimal("20000.00") and project.approved_budget == Decimal("120000.00")
    steps.spend_record(
        actor=people.subdistrict, project=project, amount="110000", spent_on=days(0), purpose="x", document=pdf()
    )
    with pytest.raises(ValidationError):
        steps.adjustment_approve(actor=leader2, adjustment=adjustment)
    assert actions() == [
        "programme.project_create",
        "programme.adjustment_request",
        "programme.adjustment_approve",
        "programme.spend_record",
    ]


def test_the_asker_cannot_decide_their_own_adjustment_and_only_leaders_decide(project, tree, people, leader2):
    adjustment = steps.adjustment_request(actor=people.leader, project=project, amount="1000", reason="r")
    for actor in (people.leader, people.subdistrict, people.community):
        with pytest.raises(PermissionDenied):
            steps.adjustment_approve(actor=actor, adjustment=adjustment)
    adjustment.refresh_from_db()
    assert adjustment.status == BudgetAdjustment.Status.PENDING
    with pytest.raises(ValidationError) as caught:
        steps.adjustment_refuse(actor=leader2, adjustment=adjustment, note="")
    assert "decision_note" in caught.value.message_dict
    steps.adjustment_refuse(actor=leader2, adjustment=adjustment, note="预算不足")
    adjustment.refresh_from_db()
    project.refresh_from_db()
    assert adjustment.status == BudgetAdjustment.Status.REFUSED and adjustment.decided_by == leader2
    assert project.adjustments == 0
    assert "programme.adjustment_refuse" in actions()


def test_a_cut_below_what_is_spent_is_refused(project, people):
    steps.spend_record(
        actor=people.subdistrict, project=project, amount="90000", spent_on=days(0), purpose="x", document=pdf()
    )
    with pytest.raises(ValidationError) as caught:
        steps.adjustment_request(actor=people.subdistrict, project=project, amount="-20000", reason="缩减")
    assert "¥90,000.00" in caught.value.message_dict["amount"][0]
    adjustment = steps.adjustment_request(actor=people.subdistrict, project=project, amount="-10000", reason="缩减")
    steps.spend_record(
        actor=people.subdistrict, project=project, amount="5000", spent_on=days(0), purpose="x", document=pdf()
    )
    with pytest.raises(ValidationError):
        steps.adjustment_approve(actor=people.leader, adjustment=adjustment)
    project.refresh_from_db()
    assert project.adjustments == 0
    adjustment.refresh_from_db()
    assert adjustment.status == BudgetAdjustment.Status.PENDING


# --- milestones, deliverables, acceptance ---------------------------------------------------------------------


def test_milestones_are_reached_not_in_the_future_and_only_once(project, people):
    first, second = project.milestones.all()
    with pytest.raises(ValidationError) as caught:
        steps.milestone_reach(actor=people.subdistrict, milestone=first, actual_date=days(1))
    assert "actual_date" in caught.value.message_dict
    steps.milestone_reach(actor=people.subdistrict, milestone=first, actual_date=days(0), note="按时")
    with pytest.raises(ValidationError):
        steps.milestone_reach(actor=people.subdistrict, milestone=first, actual_date=days(0))
    with pytest.raises(ValidationError):
        steps.milestone_plan_change(actor=people.subdistrict, milestone=first, name="x", planned_date=days(3))
    steps.milestone_plan_change(actor=people.subdistrict, milestone=second, name="施工安装", planned_date=days(50))
    added = steps.milestone_add(actor=people.subdistrict, project=project, name="试运行", planned_date=days(60))
    assert [m.name for m in project.milestones.all()] == ["设计", "施工安装", "试运行"]
    assert added.actual_date is None
    assert actions()[1:] == ["programme.milestone_reach", "programme.milestone_update", "programme.milestone_add"]


def test_a_deliverable_is_delivered(project, people):
    deliverable = project.deliverables.get()
    steps.deliverable_deliver(actor=people.subdistrict, deliverable=deliverable, delivered_on=days(0))
    deliverable.refresh_from_db()
    assert deliverable.delivered_on == days(0)
    extra = steps.deliverable_add(actor=people.subdistrict, project=project, name="管理平台")
    assert extra.delivered_on is None
    assert "programme.deliverable_deliver" in actions()


def _reach_all(project, actor):
    for milestone in project.milestones.all():
        steps.milestone_reach(actor=actor, milestone=milestone, actual_date=days(0))


def test_acceptance_waits_for_every_milestone_and_then_makes_the_project_read_only(project, people):
    arguments = {
        "actor": people.subdistrict,
        "project": project,
        "acceptance_date": days(0),
        "opinion": "合格",
        "documents": [pdf("验收报告.pdf")],
    }
    with pytest.raises(ValidationError):
        steps.acceptance_record(decision=AcceptanceDecision.ACCEPTED, **arguments)
    _reach_all(project, people.subdistrict)
    with pytest.raises(ValidationError) as caught:
        steps.acceptance_record(decision=AcceptanceDecision.ACCEPTED, **(arguments | {"documents": []}))
    assert "documents" in caught.value.message_dict
    steps.acceptance_record(decision=AcceptanceDecision.REFUSED, **(arguments | {"opinion": "需整改"}))
    project.refresh_from_db()
    assert project_status(project)[0] == "awaiting_acceptance"
    steps.acceptance_record(decision=AcceptanceDecision.ACCEPTED, **arguments)
    project.refresh_from_db()
    assert project_status(project)[0] == "accepted" and project.accepted_by == people.subdistrict
    assert ProjectDocument.objects.filter(project=project, kind="acceptance").count() == 2
    with pytest.raises(ValidationError):
        steps.spend_record(
            actor=people.subdistrict, project=project, amount="1", spent_on=days(0), purpose="x", document=pdf()
        )
    with pytest.raises(ValidationError):
        steps.milestone_add(actor=people.subdistrict, project=project, name="x", planned_date=days(1))
    with pytest.raises(ValidationError):
        steps.acceptance_record(decision=AcceptanceDecision.ACCEPTED, **arguments)
    assert actions().count("programme.acceptance_record") == 2


def test_documents_are_added_and_audited(project, people):
    document = steps.document_add(actor=people.subdistrict, project=project, document=pdf("方案.pdf"))
    assert document.kind == "other" and document.file_name == "方案.pdf"
    with pytest.raises(ValidationError):
        steps.document_add(actor=people.subdistrict, project=project, document=None)
    assert actions()[-1] == "programme.document_add"
