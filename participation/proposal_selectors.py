"""Reads of residents' proposals that are not a resident's or a staff member's page: the figures a
district-scope batch run reads (the programme's assessment, issue 19)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.utils import timezone

from directory.models import Area
from participation.models import Proposal


# --- figures by community for the programme's assessment (issue 19) ---
# Read by a district-scope batch run (programme.indicators), not for a user: the caller names the
# communities. One grouped query, whatever their number.
def proposal_answer_figures_by_community(
    *, communities: list[Area], start: date, end: date, now: datetime | None = None
) -> dict[int, dict[str, int]]:
    """{community id: figures} of the proposals of each community whose answer was due (their
    threshold reached, the 15 days since run out) from `start` to `end` (local days, both included):
    `due` counts those answered, or unanswered with the deadline passed by `now` (a deadline still
    ahead of a run made during the period is not yet missed), `on_time` those answered by their
    deadline. Every community is in the result."""
    figures = {community.pk: {"due": 0, "on_time": 0} for community in communities}
    if not figures or end < start:
        return figures
    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    rows = (
        Proposal.objects.filter(community_id__in=list(figures), answer_due_at__gte=since, answer_due_at__lt=until)
        .order_by()
        .values("community_id")
        .annotate(
            due=Count("pk", filter=Q(answered_at__isnull=False) | Q(answer_due_at__lte=now)),
            on_time=Count("pk", filter=Q(answered_at__lte=F("answer_due_at"))),
        )
    )
    for row in rows:
        figures[row["community_id"]].update(due=row["due"], on_time=row["on_time"])
    return figures
