"""Proposals through their services: who may propose, support and answer; the threshold fixed at
publication; the answer deadline and the overdue sweep; notifications and audit; bad input."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from notifications.models import OutboxMessage
from participation.models import CommunityProposalSetting, Proposal, ProposalStatus, ProposalSupport
from participation.proposals import (
    ANSWER_DAYS,
    default_threshold,
    proposal_answer,
    proposal_create,
    proposal_done,
    proposal_start,
    proposal_support,
    proposal_support_withdraw,
    proposal_threshold_set,
    proposal_updates_sweep,
    proposals_sweep_overdue,
)
from participation.tests.poll_helpers import verified_resident
from security.audit_actions import ACTION_LABELS
from security.models import AuditEvent, Role
from security.services import user_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tree, make_user):
    return make_user(Role.COMMUNITY_STAFF, tree.c1)


@pytest.fixture
def author(tree):
    return verified_resident(tree.g1)


def _proposal(author, **overrides):
    fields = {"title": "增设电动车充电桩", "body": "小区东门附近需要充电桩", "category": "facilities"} | overrides
    return proposal_create(actor=author, **fields)


def tell_followers():
    """What the task started on commit does (tests run inside one transaction, so it never starts)."""
    return proposal_updates_sweep(older_than=timedelta(0))


def _with_threshold(staff, tree, threshold):
    proposal_threshold_set(actor=staff, community=tree.c1, threshold=threshold)


def test_a_verified_resident_proposes_in_their_community_with_the_threshold_of_the_moment(tree, author, staff):
    _with_threshold(staff, tree, 3)
    proposal = _proposal(author)
    assert proposal.community == tree.c1
    assert proposal.status == ProposalStatus.PUBLISHED
    assert proposal.support_threshold == 3
    _with_threshold(staff, tree, 7)
    proposal.refresh_from_db()
    assert proposal.support_threshold == 3  # fixed at publication
    assert AuditEvent.objects.filter(action="proposal.create", object_id=str(proposal.pk)).exists()


def test_the_default_threshold_is_five_percent_of_verified_residents_rounded_up_at_most_30(tree, author):
    assert default_threshold(tree.c1) == 1  # one verified resident: 5 % rounds up to 1
    for _i in range(20):
        verified_resident(tree.g1b)
    assert default_threshold(tree.c1) == 2  # 21 × 5 % = 1.05 → 2
    assert default_threshold(tree.c2) == 1


def test_unverified_and_anonymous_cannot_propose(db):
    from django.contrib.auth.models import AnonymousUser

    unverified = user_create(username="nobody", email="", password=PASSWORD)
    for actor in (unverified, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            _proposal(actor)
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "长" * 121}, "title"),
        ({"body": ""}, "body"),
        ({"body": "长" * 5001}, "body"),
        ({"category": "nonsense"}, "category"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(author, overrides, field):
    with pytest.raises(ValidationError) as refused:
        _proposal(author, **overrides)
    assert field in refused.value.message_dict
    assert not Proposal.objects.exists()


def test_support_counts_and_reaching_the_threshold_sets_the_answer_deadline_and_tells_people(tree, staff, author):
    _with_threshold(staff, tree, 2)
    proposal = _proposal(author)
    first, second = verified_resident(tree.g1), verified_resident(tree.g1b)
    proposal = proposal_support(actor=first, proposal=proposal)
    assert (proposal.support_count, proposal.status) == (1, ProposalStatus.PUBLISHED)
    with pytest.raises(ValidationError):
        proposal_support(actor=first, proposal=proposal)  # twice
    with pytest.raises(ValidationError):
        proposal_support(actor=author, proposal=proposal)  # own proposal
    before = timezone.now()
    proposal = proposal_support(actor=second, proposal=proposal)
    assert proposal.status == ProposalStatus.THRESHOLD_REACHED
    assert (
        before + timedelta(days=ANSWER_DAYS) <= proposal.answer_due_at <= timezone.now() + timedelta(days=ANSWER_DAYS)
    )
    assert not OutboxMessage.objects.filter(kind="proposal.threshold_reached").exists()  # told after commit
    tell_followers()
    told = set(OutboxMessage.objects.filter(kind="proposal.threshold_reached").values_list("recipient_id", flat=True))
    assert told == {author.pk, first.pk, second.pk}
    assert AuditEvent.objects.filter(action="proposal.threshold_reached").count() == 1
    with pytest.raises(ValidationError):
        proposal_support_withdraw(actor=first, proposal=proposal)  # too late to withdraw
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 2


def test_support_goes_on_until_the_answer_and_reaching_is_told_once(tree, staff, author):
    proposal = _reached(tree, staff, author)
    due = proposal.answer_due_at
    late = verified_resident(tree.g1b)
    proposal = proposal_support(actor=late, proposal=proposal)
    assert (proposal.support_count, proposal.status, proposal.answer_due_at) == (
        2,
        ProposalStatus.THRESHOLD_REACHED,
        due,
    )
    assert AuditEvent.objects.filter(action="proposal.threshold_reached").count() == 1
    proposal = proposal_answer(actor=staff, proposal=proposal, accepted=False, answer="场地不足")
    with pytest.raises(ValidationError):
        proposal_support(actor=verified_resident(tree.g1), proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.support_count == ProposalSupport.objects.filter(proposal=proposal).count() == 2


def test_withdrawing_support_before_the_threshold(tree, staff, author):
    _with_threshold(staff, tree, 5)
    proposal = _proposal(author)
    neighbour = verified_resident(tree.g1)
    proposal_support(actor=neighbour, proposal=proposal)
    proposal = proposal_support_withdraw(actor=neighbour, proposal=proposal)
    assert proposal.support_count == 0
    assert not ProposalSupport.objects.exists()
    with pytest.raises(ValidationError):
        proposal_support_withdraw(actor=neighbour, proposal=proposal)
    assert AuditEvent.objects.filter(action="proposal.support_withdraw").count() == 1


def test_outsiders_cannot_support(tree, staff, author):
    proposal = _proposal(author)
    other_community = verified_resident(tree.g2)
    unverified = user_create(username="unverified", email="", password=PASSWORD)
    for actor in (other_community, unverified, staff):
        with pytest.raises(PermissionDenied):
            proposal_support(actor=actor, proposal=proposal)
    proposal.refresh_from_db()
    assert proposal.support_count == 0
    assert not ProposalSupport.objects.exists()


def _reached(tree, staff, author):
    _with_threshold(staff, tree, 1)
    proposal = _proposal(author)
    return proposal_support(actor=verified_resident(tree.g1), proposal=proposal)


def test_staff_answer_accepted_then_in_progress_then_done(tree, staff, author, orgs):
    proposal = _reached(tree, staff, author)
    with pytest.raises(ValidationError) as refused:
        proposal_answer(actor=staff, proposal=proposal, accepted=True, answer="同意", plan="", organisation=None)
    assert {"plan", "organisation"} <= set(refused.value.message_dict)
    proposal = proposal_answer(
        actor=staff, proposal=proposal, accepted=True, answer="同意", plan="下月安装", organisation=orgs.dept
    )
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.responsible_organisation == orgs.dept
    with pytest.raises(ValidationError):
        proposal_done(actor=staff, proposal=proposal, note="完成")  # not in progress yet
    proposal = proposal_start(actor=staff, proposal=proposal)
    assert proposal.status == ProposalStatus.IN_PROGRESS
    with pytest.raises(ValidationError):
        proposal_done(actor=staff, proposal=proposal, note=" ")
    proposal = proposal_done(actor=staff, proposal=proposal, note="已安装4个充电桩")
    assert proposal.status == ProposalStatus.DONE
    tell_followers()
    for kind in ("proposal.answered", "proposal.in_progress", "proposal.done"):
        assert OutboxMessage.objects.filter(kind=kind, recipient=author).exists()
    assert {"proposal.answer", "proposal.start", "proposal.done"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_not_accepted_needs_reasons(tree, staff, author):
    proposal = _reached(tree, staff, author)
    with pytest.raises(ValidationError):
        proposal_answer(actor=staff, proposal=proposal, accepted=False, answer="")
    proposal = proposal_answer(actor=staff, proposal=proposal, accepted=False, answer="场地不足")
    assert proposal.status == ProposalStatus.NOT_ACCEPTED
    with pytest.raises(ValidationError):
        proposal_start(actor=staff, proposal=proposal)


def test_a_proposal_gathering_support_cannot_be_answered(tree, staff, author):
    _with_threshold(staff, tree, 5)
    proposal = _proposal(author)
    with pytest.raises(ValidationError):
        proposal_answer(actor=staff, proposal=proposal, accepted=False, answer="不行")


def test_staff_outside_the_community_and_residents_cannot_answer_or_set_the_threshold(tree, staff, author, make_user):
    proposal = _reached(tree, staff, author)
    for outsider in (make_user(Role.COMMUNITY_STAFF, tree.c2), make_user(Role.GRID_WORKER, tree.g1), author):
        with pytest.raises(PermissionDenied):
            proposal_answer(actor=outsider, proposal=proposal, accepted=False, answer="不行")
        with pytest.raises(PermissionDenied):
            proposal_threshold_set(actor=outsider, community=tree.c1, threshold=2)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.THRESHOLD_REACHED


@pytest.mark.parametrize("threshold", ["", "abc", 0, -3, 10001])
def test_a_bad_threshold_is_refused(tree, staff, threshold):
    with pytest.raises(ValidationError):
        proposal_threshold_set(actor=staff, community=tree.c1, threshold=threshold)
    assert not CommunityProposalSetting.objects.exists()


def test_the_overdue_sweep_marks_once_and_tells_the_subdistrict_officers(tree, staff, author, make_user):
    officer = make_user(Role.SUBDISTRICT_OFFICER, tree.s1)
    make_user(Role.SUBDISTRICT_OFFICER, tree.s2)  # another subdistrict: not told
    proposal = _reached(tree, staff, author)
    assert proposals_sweep_overdue() == 0  # not due yet
    later = proposal.answer_due_at + timedelta(minutes=1)
    assert proposals_sweep_overdue(now=later) == 1
    assert proposals_sweep_overdue(now=later) == 0  # idempotent
    proposal.refresh_from_db()
    assert proposal.is_overdue and proposal.escalated_at == later
    told = set(OutboxMessage.objects.filter(kind="proposal.overdue").values_list("recipient_id", flat=True))
    assert told == {officer.pk}
    assert AuditEvent.objects.filter(action="proposal.overdue").count() == 1
    # An answer still comes, late.
    proposal_answer(actor=staff, proposal=proposal, accepted=False, answer="经费不足")


def test_every_proposal_action_has_a_label():
    for action in (
        "proposal.create",
        "proposal.support",
        "proposal.support_withdraw",
        "proposal.threshold_reached",
        "proposal.answer",
        "proposal.start",
        "proposal.done",
        "proposal.overdue",
        "proposal.threshold_set",
    ):
        assert action in ACTION_LABELS


def test_the_beat_task_runs_the_sweep(tree, staff, author):
    from participation.tasks import proposals_sweep_overdue_task

    proposal = _reached(tree, staff, author)
    Proposal.objects.filter(pk=proposal.pk).update(answer_due_at=timezone.now() - timedelta(minutes=1))
    assert proposals_sweep_overdue_task() == 1
    assert proposals_sweep_overdue_task() == 0


def test_the_export_lists_proposals_made_and_supported_and_deletion_keeps_proposals_without_the_author(
    tree, staff, author
):
    from participation.proposal_data_rights import export_proposals
    from residents.data_rights import sections
    from residents.services import account_delete

    _with_threshold(staff, tree, 5)
    gathering = _proposal(author)
    neighbours_proposal = _proposal(verified_resident(tree.g1b), title="楼道照明")
    proposal_support(actor=author, proposal=neighbours_proposal)
    exported = export_proposals(author)
    with translation.override("en"):
        roles = [(str(row["role"]), row["proposal"]) for row in exported]
    assert roles == [
        ("Proposed", gathering.title),
        ("Supported", "楼道照明"),
        ("Followed", gathering.title),  # the author and supporters follow what they propose and support
        ("Followed", "楼道照明"),
    ]
    assert "proposals" in [section.name for section in sections()]

    account_delete(user=author, password=PASSWORD)
    gathering.refresh_from_db()
    neighbours_proposal.refresh_from_db()
    assert gathering.author is None and gathering.status == ProposalStatus.PUBLISHED
    assert neighbours_proposal.support_count == 0
    assert not ProposalSupport.objects.exists()
