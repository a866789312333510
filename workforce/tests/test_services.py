from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from security.models import AuditEvent, Role, RoleAssignment
from workforce import selectors, services
from workforce.models import (
    Education,
    LevelChange,
    LevelProposal,
    LevelRules,
    Post,
    Qualification,
    WorkerProfile,
)
from workforce.services import (
    HANDOVER_HOOKS,
    handover_hook_register,
    level_confirm,
    level_proposals_run,
    proposed_level,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("post", "ok", "bad"),
    [(Post.HEAD, (7, 18), (6, 19)), (Post.DEPUTY, (4, 15), (3, 16)), (Post.OTHER, (1, 12), (0, 13))],
)
def test_the_database_keeps_each_post_within_its_band(crew, post, ok, bad):
    for level in ok:
        WorkerProfile.objects.filter(pk=crew.p1.pk).update(post=post, level=level)
    for level in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            WorkerProfile.objects.filter(pk=crew.p1.pk).update(post=post, level=level)


def test_years_of_service_count_full_years():
    profile = WorkerProfile(date_joined=date(2015, 12, 8))
    assert selectors.years_of_service(profile, date(2026, 12, 7)) == 10
    assert selectors.years_of_service(profile, date(2026, 12, 8)) == 11


def test_proposed_level_by_the_default_rules():
    # 11 full years → 3 steps; bachelor +1; social worker +2; others start at 1.
    profile = WorkerProfile(
        post=Post.OTHER,
        date_joined=date(2015, 3, 1),
        education=Education.BACHELOR,
        qualification=Qualification.SOCIAL_WORKER,
    )
    assert proposed_level(profile, today=TODAY) == 1 + 3 + 1 + 2
    profile.post = Post.HEAD
    assert proposed_level(profile, today=TODAY) == 7 + 6
    # Never above the band.
    profile.date_joined, profile.qualification, profile.education = (
        date(1980, 1, 1),
        Qualification.SENIOR,
        Education.MASTER,
    )
    assert proposed_level(profile, today=TODAY) == 18
    profile.post = Post.OTHER
    assert proposed_level(profile, today=TODAY) == 12


def test_proposed_level_follows_the_rules_in_force(crew):
    services.level_rules_set(
        actor=crew.civil,
        years_per_step=5,
        step_associate=0,
        step_bachelor=0,
        step_master=0,
        step_assistant=0,
        step_social_worker=0,
        step_senior=0,
    )
    assert proposed_level(crew.p1, today=TODAY) == 1 + 2
    event = AuditEvent.objects.get(action="workforce.level_rules_set")
    assert event.actor == crew.civil and event.details["years_per_step"] == 5


RULES = {
    "years_per_step": 3,
    "step_associate": 0,
    "step_bachelor": 1,
    "step_master": 2,
    "step_assistant": 1,
    "step_social_worker": 2,
    "step_senior": 3,
}


@pytest.mark.parametrize("who", ["head1", "sub1", "w1", "resident"])
def test_only_civil_affairs_officers_set_the_rules(crew, who):
    with pytest.raises(PermissionDenied):
        services.level_rules_set(actor=getattr(crew, who), **RULES)
    assert not LevelRules.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("years_per_step", 0), ("step_master", 7), ("step_senior", -1), ("step_bachelor", "2")]
)
def test_bad_rules_say_why_and_change_nothing(crew, field, value):
    with pytest.raises(ValidationError) as raised:
        services.level_rules_set(actor=crew.civil, **(RULES | {field: value}))
    assert field in raised.value.message_dict
    assert not LevelRules.objects.exists()


def test_the_yearly_run_proposes_steps_for_those_due_only(crew, django_assert_max_num_queries):
    # p1, p1b, p2: others at level 1 joined 2015 → 1 + 3 = 4; ph1, ph2 at 7 → 10; ps1 deputy 4 → 7.
    WorkerProfile.objects.filter(pk=crew.p1b.pk).update(level=4)
    with django_assert_max_num_queries(10):
        created = level_proposals_run(today=TODAY)
    due = {proposal.profile_id: proposal.proposed_level for proposal in created}
    assert due == {crew.p1.pk: 4, crew.p2.pk: 4, crew.ph1.pk: 10, crew.ph2.pk: 10, crew.ps1.pk: 7}
    assert AuditEvent.objects.get(action="workforce.level_run").details["proposed"] == 5
    # Run again: nothing new while the same proposals wait.
    assert level_proposals_run(today=TODAY) == []
    # After the rules change, a waiting proposal for another level is superseded.
    services.level_rules_set(actor=crew.civil, **(RULES | {"years_per_step": 2}))
    again = {p.profile_id: p.proposed_level for p in level_proposals_run(today=TODAY)}
    assert again[crew.p1.pk] == 1 + 5
    assert LevelProposal.objects.filter(profile=crew.p1, status=LevelProposal.Status.SUPERSEDED).count() == 1
    assert LevelProposal.objects.filter(profile=crew.p1, status=LevelProposal.Status.PENDING).count() == 1


def test_the_run_costs_the_same_queries_for_many_workers(crew, make_user, tree, django_assert_num_queries):
    from workforce.tests.helpers import profile

    level_proposals_run(today=TODAY)
    LevelProposal.objects.all().delete()
    with django_assert_num_queries(10) as few:
        level_proposals_run(today=TODAY)
    LevelProposal.objects.all().delete()
    for _ in range(15):
        profile(make_user(Role.GRID_WORKER, tree.g1, mfa=False))
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(level_proposals_run(today=TODAY)) == 21


def test_a_manager_confirms_a_step_with_a_reason(crew):
    [proposal] = [p for p in level_proposals_run(today=TODAY) if p.profile_id == crew.p1.pk]
    change = level_confirm(actor=crew.head1, proposal=proposal, reason="三年考核合格")
    crew.p1.refresh_from_db()
    proposal.refresh_from_db()
    assert crew.p1.level == 4 and proposal.status == LevelProposal.Status.CONFIRMED
    assert (change.from_level, change.to_level, change.changed_by) == (1, 4, crew.head1)
    event = AuditEvent.objects.get(action="workforce.level_confirm")
    assert event.details == {"from": 1, "to": 4, "reason": "三年考核合格", "proposal": proposal.pk}
    assert event.actor == crew.head1
    with pytest.raises(ValidationError, match="already"):
        level_confirm(actor=crew.head1, proposal=proposal, reason="again")


@pytest.mark.parametrize("who", ["head2", "staff1", "w1b", "w1", "resident", "partner"])
def test_outsiders_cannot_confirm(crew, who):
    [proposal] = [p for p in level_proposals_run(today=TODAY) if p.profile_id == crew.p1.pk]
    with pytest.raises(PermissionDenied):
        level_confirm(actor=getattr(crew, who), proposal=proposal, reason="x")
    crew.p1.refresh_from_db()
    assert crew.p1.level == 1 and not LevelChange.objects.exists()


def test_subdistrict_and_civil_affairs_officers_manage_too(crew):
    created = {p.profile_id: p for p in level_proposals_run(today=TODAY)}
    level_confirm(actor=crew.sub1, proposal=created[crew.ph1.pk], reason="街道确认")
    level_confirm(actor=crew.civil, proposal=created[crew.p2.pk], reason="民政确认")
    with pytest.raises(PermissionDenied):  # S1's officer does not reach C2
        level_confirm(actor=crew.sub1, proposal=created[crew.ph2.pk], reason="x")
    # A head does not confirm their own step.
    with pytest.raises(PermissionDenied):
        level_confirm(actor=crew.head1, proposal=created[crew.ph1.pk], reason="x")


@pytest.mark.parametrize("reason", ["", "   ", "长" * 501])
def test_confirming_needs_a_reason(crew, reason):
    [proposal] = [p for p in level_proposals_run(today=TODAY) if p.profile_id == crew.p1.pk]
    with pytest.raises(ValidationError) as raised:
        level_confirm(actor=crew.head1, proposal=proposal, reason=reason)
    assert "reason" in raised.value.message_dict
    crew.p1.refresh_from_db()
    assert crew.p1.level == 1 and not AuditEvent.objects.filter(action="workforce.level_confirm").exists()


def test_a_stale_proposal_is_refused(crew):
    [proposal] = [p for p in level_proposals_run(today=TODAY) if p.profile_id == crew.p1.pk]
    WorkerProfile.objects.filter(pk=crew.p1.pk).update(level=2)
    with pytest.raises(ValidationError, match="changed since"):
        level_confirm(actor=crew.head1, proposal=proposal, reason="x")


def test_a_head_is_only_a_manager_while_flagged(crew):
    assert selectors.is_manager(crew.head1)
    assert not selectors.is_manager(crew.staff1)
    assert set(selectors.profiles_managed(crew.head1)) == {crew.p1, crew.p1b, crew.ph1, crew.ps1}
    assert set(selectors.profiles_managed(crew.sub1)) == {crew.p1, crew.p1b, crew.ph1, crew.ps1}
    assert set(selectors.profiles_managed(crew.civil)) == set(WorkerProfile.objects.all())
    for outsider in (crew.w1, crew.resident, crew.partner, crew.staff1):
        assert not selectors.profiles_managed(outsider).exists()


def test_areas_served_are_the_workers_roles(crew, tree):
    assert selectors.areas_served(crew.p1) == [tree.g1]
    assert selectors.areas_served(crew.ph1) == [tree.c1]


def test_grid_contacts_show_the_grid_workers_work_phone(crew, tree):
    assert selectors.grid_contacts(tree.g1.pk) == [crew.p1]
    assert selectors.grid_contacts(tree.g1b.pk) == []  # no work phone


# --- handover --------------------------------------------------------------------------------------
def test_a_leaving_worker_hands_their_grid_over_in_one_step(crew, tree):
    moved = []

    def roster_hook(*, leaver, successor, grids, actor):
        moved.append((leaver, successor, grids))
        return {"visits": 0}

    handover_hook_register(roster_hook)
    try:
        services.worker_handover(actor=crew.head1, leaver=crew.p1, successor=crew.p1b)
    finally:
        HANDOVER_HOOKS.remove(roster_hook)
    assert not RoleAssignment.objects.filter(user=crew.w1, role=Role.GRID_WORKER).exists()
    assert set(RoleAssignment.objects.filter(user=crew.w1b, role=Role.GRID_WORKER).values_list("area", flat=True)) == {
        tree.g1.pk,
        tree.g1b.pk,
    }
    assert moved == [(crew.w1, crew.w1b, [tree.g1])]
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["role.revoke", "role.grant", "workforce.handover"]
    event = AuditEvent.objects.get(action="workforce.handover")
    # Each hook's answer under its module: this test's, and the visit roster's (which moves with the grid).
    assert event.details["grids"] == ["G1"] and event.details["moved"][__name__] == {"visits": 0}
    assert set(event.details["moved"]) == {__name__, "workforce.visits"}
    assert event.area_id == tree.g1.pk


def test_the_successor_must_work_in_the_same_community(crew):
    with pytest.raises(ValidationError, match="same community"):
        services.worker_handover(actor=crew.civil, leaver=crew.p1, successor=crew.p2)
    assert RoleAssignment.objects.filter(user=crew.w1, role=Role.GRID_WORKER).exists()
    assert not AuditEvent.objects.filter(action__in=["role.revoke", "workforce.handover"]).exists()


def test_handover_refuses_bad_input_and_outsiders(crew):
    with pytest.raises(ValidationError, match="someone other"):
        services.worker_handover(actor=crew.head1, leaver=crew.p1, successor=crew.p1)
    with pytest.raises(ValidationError, match="no grid"):
        services.worker_handover(actor=crew.head1, leaver=crew.ps1, successor=crew.p1)
    for outsider in (crew.head2, crew.staff1, crew.w1b, crew.resident):
        with pytest.raises(PermissionDenied):
            services.worker_handover(actor=outsider, leaver=crew.p1, successor=crew.p1b)
    crew.w1b.is_active = False
    crew.w1b.save()
    with pytest.raises(ValidationError, match="not active"):
        services.worker_handover(actor=crew.head1, leaver=crew.p1, successor=crew.p1b)
    assert RoleAssignment.objects.filter(user=crew.w1, role=Role.GRID_WORKER).count() == 1
    assert not AuditEvent.objects.filter(action="workforce.handover").exists()


# --- profiles --------------------------------------------------------------------------------------
def test_a_manager_writes_a_profile_with_the_personal_phone_encrypted(crew, make_user, tree):
    newcomer = make_user(Role.GRID_WORKER, tree.g1b)
    profile = services.profile_save(
        actor=crew.head1,
        user=newcomer,
        post=Post.OTHER,
        level=2,
        date_joined=date(2024, 1, 1),
        education=Education.BACHELOR,
        qualification=Qualification.ASSISTANT,
        skills=["elderly_care", "mediation", "elderly_care"],
        languages="普通话、南充话",
        work_phone="0817-2223334",
        personal_phone="13800138000",
    )
    assert profile.skills == ["elderly_care", "mediation"]
    assert "13800138000" not in profile.personal_phone_encrypted
    assert AuditEvent.objects.get(action="workforce.profile_create").actor == crew.head1
    services.profile_save(
        actor=crew.head1,
        user=newcomer,
        post=Post.OTHER,
        level=3,
        date_joined=date(2024, 1, 1),
        education=Education.BACHELOR,
    )
    assert AuditEvent.objects.get(action="workforce.profile_update").details["before"]["level"] == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"post": Post.HEAD, "level": 5}, "level"),
        ({"post": "boss"}, "post"),
        ({"education": "phd"}, "education"),
        ({"skills": ["juggling"]}, "skills"),
        ({"date_joined": date(2999, 1, 1)}, "date_joined"),
        ({"personal_phone": "12"}, "personal_phone"),
        ({"work_phone": "call me"}, "work_phone"),
    ],
)
def test_bad_profiles_say_why(crew, change, field):
    values = {
        "post": Post.OTHER,
        "level": 1,
        "date_joined": date(2020, 1, 1),
        "education": Education.SECONDARY,
    } | change
    with pytest.raises(ValidationError) as raised:
        services.profile_save(actor=crew.head1, user=crew.w1, **values)
    assert field in raised.value.message_dict
    crew.p1.refresh_from_db()
    assert crew.p1.date_joined == date(2015, 3, 1)


def test_profiles_only_by_their_managers_and_heads_only_by_officers(crew):
    values = {"post": Post.OTHER, "level": 1, "date_joined": date(2020, 1, 1), "education": Education.SECONDARY}
    for outsider in (crew.head2, crew.staff1, crew.w1b, crew.resident):
        with pytest.raises(PermissionDenied):
            services.profile_save(actor=outsider, user=crew.w1, **values)
    with pytest.raises(PermissionDenied):  # a head does not make another head
        services.profile_save(
            actor=crew.head1, user=crew.staff1, **(values | {"post": Post.DEPUTY, "level": 4, "is_head": True})
        )
    services.profile_save(
        actor=crew.sub1, user=crew.staff1, **(values | {"post": Post.DEPUTY, "level": 4, "is_head": True})
    )
    assert selectors.is_manager(crew.staff1)
