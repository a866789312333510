"""Proposal comments and followers: who may comment (the community's verified residents, its staff
officially), limits and bad input, the bounded list on the page; who is told of what (followers, one
row per change whatever their number, each person once however often it runs); outsiders; data rights."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from notifications.models import OutboxMessage
from participation import proposals as steps
from participation.models import ProposalComment, ProposalFollow, ProposalStatus, ProposalUpdate
from participation.tests.poll_helpers import verified_resident
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


@pytest.fixture
def proposal(author):
    return steps.proposal_create(actor=author, title="增设电动车充电桩", body="东门附近", category="facilities")


def tell_followers():
    """What the task started on commit does (a test runs inside one transaction, so it never starts)."""
    return steps.proposal_updates_sweep(older_than=timedelta(0))


def told(kind):
    return set(OutboxMessage.objects.filter(kind=kind).values_list("recipient_id", flat=True))


# --- services -----------------------------------------------------------------------------------
def test_residents_of_the_community_comment_and_staff_comments_are_official(tree, staff, proposal):
    neighbour = verified_resident(tree.g1b)
    comment = steps.proposal_comment_add(actor=neighbour, proposal=proposal, body="  支持，东门确实需要  ")
    assert (comment.body, comment.is_official) == ("支持，东门确实需要", False)
    official = steps.proposal_comment_add(actor=staff, proposal=proposal, body="社区已在了解场地")
    assert official.is_official
    assert AuditEvent.objects.filter(action="proposal.comment").count() == 2


def test_outsiders_cannot_comment_and_bad_input_changes_nothing(tree, make_user, proposal):
    from django.contrib.auth.models import AnonymousUser

    outsiders = (
        verified_resident(tree.g2),  # another community's resident
        user_create(username="unverified", email="", password=PASSWORD),
        make_user(Role.COMMUNITY_STAFF, tree.c2),  # staff of another community
        AnonymousUser(),
    )
    for outsider in outsiders:
        with pytest.raises(PermissionDenied):
            steps.proposal_comment_add(actor=outsider, proposal=proposal, body="路过")
    neighbour = verified_resident(tree.g1b)
    for body in ("", "   ", "长" * (steps.COMMENT_MAX + 1)):
        with pytest.raises(ValidationError) as refused:
            steps.proposal_comment_add(actor=neighbour, proposal=proposal, body=body)
        assert "body" in refused.value.message_dict
    assert not ProposalComment.objects.exists()
    assert not AuditEvent.objects.filter(action="proposal.comment").exists()


def test_comments_are_rate_limited(tree, proposal):
    neighbour = verified_resident(tree.g1b)
    for n in range(steps.COMMENTS_PER_HOUR):
        steps.proposal_comment_add(actor=neighbour, proposal=proposal, body=f"第{n}条")
    with pytest.raises(ValidationError, match="many comments"):
        steps.proposal_comment_add(actor=neighbour, proposal=proposal, body="再一条")
    assert ProposalComment.objects.count() == steps.COMMENTS_PER_HOUR


def test_the_author_and_supporters_follow_and_anyone_signed_in_may_follow_or_unfollow(
    tree, staff, author, proposal, make_user
):
    supporter = verified_resident(tree.g1b)
    steps.proposal_support(actor=supporter, proposal=proposal)
    assert set(ProposalFollow.objects.values_list("user_id", flat=True)) == {author.pk, supporter.pk}
    reader = verified_resident(tree.g2)  # may read (anyone signed in), may not support
    steps.proposal_follow(actor=reader, proposal=proposal)
    with pytest.raises(ValidationError):
        steps.proposal_follow(actor=reader, proposal=proposal)
    steps.proposal_unfollow(actor=supporter, proposal=proposal)
    with pytest.raises(ValidationError):
        steps.proposal_unfollow(actor=supporter, proposal=proposal)
    assert set(ProposalFollow.objects.values_list("user_id", flat=True)) == {author.pk, reader.pk}
    assert AuditEvent.objects.filter(action__in=["proposal.follow", "proposal.unfollow"]).count() == 2


def test_every_change_tells_the_followers_once_and_not_the_unfollowed(tree, staff, author, proposal, orgs):
    steps.proposal_threshold_set(actor=staff, community=tree.c1, threshold=2)
    proposal.support_threshold = 2
    proposal.save(update_fields=["support_threshold"])
    first, second, quitter = verified_resident(tree.g1), verified_resident(tree.g1b), verified_resident(tree.g1b)
    reader = verified_resident(tree.g2)
    steps.proposal_follow(actor=reader, proposal=proposal)
    steps.proposal_support(actor=quitter, proposal=proposal)
    steps.proposal_support_withdraw(actor=quitter, proposal=proposal)
    steps.proposal_unfollow(actor=quitter, proposal=proposal)
    steps.proposal_support(actor=first, proposal=proposal)
    proposal = steps.proposal_support(actor=second, proposal=proposal)
    assert proposal.status == ProposalStatus.THRESHOLD_REACHED
    assert ProposalUpdate.objects.count() == 1  # one row, whatever the number of followers
    assert not told("proposal.threshold_reached")  # nobody until the change commits
    everyone = {author.pk, first.pk, second.pk, reader.pk}
    tell_followers()
    assert told("proposal.threshold_reached") == everyone
    proposal = steps.proposal_answer(
        actor=staff, proposal=proposal, accepted=True, answer="同意", plan="下月", organisation=orgs.dept
    )
    proposal = steps.proposal_start(actor=staff, proposal=proposal)
    steps.proposal_comment_add(actor=staff, proposal=proposal, body="施工队已进场")
    steps.proposal_done(actor=staff, proposal=proposal, note="已安装")
    tell_followers()
    sent = OutboxMessage.objects.count()
    # A retry of every change (the task run twice, the sweep) tells no one again.
    for update in ProposalUpdate.objects.all():
        ProposalUpdate.objects.filter(pk=update.pk).update(told_at=None)
        steps.proposal_update_tell(key=update.key)
    assert OutboxMessage.objects.count() == sent
    for kind in ("proposal.answered", "proposal.in_progress", "proposal.comment", "proposal.done"):
        assert told(kind) == everyone, kind
    assert quitter.pk not in {m.recipient_id for m in OutboxMessage.objects.all()}


def test_the_sweep_tells_changes_whose_task_was_lost_and_forgets_old_told_ones(tree, staff, author, proposal):
    from django.utils import timezone

    steps.proposal_comment_add(actor=staff, proposal=proposal, body="社区回复")
    assert steps.proposal_updates_sweep() == []  # just recorded: its own task is still due to run
    ProposalUpdate.objects.update(created_at=timezone.now() - steps.TELL_SWEEP_AFTER - timedelta(seconds=1))
    assert len(steps.proposal_updates_sweep()) == 1
    assert told("proposal.comment") == {author.pk}
    assert steps.proposal_updates_sweep() == []  # told: nothing left
    ProposalUpdate.objects.update(told_at=timezone.now() - steps.TELL_KEEP - timedelta(days=1))
    steps.proposal_updates_sweep()
    assert not ProposalUpdate.objects.exists()


def test_overdue_tells_the_followers_too(tree, staff, author, proposal):
    from django.utils import timezone

    steps.proposal_threshold_set(actor=staff, community=tree.c1, threshold=1)
    proposal.support_threshold = 1
    proposal.save(update_fields=["support_threshold"])
    supporter = verified_resident(tree.g1b)
    steps.proposal_support(actor=supporter, proposal=proposal)
    assert steps.proposals_sweep_overdue(now=timezone.now() + timedelta(days=steps.ANSWER_DAYS + 1)) == 1
    tell_followers()
    assert told("proposal.overdue") >= {author.pk, supporter.pk}


def test_residents_comments_tell_only_the_author_at_most_once_a_day(tree, author, proposal):
    neighbours = [verified_resident(tree.g1b) for _ in range(3)]
    steps.proposal_follow(actor=neighbours[0], proposal=proposal)
    for neighbour in neighbours:
        steps.proposal_comment_add(actor=neighbour, proposal=proposal, body="赞成")
    steps.proposal_comment_add(actor=author, proposal=proposal, body="谢谢大家")
    messages = OutboxMessage.objects.filter(kind="proposal.comments")
    assert set(messages.values_list("recipient_id", flat=True)) == {author.pk}
    assert messages.values("key").distinct().count() == 1
    assert not ProposalUpdate.objects.exists()  # followers are not told of residents' comments


def test_telling_a_large_proposal_takes_a_bounded_number_of_queries_in_the_change(tree, staff, author, proposal):
    """The change's own transaction writes one row; followers are told later, in batches."""
    readers = [user_create(username=f"reader{n}", email="", password=PASSWORD) for n in range(30)]
    for reader in readers:
        steps.proposal_follow(actor=reader, proposal=proposal)

    def comment_queries():
        with CaptureQueriesContext(connection) as captured:
            steps.proposal_comment_add(actor=staff, proposal=proposal, body="official")
        return len(captured)

    comment_queries()  # warm the caches (content types) the first audit event fills
    few = comment_queries()
    for n in range(30, 60):
        steps.proposal_follow(actor=user_create(username=f"reader{n}", email="", password=PASSWORD), proposal=proposal)
    assert comment_queries() == few
    assert tell_followers()
    assert len(told("proposal.comment")) == 61  # 60 readers and the author; not the staff who wrote
    assert OutboxMessage.objects.filter(kind="proposal.comment", recipient=staff).count() == 0


# --- pages --------------------------------------------------------------------------------------
def _detail(proposal):
    return reverse("participation:proposal_detail", args=[proposal.public_id])


def test_anonymous_is_sent_to_sign_in_for_every_new_action(client, proposal):
    for name in ("proposal_comment", "proposal_follow", "proposal_unfollow"):
        response = client.post(reverse(f"participation:{name}", args=[proposal.public_id]), {"body": "x"})
        assert response.status_code == 302 and "/accounts/login/" in response.url
    assert not ProposalComment.objects.exists()


def test_a_resident_comments_through_the_page_and_outsiders_are_refused(
    client, login, tree, make_user, author, proposal
):
    url = reverse("participation:proposal_comment", args=[proposal.public_id])
    for outsider in (verified_resident(tree.g2), make_user(), make_user(Role.COMMUNITY_STAFF, tree.c2)):
        login(outsider)
        page = client.get(_detail(proposal))
        assert page.status_code == 200 and not page.context["may_comment"]
        client.post(url, {"body": "路过看看"})
    assert not ProposalComment.objects.exists()
    neighbour = verified_resident(tree.g1b)
    login(neighbour)
    assert client.get(_detail(proposal)).context["may_comment"]
    response = client.post(url, {"body": ""})
    assert response.status_code == 302 and not ProposalComment.objects.exists()
    response = client.post(url, {"body": "同意，晚上充电不方便"})
    assert response.url == _detail(proposal)
    login(author)
    page = client.get(_detail(proposal))
    assert "同意，晚上充电不方便" in page.content.decode()
    assert neighbour.username not in page.content.decode()  # residents' comments show no name
    assert (
        client.get(reverse("participation:proposal_detail", args=["00000000-0000-0000-0000-000000000000"])).status_code
        == 404
    )


def test_staff_comment_is_marked_official_on_the_page(client, login, staff, proposal):
    login(staff)
    client.post(reverse("participation:proposal_comment", args=[proposal.public_id]), {"body": "社区会在下周回复"})
    assert ProposalComment.objects.get().is_official
    with translation.override("en"):
        page = client.get(_detail(proposal), HTTP_ACCEPT_LANGUAGE="en")
    assert "proposal-comment official" in page.content.decode()


def test_follow_and_unfollow_through_the_page(client, login, tree, proposal):
    reader = verified_resident(tree.g2)
    login(reader)
    assert not client.get(_detail(proposal)).context["following"]
    client.post(reverse("participation:proposal_follow", args=[proposal.public_id]))
    assert client.get(_detail(proposal)).context["following"]
    client.post(reverse("participation:proposal_unfollow", args=[proposal.public_id]))
    assert not ProposalFollow.objects.filter(user=reader).exists()


def test_the_comment_list_is_bounded_and_its_queries_do_not_grow(client, login, tree, staff, author, proposal):
    neighbours = [verified_resident(tree.g1b) for _ in range(3)]

    def count(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    steps.proposal_comment_add(actor=staff, proposal=proposal, body="first")
    login(author)
    before = count(_detail(proposal))
    for n in range(steps.COMMENTS_PAGE_SIZE + 5):
        steps.proposal_comment_add(actor=neighbours[n % 3], proposal=proposal, body=f"评论{n}")
    login(author)
    assert count(_detail(proposal)) == before
    page = client.get(_detail(proposal))
    assert len(page.context["comments"]) == steps.COMMENTS_PAGE_SIZE
    second = client.get(_detail(proposal), {"comments": 2})
    assert len(second.context["comments"]) == 6
    assert client.get(_detail(proposal), {"comments": "nonsense"}).status_code == 200


def test_export_lists_comments_and_follows_and_deletion_keeps_comments_anonymous(tree, staff, author, proposal):
    from participation.proposal_data_rights import export_proposals
    from residents.services import account_delete

    neighbour = verified_resident(tree.g1b)
    steps.proposal_follow(actor=neighbour, proposal=proposal)
    comment = steps.proposal_comment_add(actor=neighbour, proposal=proposal, body="我也想要")
    with translation.override("en"):
        rows = [(str(row["role"]), row.get("comment")) for row in export_proposals(neighbour)]
    assert rows == [("Commented", "我也想要"), ("Followed", None)]
    account_delete(user=neighbour, password=PASSWORD)
    comment.refresh_from_db()
    assert comment.author is None and comment.body == "我也想要"
    assert not ProposalFollow.objects.filter(proposal=proposal).exclude(user=author).exists()
