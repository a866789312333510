"""Reading polls: who sees which poll, the results (only as much as the secret ballot allows), the
exports, and what a person's own data export says about their votes.

Results are counted from `Ballot`/`BallotAnswer` alone, never joined to `PollVoter`. A community's
own figures show only once it has at least `MIN_BALLOTS_SHOWN` ballots: with fewer, a count per
community could tell neighbours how one of them voted. Free-text answers show only after closing,
and only to staff, in the ballots' random order.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from core.spreadsheet import spreadsheet_safe
from directory.models import Area
from participation.models import Ballot, BallotAnswer, Poll, PollQuestionKind, PollResultsShown, PollVoter, Proposal
from participation.polls import poll_state
from residents.data_rights import register_section
from residents.selectors import resident_own_profile
from security.audit import audit_record
from security.models import User
from security.roles import AREA_ROLES, PARTICIPATION_ORGANISER_ROLES
from security.scoping import area_q, covers_area, has_role

MIN_BALLOTS_SHOWN = 10
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _ancestor_paths(path: str) -> list[str]:
    """ "D/S/C/G/" → ["D/", "D/S/", "D/S/C/", "D/S/C/G/"]: the paths of every area above and at it."""
    parts = [part for part in path.split("/") if part]
    return ["/".join(parts[: index + 1]) + "/" for index in range(len(parts))]


def polls_for_user(*, user: User) -> QuerySet[Poll]:
    """Polls the user may see: staff, every poll (drafts too) of an area in their subtrees; a
    verified resident, the opened polls of the areas their grid lies in. Newest opening first."""
    if not user.is_authenticated or not user.is_active:
        return Poll.objects.none()
    condition = area_q(user, "area__path", AREA_ROLES) if has_role(user, AREA_ROLES) else None
    profile = resident_own_profile(user=user)
    if profile is not None:
        own = Q(area__path__in=_ancestor_paths(profile.household.grid.path), opens_at__lte=timezone.now())
        condition = own if condition is None else condition | own
    if condition is None:
        return Poll.objects.none()
    return Poll.objects.filter(condition).select_related("area", "proposal")


def poll_get_for_user(*, user: User, public_id) -> Poll:
    """One poll the user may see; the same 404 whether it is missing, a draft or out of scope."""
    try:
        return polls_for_user(user=user).get(public_id=public_id)
    except (Poll.DoesNotExist, ValidationError):
        raise Http404 from None


def poll_proposal_choices(*, user: User, current_id: int | None = None) -> QuerySet[Proposal]:
    """The proposals a poll the user runs may ask about: those of communities in their subtrees,
    not hidden by moderation, and the one it already asks about; newest first (poll_create checks
    the poll's own area)."""
    condition = area_q(user, "community__path", PARTICIPATION_ORGANISER_ROLES)
    if condition is None:
        return Proposal.objects.none()
    return (
        Proposal.objects.filter((condition & Q(hidden_at__isnull=True)) | Q(pk=current_id))
        .select_related("community")
        .order_by("-created_at", "-id")
    )


def polls_about_proposal(*, user: User, proposal: Proposal, limit: int = 20) -> list[Poll]:
    """The polls about `proposal` that the user may see (polls_for_user), newest first; one query
    beyond the user's roles and register entry, however many polls."""
    return list(polls_for_user(user=user).filter(proposal=proposal).order_by("-opens_at", "-id")[:limit])


def poll_voted(*, user: User, poll: Poll) -> bool:
    if not user.is_authenticated:
        return False
    return PollVoter.objects.filter(poll=poll, user=user).exists()


def polls_voted_ids(*, user: User, polls: list[Poll]) -> set[int]:
    """Of `polls`, those the user voted in (one query)."""
    if not user.is_authenticated or not polls:
        return set()
    return set(PollVoter.objects.filter(user=user, poll_id__in=[p.pk for p in polls]).values_list("poll_id", flat=True))


def poll_is_staff_view(*, user: User, poll: Poll) -> bool:
    return covers_area(user, poll.area, AREA_ROLES)


# --- results ---------------------------------------------------------------------------------------


@dataclass
class OptionResult:
    text: str
    total: int
    # In the order of PollResults.communities.
    by_community: list[int] = field(default_factory=list)
    others: int = 0


@dataclass
class QuestionResult:
    position: int
    text: str
    kind: str
    max_choices: int | None
    options: list[OptionResult] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass
class PollResults:
    """What may be shown of a poll's results now. `shown` is False with `reason` when nothing is."""

    shown: bool
    reason: str = ""
    ballots: int = 0
    communities: list[tuple[Area, int]] = field(default_factory=list)
    # Ballots of communities with fewer than MIN_BALLOTS_SHOWN each: counted in the totals only.
    others_ballots: int = 0
    questions: list[QuestionResult] = field(default_factory=list)
    texts_shown: bool = False

    @property
    def others_shown(self) -> bool:
        """Whether the small communities together get a column: only beside communities shown on
        their own, and only once together they reach the threshold."""
        return bool(self.communities) and self.others_ballots >= MIN_BALLOTS_SHOWN


def results_visible(poll: Poll, ballots: int, now=None) -> tuple[bool, str]:
    state = poll_state(poll, now)
    if state == "closed":
        return True, ""
    if state == "draft":
        return False, _("The poll has not opened yet.")
    if poll.results_shown != PollResultsShown.LIVE:
        return False, _("The results are shown when the poll closes.")
    if ballots < MIN_BALLOTS_SHOWN:
        return False, _("Results show once at least 10 residents have voted, so no one's vote can be worked out.")
    return True, ""


def poll_turnout(*, poll: Poll) -> int:
    """How many have voted (staff see it while the poll is open; it says nothing of the choices)."""
    return Ballot.objects.filter(poll=poll).count()


def poll_results(*, user: User, poll: Poll) -> PollResults:
    """The results the user may see now, in a fixed number of queries whatever the ballots.

    Per community only where that community has at least MIN_BALLOTS_SHOWN ballots; the rest are
    folded into "other communities" (and shown there only if they too reach the threshold)."""
    per_community = dict(
        Ballot.objects.filter(poll=poll)
        .order_by()
        .values("community")
        .annotate(n=Count("id"))
        .values_list("community", "n")
    )
    ballots = sum(per_community.values())
    shown, reason = results_visible(poll, ballots)
    if not shown:
        return PollResults(shown=False, reason=reason, ballots=ballots)
    shown_ids = {community for community, n in per_community.items() if n >= MIN_BALLOTS_SHOWN}
    areas = Area.objects.in_bulk(shown_ids) if shown_ids else {}
    communities = sorted(((areas[pk], per_community[pk]) for pk in shown_ids), key=lambda pair: pair[0].path)
    result = PollResults(
        shown=True,
        ballots=ballots,
        communities=communities,
        others_ballots=ballots - sum(n for _area, n in communities),
    )
    counts: dict[int, dict[int, int]] = {}
    for option_id, community_id, n in (
        BallotAnswer.objects.filter(ballot__poll=poll, option__isnull=False)
        .order_by()
        .values("option", "ballot__community")
        .annotate(n=Count("id"))
        .values_list("option", "ballot__community", "n")
    ):
        counts.setdefault(option_id, {})[community_id] = n
    result.texts_shown = poll_state(poll) == "closed" and poll_is_staff_view(user=user, poll=poll)
    texts: dict[int, list[str]] = {}
    if result.texts_shown:
        # In the answers' random-key order: nothing about when each was written.
        for question_id, text in (
            BallotAnswer.objects.filter(ballot__poll=poll, option__isnull=True)
            .order_by("id")
            .values_list("question", "text")
        ):
            texts.setdefault(question_id, []).append(text)
    for question in poll.questions.prefetch_related("options"):
        entry = QuestionResult(
            position=question.position, text=question.text, kind=question.kind, max_choices=question.max_choices
        )
        if question.kind == PollQuestionKind.TEXT:
            entry.texts = texts.get(question.pk, [])
        for option in question.options.all():
            by_community = counts.get(option.pk, {})
            total = sum(by_community.values())
            shown_counts = [by_community.get(area.pk, 0) for area, _n in communities]
            entry.options.append(
                OptionResult(
                    text=option.text,
                    total=total,
                    by_community=shown_counts,
                    others=total - sum(shown_counts),
                )
            )
        result.questions.append(entry)
    return result


# --- export ----------------------------------------------------------------------------------------


def _export_rows(results: PollResults) -> list[list]:
    """One row per option: the total, then each community with at least MIN_BALLOTS_SHOWN ballots,
    then the other communities together when they too reach it; free-text answers after."""
    others = results.others_shown
    header = [_("Question"), _("Option"), _("All ballots"), *[area.name for area, _n in results.communities]]
    ballots = [_("Ballots"), "", results.ballots, *[n for _area, n in results.communities]]
    if others:
        header.append(_("Other communities (fewer than 10 ballots each)"))
        ballots.append(results.others_ballots)
    rows = [header, ballots]
    for question in results.questions:
        title = f"{question.position}. {question.text}"
        for option in question.options:
            rows.append([title, option.text, option.total, *option.by_community, *([option.others] if others else [])])
        rows.extend([title, text] for text in question.texts)
    return rows


@transaction.atomic
def poll_results_export(*, user: User, poll: Poll, file_format: str) -> tuple[bytes, str]:
    """The results as CSV or XLSX for the poll's managers, as much as may be shown now; recorded.
    Every text cell passes core.spreadsheet (a resident's free text could start with "=")."""
    if file_format not in EXPORT_FORMATS or not covers_area(user, poll.area, PARTICIPATION_ORGANISER_ROLES):
        raise Http404
    results = poll_results(user=user, poll=poll)
    if not results.shown:
        raise ValidationError(results.reason)
    rows = [[spreadsheet_safe(cell) for cell in row] for row in _export_rows(results)]
    if file_format == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        # With a byte-order mark, Excel on a Chinese Windows reads the file as UTF-8.
        body = "\ufeff".encode() + out.getvalue().encode()
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title="poll")
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        body = buffer.getvalue()
    audit_record(
        actor=user,
        action="poll.results_export",
        target=poll,
        details={"format": file_format, "ballots": results.ballots, "free_text": results.texts_shown},
    )
    return body, EXPORT_FORMATS[file_format]


# --- a person's own data (residents.data_rights) --------------------------------------------------


def poll_votes_export(user: User) -> list[dict]:
    """The polls the person voted in and when; never how: no record links them to their ballot."""
    return [
        {"poll": title, "area": area, "voted_at": voted_at.isoformat()}
        for title, area, voted_at in PollVoter.objects.filter(user=user)
        .order_by("voted_at")
        .values_list("poll__title", "poll__area__name_zh", "voted_at")
    ]


def poll_votes_erase(user: User) -> dict:
    """Account deletion: the "has voted" rows lose the account but keep the register entry, so the
    same resident verifying a new account cannot vote again in the same poll. The ballots are not
    the person's data in any findable way and stay in the results."""
    return {"poll_votes_unlinked": PollVoter.objects.filter(user=user).update(user=None)}


def register_data_rights() -> None:
    """Called from ParticipationConfig.ready()."""
    register_section(
        "poll_votes",
        title=gettext_lazy("Polls I voted in"),
        export=poll_votes_export,
        erase=poll_votes_erase,
        labels={"poll": gettext_lazy("Poll"), "area": gettext_lazy("Area"), "voted_at": gettext_lazy("Voted")},
        kept_after_deletion=gettext_lazy(
            "That your register entry has voted in a poll stays, without your account, so that no one can vote "
            "twice in the same poll by making a new account. How you voted was never linked to you and cannot be "
            "found; your ballot stays in the results."
        ),
    )
