"""Helpers for the poll tests: verified residents made through the real verification, polls made
through the real services, and time moved on by shifting a poll's times (as if the clock ran)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from participation.models import Poll, PollQuestionKind, PollResultsShown
from participation.polls import poll_create, poll_question_add
from residents.models import Household
from residents.services import verification_by_code
from security import personal_data
from security.services import user_create
from tests.factories import PASSWORD, HouseholdFactory, ResidentFactory


def verified_resident(grid, *, username: str | None = None):
    """A new account verified (by household number and ID number) as a new resident of `grid`."""
    profile = ResidentFactory(household=HouseholdFactory(grid=grid))
    code = f"HH-{uuid.uuid4().hex[:10]}"
    Household.objects.filter(pk=profile.household_id).update(household_code=code)
    user = user_create(username=username or f"voter-{uuid.uuid4().hex[:10]}", email="", password=PASSWORD)
    verification = verification_by_code(
        user=user, household_code=code, id_number=personal_data.decrypt(profile.id_card_encrypted)
    )
    assert verification.status == verification.Status.APPROVED, verification.reason
    return user


def make_poll(*, actor, area, results_shown=PollResultsShown.LIVE, title="小区停车位划分方案", text_question=True):
    """A draft poll with a single-choice, a multiple-choice (at most 2 of 3) and a free-text question."""
    now = timezone.now()
    poll = poll_create(
        actor=actor,
        area=area,
        title=title,
        description="请大家投票",
        opens_at=now + timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        results_shown=results_shown,
    )
    poll_question_add(
        actor=actor, poll=poll, kind=PollQuestionKind.SINGLE, text="是否同意方案？", options=["同意", "不同意"]
    )
    poll_question_add(
        actor=actor,
        poll=poll,
        kind=PollQuestionKind.MULTIPLE,
        text="希望增加哪些设施？",
        options=["充电桩", "自行车棚", "监控"],
        max_choices=2,
    )
    if text_question:
        poll_question_add(actor=actor, poll=poll, kind=PollQuestionKind.TEXT, text="其他意见", options=[])
    return poll


def open_poll(poll: Poll) -> Poll:
    """As if the opening time had come: the poll opened a minute ago."""
    now = timezone.now()
    Poll.objects.filter(pk=poll.pk).update(opens_at=now - timedelta(minutes=1))
    poll.refresh_from_db()
    return poll


def end_poll(poll: Poll) -> Poll:
    """As if the closing time had passed."""
    now = timezone.now()
    Poll.objects.filter(pk=poll.pk).update(opens_at=now - timedelta(days=2), closes_at=now - timedelta(minutes=1))
    poll.refresh_from_db()
    return poll


def answers_for(poll: Poll, single: int = 0, multiple: tuple[int, ...] = (0,), text: str = "") -> dict:
    """Answers choosing options by their position (0-based) in each question."""
    questions = list(poll.questions.prefetch_related("options"))
    answers: dict = {}
    for question in questions:
        options = list(question.options.all())
        if question.kind == PollQuestionKind.SINGLE:
            answers[question.pk] = [options[single].pk]
        elif question.kind == PollQuestionKind.MULTIPLE:
            answers[question.pk] = [options[index].pk for index in multiple]
        else:
            answers[question.pk] = text
    return answers
