"""Writing residents' proposals (居民提议): a verified resident proposes something for their community,
verified neighbours support it, and when the support reaches the threshold fixed at publication the
community's staff must answer within ANSWER_DAYS (accepted with a plan and a responsible organisation,
or not accepted with reasons), then mark it in progress and done. An unanswered proposal past its
deadline is marked overdue by `proposals_sweep_overdue` and the subdistrict's officers are told.

Support and its withdrawal lock the proposal row, so however many supports race, the count stays in
step with the rows and exactly one of them reaches the threshold.

Who is told: the proposal's followers (`ProposalFollow`), the one list. The author and each supporter
are made followers; anyone signed in may follow or unfollow. Every change writes one `ProposalUpdate`
in its transaction, however many followers there are; a task started on commit tells them in batches
(`proposal_update_tell`), keyed per change and person, so a retry tells no one twice. Residents may
comment, and the staff over the community comment officially: an official comment tells every
follower; residents' comments tell only the author, at most once a day. See docs/participation.md,
"Proposals".
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from core.throttle import take_call
from directory.models import Area, Organisation
from notifications.services import notify
from participation.models import (
    CommunityProposalSetting,
    Proposal,
    ProposalCategory,
    ProposalComment,
    ProposalFollow,
    ProposalPhoto,
    ProposalPhotoStage,
    ProposalStatus,
    ProposalSupport,
    ProposalUpdate,
)
from residents.models import ResidentProfile
from residents.selectors import resident_own_profile
from security.audit import audit_record
from security.models import Role, User
from security.roles import PROPOSAL_ANSWER_ROLES, REQUEST_HANDLER_ROLES
from security.scoping import covers_area
from security.selectors import users_with_role
from services.photos import CleanPhoto, photos_clean

TITLE_MAX = 120
BODY_MAX = 5000
ANSWER_MAX = 5000
ANSWER_DAYS = 15
# Neighbours keep supporting a proposal until the community answers it: reaching the threshold obliges
# an answer, and the count still says how many want it. Withdrawing is possible only before the
# threshold, so the obligation, once there, cannot be undone.
SUPPORT_OPEN_STATUSES = frozenset({ProposalStatus.PUBLISHED, ProposalStatus.THRESHOLD_REACHED})
# The default threshold: 5 % of the community's verified residents, rounded up, but never above this.
DEFAULT_THRESHOLD_CAP = 30
THRESHOLD_SHARE = 0.05
THRESHOLD_MAX = 10000
COMMENT_MAX = 1000
# A person comments at most this many times an hour: a conversation, not a flood.
COMMENTS_PER_HOUR = 20
COMMENTS_PAGE_SIZE = 20
TELL_BATCH_SIZE = 500
# A change not told after this long lost its task (or worker): the hourly sweep tells it.
TELL_SWEEP_AFTER = timedelta(minutes=2)
TELL_KEEP = timedelta(days=90)
# Who may see a hidden proposal or comment besides its author: the staff who answer the proposal
# and those who moderate its community (participation.moderation.MODERATOR_ROLES).
HIDDEN_READER_ROLES = PROPOSAL_ANSWER_ROLES | REQUEST_HANDLER_ROLES


# --- who may do what ---------------------------------------------------------------------------
def can_answer_proposal(*, actor: User, proposal: Proposal) -> bool:
    return covers_area(actor, proposal.community, PROPOSAL_ANSWER_ROLES)


def _check_staff(actor: User, community: Area) -> None:
    if not covers_area(actor, community, PROPOSAL_ANSWER_ROLES):
        raise PermissionDenied(_("Only this community's staff can do this."))


def _resident_of(user: User, community: Area) -> ResidentProfile:
    """The user's register entry if they are a verified resident of `community`, else PermissionDenied."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Sign in first."))
    profile = resident_own_profile(user=user)
    if profile is None:
        raise PermissionDenied(_("Only verified residents can do this. Verify your residence first."))
    if not profile.household.grid.is_within(community):
        raise PermissionDenied(_("This proposal is for residents of another community."))
    return profile


def community_of(user: User) -> Area | None:
    """The community of a verified resident (their grid's parent), or None."""
    profile = resident_own_profile(user=user)
    return profile.household.grid.parent if profile else None


# --- the threshold -----------------------------------------------------------------------------
def default_threshold(community: Area) -> int:
    verified = ResidentProfile.objects.filter(user__isnull=False, household__grid__path__startswith=community.path)
    return max(1, min(math.ceil(verified.count() * THRESHOLD_SHARE), DEFAULT_THRESHOLD_CAP))


def community_threshold(community: Area) -> int:
    setting = CommunityProposalSetting.objects.filter(community=community).first()
    return setting.support_threshold if setting else default_threshold(community)


@transaction.atomic
def proposal_threshold_set(*, actor: User, community: Area, threshold) -> CommunityProposalSetting:
    """Set the supporters a new proposal in `community` needs; proposals already published keep theirs."""
    _check_staff(actor, community)
    if community.kind != Area.Kind.COMMUNITY:
        raise ValidationError(_("A threshold is set for a community."))
    try:
        threshold = int(threshold)
    except (TypeError, ValueError):
        raise ValidationError({"threshold": _("Give a whole number of supporters.")}) from None
    if not 1 <= threshold <= THRESHOLD_MAX:
        raise ValidationError({"threshold": _("Give a number of supporters between 1 and 10000.")})
    setting, _created = CommunityProposalSetting.objects.update_or_create(
        community=community, defaults={"support_threshold": threshold, "set_by": actor}
    )
    audit_record(
        actor=actor,
        action="proposal.threshold_set",
        target=setting,
        details={"community": community.code, "threshold": threshold},
    )
    return setting


# --- telling people ----------------------------------------------------------------------------
def proposal_link(proposal: Proposal) -> str:
    return f"/proposals/{proposal.public_id}/"


def _tell_followers(
    proposal: Proposal, *, kind: str, key: str, title: str, body: str, exclude: User | None = None
) -> None:
    """Record, in the change's transaction, that the followers are to be told; one row whatever their
    number. A task started on commit tells them; recording the same `key` again changes nothing."""
    ProposalUpdate.objects.bulk_create(
        [
            ProposalUpdate(
                key=key,
                proposal=proposal,
                kind=kind,
                title=Truncator(" ".join(title.split())).chars(200),
                body=body,
                exclude_user=exclude,
            )
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: _queue_tell(key), robust=True)


def _queue_tell(key: str) -> None:
    from participation.tasks import proposal_update_tell_task

    proposal_update_tell_task.delay(key)


def proposal_update_tell(*, key: str, batch_size: int = TELL_BATCH_SIZE) -> int:
    """Tell the followers of one recorded change, a batch of followers per query and transaction.
    Returns how many were told; 0 when the change is unknown or already told. Running it again (a
    retry, the sweep) tells no one twice: each message is keyed per change and person."""
    update = ProposalUpdate.objects.select_related("proposal").filter(key=key, told_at__isnull=True).first()
    if update is None:
        return 0
    link = proposal_link(update.proposal)
    followers = (
        User.objects.filter(proposal_follows__proposal_id=update.proposal_id, is_active=True)
        .exclude(pk=update.exclude_user_id or 0)
        .order_by("pk")
    )
    told, last_pk = 0, 0
    while batch := list(followers.filter(pk__gt=last_pk)[:batch_size]):
        last_pk = batch[-1].pk
        with transaction.atomic():
            for user in batch:
                notify(
                    recipient=user,
                    kind=update.kind,
                    title=update.title,
                    body=update.body,
                    link=link,
                    key=f"{update.key}:to:{user.pk}",
                )
        told += len(batch)
    ProposalUpdate.objects.filter(pk=update.pk, told_at__isnull=True).update(told_at=timezone.now())
    return told


def proposal_updates_sweep(*, limit: int = 100, older_than: timedelta = TELL_SWEEP_AFTER) -> list[str]:
    """Tell the changes whose task was lost (broker down at commit, worker killed); returns their keys."""
    keys = list(
        ProposalUpdate.objects.filter(told_at__isnull=True, created_at__lte=timezone.now() - older_than)
        .order_by("created_at", "id")
        .values_list("key", flat=True)[:limit]
    )
    for key in keys:
        proposal_update_tell(key=key)
    # Told changes are kept a while for whoever looks into a complaint, then go; the messages'
    # own keys (in the outbox) still stop a late retry from telling anyone twice.
    ProposalUpdate.objects.filter(told_at__lt=timezone.now() - TELL_KEEP).delete()
    return keys


def _locked(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_related("community", "author").select_for_update(of=("self",)).get(pk=proposal.pk)


def _store_photos(*, proposal: Proposal, stage: str, actor: User, photos: list[CleanPhoto]) -> None:
    for cleaned in photos:
        photo = ProposalPhoto(
            proposal=proposal,
            stage=stage,
            content_type=cleaned.content_type,
            width=cleaned.width,
            height=cleaned.height,
            size=cleaned.content.size,
            uploaded_by=actor,
        )
        photo.image.save("photo", cleaned.content, save=False)
        photo.save()


# --- residents: propose, support, withdraw -----------------------------------------------------
@transaction.atomic
def proposal_create(*, actor: User, title: str, body: str, category: str, photos=None) -> Proposal:
    """Publish a proposal in the author's own community, with the community's threshold of the moment
    and up to 6 photos (cleaned by services.photos: EXIF dropped, only real JPEG, PNG or WebP)."""
    community = community_of(actor) if actor.is_authenticated else None
    if community is None:
        raise PermissionDenied(_("Only verified residents can make a proposal. Verify your residence first."))
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        errors.setdefault("title", []).append(_("Give the proposal a title."))
    elif len(title) > TITLE_MAX:
        errors.setdefault("title", []).append(_("The title is too long."))
    if not body:
        errors.setdefault("body", []).append(_("Say what you propose."))
    elif len(body) > BODY_MAX:
        errors.setdefault("body", []).append(_("The proposal is too long."))
    if category not in ProposalCategory.values:
        errors.setdefault("category", []).append(_("Choose a category."))
    try:
        cleaned = photos_clean(photos)
    except ValidationError as exc:
        errors["photos"] = exc.messages
    if errors:
        raise ValidationError(errors)
    proposal = Proposal.objects.create(
        community=community,
        author=actor,
        title=title,
        body=body,
        category=category,
        support_threshold=community_threshold(community),
    )
    _store_photos(proposal=proposal, stage=ProposalPhotoStage.PROPOSAL, actor=actor, photos=cleaned)
    followers_add(proposal, [actor])
    audit_record(
        actor=actor,
        action="proposal.create",
        target=proposal,
        details={"community": community.code, "photos": len(cleaned)},
    )
    return proposal


@transaction.atomic
def proposal_support(*, actor: User, proposal: Proposal) -> Proposal:
    """Add `actor`'s support. The row lock makes concurrent supports count one by one, so exactly one
    of them reaches the threshold and tells people."""
    proposal = _locked(proposal)
    _resident_of(actor, proposal.community)
    if proposal.status not in SUPPORT_OPEN_STATUSES:
        raise ValidationError(_("This proposal no longer gathers support."))
    if proposal.hidden_at is not None:
        raise ValidationError(_("This proposal was hidden by the community's staff."))
    if proposal.author_id == actor.pk:
        raise ValidationError(_("You cannot support your own proposal."))
    if ProposalSupport.objects.filter(proposal=proposal, user=actor).exists():
        raise ValidationError(_("You already support this proposal."))
    ProposalSupport.objects.create(proposal=proposal, user=actor)
    followers_add(proposal, [actor])
    proposal.support_count += 1
    fields = ["support_count", "updated_at"]
    reached = proposal.status == ProposalStatus.PUBLISHED and proposal.support_count >= proposal.support_threshold
    now = timezone.now()
    if reached:
        proposal.status = ProposalStatus.THRESHOLD_REACHED
        proposal.threshold_reached_at = now
        proposal.answer_due_at = now + timedelta(days=ANSWER_DAYS)
        fields += ["status", "threshold_reached_at", "answer_due_at"]
    proposal.save(update_fields=fields)
    audit_record(actor=actor, action="proposal.support", target=proposal)
    if reached:
        audit_record(
            actor=None,
            action="proposal.threshold_reached",
            target=proposal,
            details={"supporters": proposal.support_count},
        )
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Enough support: %(title)s") % {"title": proposal.title}
            body = _("The proposal has %(count)d supporters. The community will answer by %(due)s.") % {
                "count": proposal.support_count,
                "due": timezone.localtime(proposal.answer_due_at).strftime("%Y-%m-%d"),
            }
        _tell_followers(
            proposal, kind="proposal.threshold_reached", key=f"proposal:{proposal.pk}:reached", title=title, body=body
        )
    return proposal


@transaction.atomic
def proposal_support_withdraw(*, actor: User, proposal: Proposal) -> Proposal:
    """Withdraw `actor`'s support, while the proposal still gathers support."""
    proposal = _locked(proposal)
    if proposal.status != ProposalStatus.PUBLISHED:
        raise ValidationError(_("Support can be withdrawn only while the proposal gathers support."))
    deleted, _rows = ProposalSupport.objects.filter(proposal=proposal, user=actor).delete()
    if not deleted:
        raise ValidationError(_("You do not support this proposal."))
    proposal.support_count -= 1
    proposal.save(update_fields=["support_count", "updated_at"])
    audit_record(actor=actor, action="proposal.support_withdraw", target=proposal)
    return proposal


# --- staff: answer, in progress, done ----------------------------------------------------------
def _checked_text(value: str, field: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [missing]})
    if len(value) > ANSWER_MAX:
        raise ValidationError({field: [_("This text is too long.")]})
    return value


@transaction.atomic
def proposal_answer(
    *,
    actor: User,
    proposal: Proposal,
    accepted: bool,
    answer: str,
    plan: str = "",
    organisation: Organisation | None = None,
) -> Proposal:
    """The community's answer to a proposal that reached its threshold: accepted with a plan and the
    organisation responsible, or not accepted with the reasons in `answer`."""
    proposal = _locked(proposal)
    _check_staff(actor, proposal.community)
    if proposal.status != ProposalStatus.THRESHOLD_REACHED:
        raise ValidationError(_("Only a proposal with enough support that is not yet answered can be answered."))
    errors: dict[str, list[str]] = {}
    answer = (answer or "").strip()
    plan = (plan or "").strip()
    if not answer:
        errors.setdefault("answer", []).append(
            _("Give the answer.") if accepted else _("Give the reasons the proposal is not accepted.")
        )
    elif len(answer) > ANSWER_MAX:
        errors.setdefault("answer", []).append(_("This text is too long."))
    if accepted:
        if not plan:
            errors.setdefault("plan", []).append(_("Say how and when it will be done."))
        elif len(plan) > ANSWER_MAX:
            errors.setdefault("plan", []).append(_("This text is too long."))
        if organisation is None:
            errors.setdefault("organisation", []).append(_("Choose the organisation responsible."))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    proposal.status = ProposalStatus.ACCEPTED if accepted else ProposalStatus.NOT_ACCEPTED
    proposal.answer = answer
    proposal.plan = plan if accepted else ""
    proposal.responsible_organisation = organisation if accepted else None
    proposal.answered_by, proposal.answered_at = actor, now
    proposal.save(
        update_fields=[
            "status",
            "answer",
            "plan",
            "responsible_organisation",
            "answered_by",
            "answered_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="proposal.answer",
        target=proposal,
        details={
            "accepted": accepted,
            "organisation": organisation.code if accepted else None,
            "late": now > proposal.answer_due_at,
        },
    )
    with translation.override(settings.LANGUAGE_CODE):
        title = (_("Accepted: %(title)s") if accepted else _("Not accepted: %(title)s")) % {"title": proposal.title}
        _tell_followers(
            proposal,
            kind="proposal.answered",
            key=f"proposal:{proposal.pk}:answered",
            title=title,
            body=answer,
            exclude=actor,
        )
    return proposal


@transaction.atomic
def proposal_start(*, actor: User, proposal: Proposal, note: str = "") -> Proposal:
    """An accepted proposal's work has begun."""
    proposal = _locked(proposal)
    _check_staff(actor, proposal.community)
    if proposal.status != ProposalStatus.ACCEPTED:
        raise ValidationError(_("Only an accepted proposal can be put in progress."))
    note = (note or "").strip()
    if len(note) > ANSWER_MAX:
        raise ValidationError({"note": [_("This text is too long.")]})
    proposal.status = ProposalStatus.IN_PROGRESS
    proposal.progress_note = note
    proposal.save(update_fields=["status", "progress_note", "updated_at"])
    audit_record(actor=actor, action="proposal.start", target=proposal)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Work has begun: %(title)s") % {"title": proposal.title}
        _tell_followers(
            proposal,
            kind="proposal.in_progress",
            key=f"proposal:{proposal.pk}:in_progress",
            title=title,
            body=note or proposal.plan,
            exclude=actor,
        )
    return proposal


@transaction.atomic
def proposal_done(*, actor: User, proposal: Proposal, note: str, photos=None) -> Proposal:
    """A proposal in progress is done; `note` says what was done, with up to 6 photos of the work."""
    proposal = _locked(proposal)
    _check_staff(actor, proposal.community)
    if proposal.status != ProposalStatus.IN_PROGRESS:
        raise ValidationError(_("Only a proposal in progress can be marked done."))
    note = _checked_text(note, "note", _("Say what was done."))
    try:
        cleaned = photos_clean(photos)
    except ValidationError as exc:
        raise ValidationError({"photos": exc.messages}) from None
    proposal.status = ProposalStatus.DONE
    proposal.progress_note = note
    proposal.done_at = timezone.now()
    proposal.save(update_fields=["status", "progress_note", "done_at", "updated_at"])
    _store_photos(proposal=proposal, stage=ProposalPhotoStage.DONE, actor=actor, photos=cleaned)
    audit_record(actor=actor, action="proposal.done", target=proposal, details={"photos": len(cleaned)})
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Done: %(title)s") % {"title": proposal.title}
        _tell_followers(
            proposal, kind="proposal.done", key=f"proposal:{proposal.pk}:done", title=title, body=note, exclude=actor
        )
    from participation.projects import project_requests_resolve  # here: participation.projects imports this module

    project_requests_resolve(actor=actor, proposal=proposal, note=note)
    return proposal


# --- the overdue sweep -------------------------------------------------------------------------
@transaction.atomic
def proposal_mark_overdue(*, proposal: Proposal, now: datetime | None = None) -> bool:
    """Mark one unanswered proposal past its deadline overdue and tell the subdistrict's officers.
    Safe to run twice: the second run finds it marked. Returns whether it marked it."""
    now = now or timezone.now()
    proposal = _locked(proposal)
    if proposal.status != ProposalStatus.THRESHOLD_REACHED or proposal.is_overdue or proposal.answer_due_at > now:
        return False
    proposal.is_overdue, proposal.escalated_at = True, now
    proposal.save(update_fields=["is_overdue", "escalated_at", "updated_at"])
    audit_record(actor=None, action="proposal.overdue", target=proposal, details={"community": proposal.community.code})
    officers = users_with_role(role=Role.SUBDISTRICT_OFFICER, area=proposal.community.parent)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Proposal not answered in time: %(title)s") % {"title": proposal.title}
        body = _("A proposal in %(community)s reached its support on %(reached)s and was due an answer by %(due)s.") % {
            "community": proposal.community.name,
            "reached": timezone.localtime(proposal.threshold_reached_at).strftime("%Y-%m-%d"),
            "due": timezone.localtime(proposal.answer_due_at).strftime("%Y-%m-%d"),
        }
        for officer in officers:
            notify(
                recipient=officer,
                kind="proposal.overdue",
                title=title,
                body=body,
                link=proposal_link(proposal),
                key=f"proposal:{proposal.pk}:overdue:{officer.pk}",
            )
        _tell_followers(
            proposal,
            kind="proposal.overdue",
            key=f"proposal:{proposal.pk}:overdue",
            title=_("Not answered in time: %(title)s") % {"title": proposal.title},
            body=_("The community did not answer by %(due)s. The subdistrict has been told and will follow it up.")
            % {"due": timezone.localtime(proposal.answer_due_at).strftime("%Y-%m-%d")},
        )
    return True


def proposals_sweep_overdue(now: datetime | None = None) -> int:
    """Mark every unanswered proposal past its deadline overdue (the beat task). Returns how many.
    The same hourly run tells the followers of changes whose task was lost."""
    now = now or timezone.now()
    proposal_updates_sweep()
    due = Proposal.objects.filter(
        status=ProposalStatus.THRESHOLD_REACHED, is_overdue=False, answer_due_at__lte=now
    ).values_list("pk", flat=True)
    return sum(proposal_mark_overdue(proposal=Proposal(pk=pk), now=now) for pk in list(due))


# --- following ---------------------------------------------------------------------------------
def followers_add(proposal: Proposal, users) -> None:
    """Make `users` followers, as the author, supporters and the requesters of a project's requests
    become without asking; those already following stay as they are."""
    ProposalFollow.objects.bulk_create(
        [ProposalFollow(proposal=proposal, user=user) for user in users], ignore_conflicts=True
    )


def is_following(*, user: User, proposal: Proposal) -> bool:
    return user.is_authenticated and ProposalFollow.objects.filter(proposal=proposal, user=user).exists()


@transaction.atomic
def proposal_follow(*, actor: User, proposal: Proposal) -> None:
    """Anyone who may read the proposal (anyone signed in) follows it: told of every change."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Sign in first."))
    follow, created = ProposalFollow.objects.get_or_create(proposal=proposal, user=actor)
    if not created:
        raise ValidationError(_("You already follow this proposal."))
    audit_record(actor=actor, action="proposal.follow", target=proposal)


@transaction.atomic
def proposal_unfollow(*, actor: User, proposal: Proposal) -> None:
    """Stop being told of the proposal's changes (the author and supporters too, if they wish)."""
    if not actor.is_authenticated:
        raise PermissionDenied(_("Sign in first."))
    deleted, _rows = ProposalFollow.objects.filter(proposal=proposal, user=actor).delete()
    if not deleted:
        raise ValidationError(_("You do not follow this proposal."))
    audit_record(actor=actor, action="proposal.unfollow", target=proposal)


# --- comments ----------------------------------------------------------------------------------
def may_see_hidden(*, user: User, proposal: Proposal) -> bool:
    """The author and the staff over the community still read hidden content, marked as hidden."""
    if not user.is_authenticated:
        return False
    return proposal.author_id == user.pk or covers_area(user, proposal.community, HIDDEN_READER_ROLES)


def may_comment(*, user: User, proposal: Proposal, own_community: Area | None) -> bool:
    """`own_community` is community_of(user), which the caller has already looked up."""
    if not user.is_authenticated or proposal.hidden_at is not None:
        return False
    if can_answer_proposal(actor=user, proposal=proposal):
        return True
    return own_community is not None and own_community.pk == proposal.community_id


def proposal_comments_for(*, user: User, proposal: Proposal) -> QuerySet[ProposalComment]:
    """The comments `user` may read on the proposal's page, oldest first: hidden ones only for the
    staff over the community and for their own writer."""
    comments = ProposalComment.objects.filter(proposal=proposal).order_by("created_at", "id")
    if covers_area(user, proposal.community, HIDDEN_READER_ROLES):
        return comments
    return comments.filter(Q(hidden_at__isnull=True) | Q(author_id=user.pk))


@transaction.atomic
def proposal_comment_add(*, actor: User, proposal: Proposal, body: str) -> ProposalComment:
    """A verified resident of the proposal's community, or the staff over it (an official comment),
    comments. An official comment tells every follower; a resident's tells the author, at most once a
    day (a message a comment would be noise on a busy proposal)."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Sign in first."))
    proposal = Proposal.objects.select_related("community", "author").get(pk=proposal.pk)
    official = can_answer_proposal(actor=actor, proposal=proposal)
    if not official:
        _resident_of(actor, proposal.community)
    if proposal.hidden_at is not None:
        raise ValidationError(_("This proposal was hidden by the community's staff; comments are closed."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write your comment.")]})
    if len(body) > COMMENT_MAX:
        raise ValidationError({"body": [_("A comment has at most %(limit)d characters.") % {"limit": COMMENT_MAX}]})
    allowed, _seconds = take_call(f"proposal-comment:{actor.pk}", limit=COMMENTS_PER_HOUR, window_seconds=3600)
    if not allowed:
        raise ValidationError(_("You have written many comments in the last hour. Please try again later."))
    comment = ProposalComment.objects.create(proposal=proposal, author=actor, body=body, is_official=official)
    audit_record(
        actor=actor,
        action="proposal.comment",
        target=comment,
        details={"proposal": str(proposal.public_id), "official": official},
        area=proposal.community,
    )
    with translation.override(settings.LANGUAGE_CODE):
        if official:
            _tell_followers(
                proposal,
                kind="proposal.comment",
                key=f"proposal:{proposal.pk}:comment:{comment.pk}",
                title=_("The community commented: %(title)s") % {"title": proposal.title},
                body=Truncator(body).chars(300),
                exclude=actor,
            )
        elif proposal.author_id and proposal.author_id != actor.pk and proposal.author.is_active:
            day = timezone.localdate().isoformat()
            notify(
                recipient=proposal.author,
                kind="proposal.comments",
                title=_("New comments on your proposal: %(title)s") % {"title": proposal.title},
                body=_("Neighbours commented on your proposal. Read them on its page."),
                link=proposal_link(proposal),
                key=f"proposal:{proposal.pk}:comments:{day}:to:{proposal.author_id}",
            )
    return comment


# --- hiding, as moderators decide (participation.moderation) -------------------------------------
def _check_moderator(actor: User, proposal: Proposal) -> None:
    if not covers_area(actor, proposal.community, REQUEST_HANDLER_ROLES):
        raise PermissionDenied(_("Only the staff over this community decide what the public sees."))


@transaction.atomic
def proposal_hide(*, actor: User, proposal: Proposal, reason: str) -> Proposal:
    """Hide a proposal's title, text and photos from everyone but its author and the staff over its
    community; it gathers no more support or comments. Hiding again keeps the first time."""
    proposal = _locked(proposal)
    _check_moderator(actor, proposal)
    proposal.hidden_at = proposal.hidden_at or timezone.now()
    proposal.hidden_reason = reason
    proposal.save(update_fields=["hidden_at", "hidden_reason", "updated_at"])
    audit_record(actor=actor, action="proposal.hide", target=proposal, details={"reason": reason})
    return proposal


@transaction.atomic
def proposal_comment_hide(*, actor: User, comment: ProposalComment, reason: str) -> ProposalComment:
    """Take a comment off the proposal's page for everyone but its writer and the staff over the community."""
    comment = ProposalComment.objects.select_for_update().select_related("proposal__community").get(pk=comment.pk)
    _check_moderator(actor, comment.proposal)
    comment.hidden_at = comment.hidden_at or timezone.now()
    comment.hidden_reason = reason
    comment.save(update_fields=["hidden_at", "hidden_reason", "updated_at"])
    audit_record(actor=actor, action="proposal.comment_hide", target=comment, details={"reason": reason})
    return comment
