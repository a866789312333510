"""Writing polls and consultations (民意调查): staff draft a poll for their area's subtree, change it
until it opens, close it early; verified residents cast one secret ballot each.

The secret ballot (docs/participation.md, "Polls and the secret ballot"): `ballot_cast` writes the
person's `PollVoter` row ("has voted", unique per poll for the account and for the register entry)
and an anonymous `Ballot` with its answers in one transaction, so the database allows one ballot
per resident; nothing written links the two, and the audit event says only "voted in poll X".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Area
from participation.models import (
    Ballot,
    BallotAnswer,
    Poll,
    PollOption,
    PollQuestion,
    PollQuestionKind,
    PollResultsShown,
    PollVoter,
    Proposal,
)
from residents.models import ResidentProfile
from residents.selectors import resident_own_profile
from security.audit import audit_record
from security.models import User
from security.roles import PARTICIPATION_ORGANISER_ROLES
from security.scoping import covers_area

# Staff who run polls for their own area's subtree.
TITLE_MAX = 120
DESCRIPTION_MAX = 5000
QUESTION_MAX = 500
OPTION_MAX = 200
OPTIONS_MAX = 30
QUESTIONS_MAX = 30
FREE_TEXT_MAX = 2000

ALREADY_VOTED = "poll_voter_once"


def can_manage_poll(*, actor: User, poll: Poll) -> bool:
    return covers_area(actor, poll.area, PARTICIPATION_ORGANISER_ROLES)


def poll_state(poll: Poll, now: datetime | None = None) -> str:
    """ "draft" before it opens, "open", or "closed"."""
    now = now or timezone.now()
    if now < poll.opens_at:
        return "draft"
    if now < poll.closes_at:
        return "open"
    return "closed"


def _locked(poll: Poll) -> Poll:
    return Poll.objects.select_related("area").select_for_update(of=("self",)).get(pk=poll.pk)


def _check_manager(actor: User, area: Area | None) -> None:
    if area is None or not covers_area(actor, area, PARTICIPATION_ORGANISER_ROLES):
        raise PermissionDenied(_("You can run polls only in your own area."))


def _checked_proposal(proposal: Proposal | None, area: Area) -> Proposal | None:
    """A poll may ask about a proposal of a community within its area (a community's or a
    subdistrict's poll; a grid's poll asks about none)."""
    if proposal is not None and not proposal.community.is_within(area):
        raise ValidationError(
            {"proposal": _("Choose a proposal of a community within the poll's area (%(area)s).") % {"area": area.name}}
        )
    return proposal


def _checked_details(*, title: str, description: str, opens_at, closes_at, results_shown: str, now) -> dict:
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        errors.setdefault("title", []).append(_("Give the poll a title."))
    elif len(title) > TITLE_MAX:
        errors.setdefault("title", []).append(_("The title is too long."))
    if len(description) > DESCRIPTION_MAX:
        errors.setdefault("description", []).append(_("The description is too long."))
    if opens_at is None:
        errors.setdefault("opens_at", []).append(_("Give the time the poll opens."))
    elif opens_at <= now:
        errors.setdefault("opens_at", []).append(_("The poll must open in the future: it cannot be changed once open."))
    if closes_at is None:
        errors.setdefault("closes_at", []).append(_("Give the time the poll closes."))
    elif opens_at is not None and closes_at <= opens_at:
        errors.setdefault("closes_at", []).append(_("The poll must close after it opens."))
    if results_shown not in PollResultsShown.values:
        errors.setdefault("results_shown", []).append(_("Choose when the results are shown."))
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "description": description,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "results_shown": results_shown,
    }


@transaction.atomic
def poll_create(
    *,
    actor: User,
    area: Area | None,
    title: str,
    description: str = "",
    opens_at: datetime | None,
    closes_at: datetime | None,
    results_shown: str = PollResultsShown.AFTER_CLOSING,
    proposal: Proposal | None = None,
) -> Poll:
    """A poll for `area`'s subtree, in draft until it opens, optionally about a proposal of a
    community within the area. Questions are added next."""
    _check_manager(actor, area)
    fields = _checked_details(
        title=title,
        description=description,
        opens_at=opens_at,
        closes_at=closes_at,
        results_shown=results_shown,
        now=timezone.now(),
    )
    proposal = _checked_proposal(proposal, area)
    poll = Poll.objects.create(area=area, created_by=actor, proposal=proposal, **fields)
    audit_record(
        actor=actor,
        action="poll.create",
        target=poll,
        details={"area": area.code, "proposal": str(proposal.public_id) if proposal else None},
    )
    return poll


def _check_still_draft(poll: Poll) -> None:
    if poll_state(poll) != "draft":
        raise ValidationError(_("This poll has opened: it can no longer be changed, only closed."))


@transaction.atomic
def poll_update(
    *,
    actor: User,
    poll: Poll,
    title: str,
    description: str = "",
    opens_at: datetime | None,
    closes_at: datetime | None,
    results_shown: str,
    proposal: Proposal | None = None,
) -> Poll:
    poll = _locked(poll)
    _check_manager(actor, poll.area)
    _check_still_draft(poll)
    fields = _checked_details(
        title=title,
        description=description,
        opens_at=opens_at,
        closes_at=closes_at,
        results_shown=results_shown,
        now=timezone.now(),
    )
    fields["proposal"] = _checked_proposal(proposal, poll.area)
    changed = [name for name, value in fields.items() if getattr(poll, name) != value]
    for name, value in fields.items():
        setattr(poll, name, value)
    poll.save(update_fields=[*fields, "updated_at"])
    audit_record(actor=actor, action="poll.update", target=poll, details={"changed": changed})
    return poll


@transaction.atomic
def poll_question_add(
    *, actor: User, poll: Poll, kind: str, text: str, options: list[str], max_choices: int | None = None
) -> PollQuestion:
    """Add a question at the end of a draft poll. Choice questions need at least two distinct
    options; a multiple-choice question allows at most `max_choices` ticks (default: all)."""
    poll = _locked(poll)
    _check_manager(actor, poll.area)
    _check_still_draft(poll)
    errors: dict[str, list[str]] = {}
    text = (text or "").strip()
    if kind not in PollQuestionKind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of question."))
    if not text:
        errors.setdefault("text", []).append(_("Write the question."))
    elif len(text) > QUESTION_MAX:
        errors.setdefault("text", []).append(_("The question is too long."))
    cleaned = [option.strip() for option in options if option and option.strip()]
    if kind == PollQuestionKind.TEXT:
        cleaned, max_choices = [], None
    else:
        if len(cleaned) < 2:
            errors.setdefault("options", []).append(_("Give at least two options, one a line."))
        elif len(cleaned) > OPTIONS_MAX:
            errors.setdefault("options", []).append(_("Give at most 30 options."))
        elif len(set(cleaned)) != len(cleaned):
            errors.setdefault("options", []).append(_("Each option must be different."))
        elif any(len(option) > OPTION_MAX for option in cleaned):
            errors.setdefault("options", []).append(_("An option is too long (200 characters at most)."))
        if kind == PollQuestionKind.SINGLE:
            max_choices = None
        elif max_choices is None:
            max_choices = len(cleaned)
        elif not 1 <= max_choices <= max(len(cleaned), 1):
            errors.setdefault("max_choices", []).append(
                _("The most choices allowed must be between 1 and the number of options.")
            )
    position = poll.questions.count()
    if position >= QUESTIONS_MAX:
        errors.setdefault("text", []).append(_("A poll has at most 30 questions."))
    if errors:
        raise ValidationError(errors)
    question = PollQuestion.objects.create(
        poll=poll, position=position + 1, kind=kind, text=text, max_choices=max_choices
    )
    PollOption.objects.bulk_create(
        PollOption(question=question, position=index, text=option) for index, option in enumerate(cleaned, 1)
    )
    audit_record(
        actor=actor, action="poll.question_add", target=poll, details={"question": question.position, "kind": kind}
    )
    return question


@transaction.atomic
def poll_question_remove(*, actor: User, poll: Poll, question_id: int) -> None:
    poll = _locked(poll)
    _check_manager(actor, poll.area)
    _check_still_draft(poll)
    question = poll.questions.filter(pk=question_id).first()
    if question is None:
        raise ValidationError(_("That question is not in this poll."))
    position = question.position
    question.delete()
    # Keep the numbering without gaps (1, 2, 3…) as it is shown.
    for index, later in enumerate(poll.questions.order_by("position"), 1):
        if later.position != index:
            PollQuestion.objects.filter(pk=later.pk).update(position=index)
    audit_record(actor=actor, action="poll.question_remove", target=poll, details={"question": position})


@transaction.atomic
def poll_close(*, actor: User, poll: Poll) -> Poll:
    """Close an open poll now, before its closing time: no more ballots; results and free-text
    answers show as after any closing."""
    poll = _locked(poll)
    _check_manager(actor, poll.area)
    now = timezone.now()
    state = poll_state(poll, now)
    if state == "draft":
        raise ValidationError(_("This poll has not opened yet: change its times instead."))
    if state == "closed":
        raise ValidationError(_("This poll is already closed."))
    scheduled = poll.closes_at
    poll.closes_at = now
    poll.closed_early_at = now
    poll.closed_early_by = actor
    poll.save(update_fields=["closes_at", "closed_early_at", "closed_early_by", "updated_at"])
    audit_record(
        actor=actor, action="poll.close_early", target=poll, details={"scheduled_close": scheduled.isoformat()}
    )
    return poll


# --- voting ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """Whether a person may vote in a poll: `profile` when they may, else the reason."""

    profile: ResidentProfile | None
    reason: str = ""


def poll_eligibility(*, user: User, poll: Poll) -> Eligibility:
    if not user.is_authenticated or not user.is_active:
        return Eligibility(None, _("Sign in to vote."))
    profile = resident_own_profile(user=user)
    if profile is None:
        return Eligibility(None, _("Only verified residents can vote. Verify your residence first."))
    if not profile.household.grid.is_within(poll.area):
        return Eligibility(None, _("This poll is for residents of another area."))
    return Eligibility(profile)


def _answers_checked(poll: Poll, answers: dict) -> list[BallotAnswer]:
    """The ballot's answer rows from `answers` ({question id: [option ids]} for choice questions,
    {question id: "text"} for free text), or ValidationError naming what is wrong."""
    questions = list(poll.questions.prefetch_related("options"))
    if not questions:
        raise ValidationError(_("This poll has no questions."))
    known = {question.pk for question in questions}
    if any(key not in known for key in answers):
        raise ValidationError(_("An answer is for a question that is not in this poll."))
    rows: list[BallotAnswer] = []
    errors: list[str] = []
    for question in questions:
        given = answers.get(question.pk)
        number = question.position
        if question.kind == PollQuestionKind.TEXT:
            text = (given or "").strip() if isinstance(given, str) else ""
            if given is not None and not isinstance(given, str):
                errors.append(_("Question %(number)s takes written text.") % {"number": number})
            elif len(text) > FREE_TEXT_MAX:
                errors.append(_("Your answer to question %(number)s is too long.") % {"number": number})
            elif text:
                rows.append(BallotAnswer(question=question, text=text))
            continue
        chosen = list(given or [])
        options = {option.pk: option for option in question.options.all()}
        if not chosen:
            errors.append(_("Answer question %(number)s.") % {"number": number})
            continue
        if len(set(chosen)) != len(chosen):
            errors.append(_("An option of question %(number)s is chosen twice.") % {"number": number})
            continue
        if any(option_id not in options for option_id in chosen):
            errors.append(_("An option chosen for question %(number)s is not one of its options.") % {"number": number})
            continue
        if question.kind == PollQuestionKind.SINGLE and len(chosen) > 1:
            errors.append(_("Choose only one option for question %(number)s.") % {"number": number})
            continue
        if question.kind == PollQuestionKind.MULTIPLE and len(chosen) > question.max_choices:
            errors.append(
                _("Choose at most %(most)s options for question %(number)s.")
                % {"most": question.max_choices, "number": number}
            )
            continue
        rows.extend(BallotAnswer(question=question, option=options[option_id]) for option_id in chosen)
    if errors:
        raise ValidationError(errors)
    return rows


def ballot_cast(*, user: User, poll: Poll, answers: dict) -> None:
    """Cast `user`'s secret ballot in `poll` (see _ballot_cast). A second ballot, even one racing
    the first from another device, is refused by the database and gets a clear message."""
    try:
        _ballot_cast(user=user, poll=poll, answers=answers)
    except IntegrityError as exc:
        if ALREADY_VOTED in str(exc):
            raise ValidationError(_("You have already voted in this poll. Each resident votes once.")) from None
        raise


@transaction.atomic
def _ballot_cast(*, user: User, poll: Poll, answers: dict) -> None:
    """Nothing is returned and nothing is recorded that would let anyone — the voter included —
    find this ballot again: no receipt (it could be shown to someone buying votes)."""
    poll = Poll.objects.select_related("area").get(pk=poll.pk)
    eligibility = poll_eligibility(user=user, poll=poll)
    if eligibility.profile is None:
        raise PermissionDenied(eligibility.reason)
    now = timezone.now()
    state = poll_state(poll, now)
    if state == "draft":
        raise ValidationError(_("This poll is not open yet."))
    if state == "closed":
        raise ValidationError(_("This poll has closed."))
    if (
        PollVoter.objects.filter(poll=poll, user=user).exists()
        or PollVoter.objects.filter(poll=poll, resident=eligibility.profile).exists()
    ):
        raise ValidationError(_("You have already voted in this poll. Each resident votes once."))
    rows = _answers_checked(poll, answers)
    grid = eligibility.profile.household.grid
    # The "has voted" row first: a second ballot racing this one waits on its unique index and then
    # fails, so it never writes a ballot.
    PollVoter.objects.create(poll=poll, user=user, resident=eligibility.profile, voted_at=now)
    ballot = Ballot.objects.create(poll=poll, community_id=grid.parent_id)
    for row in rows:
        row.ballot = ballot
    BallotAnswer.objects.bulk_create(rows)
    # "Voted in poll X": no ballot, no choices, no community beyond the poll's own area.
    audit_record(actor=user, action="poll.vote", target=poll)
