"""One generated request's whole life, as the rows COPY writes: the request and its timeline.

A request's life is planned in full first (filed, accepted, assigned, started, resolved, perhaps
reopened and resolved again, closed, rated, or rejected), then cut at "now": its status is the last
step that has happened, and every timestamp, the overdue flag and the escalation level follow from
the steps kept, by the same rules the services apply (see services/services/steps.py and
deadlines.py). So a request's detail page reads like one handled through the portal.
"""

from __future__ import annotations

import random
from bisect import bisect
from datetime import UTC, datetime
from operator import itemgetter

from django.utils.translation import gettext

from demo.history.world import GIVEN_NAMES, STREETS, SURNAMES, World
from services.models import Channel, RequestEvent, RequestStatus
from services.services import ESCALATION_STEP, TOP_ESCALATION_LEVEL


class S:
    """The statuses and event kinds as plain strings (`.value`): formatting enum members some ten
    million times costs more than everything else here."""

    SUBMITTED, ACCEPTED, ASSIGNED = (
        RequestStatus.SUBMITTED.value,
        RequestStatus.ACCEPTED.value,
        RequestStatus.ASSIGNED.value,
    )
    IN_PROGRESS, RESOLVED = RequestStatus.IN_PROGRESS.value, RequestStatus.RESOLVED.value
    CLOSED, REJECTED = RequestStatus.CLOSED.value, RequestStatus.REJECTED.value


class K:
    SUBMITTED, STATUS, ASSIGNMENT = (
        RequestEvent.Kind.SUBMITTED.value,
        RequestEvent.Kind.STATUS.value,
        RequestEvent.Kind.ASSIGNMENT.value,
    )
    RATING, ESCALATION, REOPENED = (
        RequestEvent.Kind.RATING.value,
        RequestEvent.Kind.ESCALATION.value,
        RequestEvent.Kind.REOPENED.value,
    )


_OPEN = frozenset({S.SUBMITTED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS})
_PUBLIC_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # as services.models.new_public_id
_ESCALATION_STEP = int(ESCALATION_STEP.total_seconds())
# The escalation task runs every 5 minutes: a deadline passed is noticed a little later.
_BEAT_DELAY = 120

REQUEST_COLUMNS = (
    "id", "created_at", "updated_at", "public_id", "description", "attributes", "lat", "lng", "address",
    "contact_name", "contact_phone_encrypted", "contact_phone_masked", "channel", "is_public", "submission_key",
    "status", "accept_due_at", "resolve_due_at", "accepted_at", "resolved_at", "closed_at", "escalation_level",
    "is_overdue", "rating", "rating_comment", "assignee_id", "filed_by_id", "grid_id", "handling_organisation_id",
    "requester_id", "service_id", "merged_into_id", "public_text_hidden_reason",
)  # fmt: skip
EVENT_COLUMNS = (
    "request_id",
    "kind",
    "from_status",
    "to_status",
    "message",
    "is_public",
    "data",
    "created_at",
    "actor_id",
    "hidden_reason",
)

ACCEPT_NOTES = ["", "", "已受理，尽快安排处理。", "已联系居民，了解情况。"]
ASSIGN_NOTES = ["", "由网格员跟进。", "已转交责任单位处理。"]
RESOLVE_NOTES = ["已处理完毕，请您确认。", "已安排人员维修完成。", "已现场处置，问题解决。", "已协调相关单位处理完毕。"]
REJECT_REASONS = [
    "属于计划停水，已在小区公告栏通知，预计下午恢复。",
    "经核实不属于本辖区，请向所在社区反映。",
    "与已受理的诉求重复，请关注原诉求进展。",
    "属于业主私人财产纠纷，建议通过调解或诉讼解决。",
]
REOPEN_REASONS = ["问题没有解决，又坏了。", "只是临时处理，现在情况一样。", "现场看过，没有修好。"]
GOOD_COMMENTS = ["", "", "", "处理很及时，谢谢！", "网格员很耐心。", "满意。"]
BAD_COMMENTS = ["", "", "拖了很久才处理。", "处理不彻底。", "没人回电话。"]
# Ratings lean to 4–5 stars; a late or reopened request is rated worse.
GOOD_RATINGS = [0.03, 0.07, 0.17, 0.47, 1.0]
BAD_RATINGS = [0.15, 0.30, 0.55, 0.80, 1.0]
CHANNELS = [
    (channel.value, upto)
    for channel, upto in (
        (Channel.WEB, 0.55), (Channel.PHONE, 0.80), (Channel.WALK_IN, 0.90), (Channel.API, 0.97), (Channel.OPEN311, 1.0)
    )
]  # fmt: skip
_WEB, _PHONE, _API, _OPEN311 = (c.value for c in (Channel.WEB, Channel.PHONE, Channel.API, Channel.OPEN311))
NULL = "\\N"
_FIRST = itemgetter(0)
ADDRESSES = [f"{street}{number}号" for street in STREETS for number in range(1, 301)]


class Clock:
    """Epoch seconds as COPY's timestamptz text (UTC), from a table of dates and one of the 86,400
    times of day: formatting some ten million timestamps one by one would be the slowest part."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._times = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(86400)]

    def text(self, t: int | None) -> str:
        if t is None:
            return NULL
        day, second = divmod(t, 86400)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")
        return date + self._times[second]


# Two characters of the alphabet per 10 random bits: five look-ups make an id.
_PAIRS = [a + b for a in _PUBLIC_ID_ALPHABET for b in _PUBLIC_ID_ALPHABET]


def new_public_id(rng: random.Random) -> str:
    bits = rng.getrandbits(50)
    pairs = _PAIRS
    return (
        "SQ"
        + pairs[bits & 1023]
        + pairs[bits >> 10 & 1023]
        + pairs[bits >> 20 & 1023]
        + pairs[bits >> 30 & 1023]
        + pairs[bits >> 40 & 1023]
    )


class RequestMaker:
    """Draws requests from a World with its own random stream; `make` returns the COPY lines."""

    def __init__(self, world: World, *, rng: random.Random, now: int) -> None:
        self.world = world
        self.rng = rng
        self.now = now
        self.clock = Clock()
        self.escalation_messages = {
            level: gettext("Past its deadline: escalated to level %(level)d.") % {"level": level}
            for level in range(1, TOP_ESCALATION_LEVEL + 1)
        }

    def heads(self, count: int) -> list[tuple[int, int, int]]:
        """What each of `count` requests is about, where, and when it was filed: (filed at, service
        index, grid index), in filing order. Drawn first, for all of them, so that ids and the table's
        rows follow filing time, as in a portal that has been running for a while: indexes on time
        are then appended to rather than rebuilt, and a date range is a narrow slice of the table."""
        rng, world = self.rng, self.world
        random_, services = rng.random, world.services
        service_total, grid_total = world.service_cumulative[-1], world.grid_cumulative[-1]
        hour_total, latest = world.hour_cumulative[-1], self.now - 60
        heads = []
        for _ in range(count):
            service_index = bisect(world.service_cumulative, random_() * service_total)
            grid_index = bisect(world.grid_cumulative, random_() * grid_total)
            day_cumulative = services[service_index].day_cumulative
            while True:
                day = bisect(day_cumulative, random_() * day_cumulative[-1])
                hour = bisect(world.hour_cumulative, random_() * hour_total)
                t = world.first_day + min(day, world.days - 1) * 86400 + hour * 3600 + int(random_() * 3600)
                if t < latest:
                    break
            heads.append((t, service_index, grid_index))
        heads.sort()
        return heads

    def make(self, request_id: int, public_id: str, head: tuple[int, int, int]) -> tuple[str, list[str]]:  # noqa: C901 - one life, read top to bottom
        world, now, random_ = self.world, self.now, self.rng.random

        def pick(choices):  # rng.choice, at a fraction of its cost
            return choices[int(random_() * len(choices))]

        created, service_index, grid_index = head
        service, grid = world.services[service_index], world.grids[grid_index]
        organisation = world.routes[service.pk, grid.pk]
        # The grid's workers accept; the organisation it is routed to, with them, resolves.
        accept_q, q = grid.quality, world.quality[organisation] * grid.quality
        worker = grid.worker_id
        A, R, W = service.accept_seconds, service.resolve_seconds, service.reopen_seconds

        # Who asks, and through what.
        residents = grid.resident_ids if grid.resident_ids and random_() < 0.85 else world.all_resident_ids
        requester = pick(residents) if residents else None
        draw = random_()
        channel = next(name for name, upto in CHANNELS if draw < upto)
        contact_name = contact_cipher = contact_masked = ""
        if channel == _WEB:
            filed_by = requester
        elif channel in (_API, _OPEN311):
            filed_by = world.partner_filer_id
        else:
            filed_by = worker
            if random_() < 0.1:  # a caller without an account
                requester = None
                contact_name = pick(SURNAMES) + pick(GIVEN_NAMES)
                contact_cipher, contact_masked = pick(world.phone_pool)
        if filed_by is None:
            channel, filed_by = _PHONE, worker

        # The plan: (time, kind, from, to, actor, message, data JSON).
        steps = [(created, K.SUBMITTED, "", S.SUBMITTED, filed_by, "", "{}")]
        late_accept = random_() < 0.06 * accept_q
        accept_at = created + int(A * (1.0 + 2.0 * random_() if late_accept else 0.02 + 0.9 * random_() ** 2)) + 60
        if random_() < 0.04:  # rejected, before or after accepting
            reason = pick(REJECT_REASONS)
            if random_() < 0.6:
                steps.append((accept_at, K.STATUS, S.SUBMITTED, S.REJECTED, worker, reason, "{}"))
            else:
                steps.append((accept_at, K.STATUS, S.SUBMITTED, S.ACCEPTED, worker, pick(ACCEPT_NOTES), "{}"))
                steps.append(
                    (accept_at + 600 + int(R * 0.3 * random_()), K.STATUS, S.ACCEPTED, S.REJECTED, worker, reason, "{}")
                )
            late = late_accept
        else:
            steps.append((accept_at, K.STATUS, S.SUBMITTED, S.ACCEPTED, worker, pick(ACCEPT_NOTES), "{}"))
            draw = random_()
            if draw < 0.002 * q:
                factor = 1000.0  # never resolved: the backlog's oldest cases
            elif draw < 0.015 * q:
                factor = 2.5 + 15 * random_()  # stalled for weeks
            elif draw < 0.11 * q:
                factor = 1.0 + 1.5 * random_()  # late
            else:
                factor = 0.1 + 0.85 * random_() ** 1.5
            resolve_at = max(created + int(R * factor), accept_at + 1200)
            late = late_accept or factor > 1.0
            work = resolve_at - accept_at
            if random_() < 0.5:  # assigned first, or taken on directly by whoever it was routed to
                assign_at = accept_at + 60 + int(work * 0.25 * random_())
                steps.append((assign_at, K.ASSIGNMENT, S.ACCEPTED, S.ASSIGNED, worker, pick(ASSIGN_NOTES), "{}"))
                start_from = S.ASSIGNED
            else:
                assign_at, start_from = accept_at, S.ACCEPTED
            start_at = assign_at + 60 + int((resolve_at - assign_at - 120) * 0.4 * random_())
            steps.append((start_at, K.STATUS, start_from, S.IN_PROGRESS, worker, "", "{}"))
            steps.append((resolve_at, K.STATUS, S.IN_PROGRESS, S.RESOLVED, worker, pick(RESOLVE_NOTES), "{}"))
            final_resolve = resolve_at
            if requester is not None and W > 7200 and random_() < 0.035 * q:
                # The resident says it is not fixed, within the reopen window: back to work.
                reopen_at = resolve_at + 3600 + int((W - 7200) * random_())
                reason = pick(REOPEN_REASONS)
                steps.append((reopen_at, K.REOPENED, S.RESOLVED, S.ASSIGNED, requester, reason, "{}"))
                restart_at = reopen_at + 600 + int(R * 0.2 * random_())
                final_resolve = max(reopen_at + int(R * (0.15 + 1.1 * random_())), restart_at + 600)
                steps.append((restart_at, K.STATUS, S.ASSIGNED, S.IN_PROGRESS, worker, "", "{}"))
                steps.append((final_resolve, K.STATUS, S.IN_PROGRESS, S.RESOLVED, worker, pick(RESOLVE_NOTES), "{}"))
                late = True
            rated = requester is not None and random_() < 0.62
            if requester is not None and random_() < 0.45:  # the resident confirms the fix
                close_at = final_resolve + 1800 + int(W * 0.6 * random_())
                steps.append((close_at, K.STATUS, S.RESOLVED, S.CLOSED, requester, "", "{}"))
                rate_at = close_at + 30
            else:  # closed by the hourly task once the reopen window has passed
                close_at = final_resolve + W + int(3600 * random_())
                steps.append((close_at, K.STATUS, S.RESOLVED, S.CLOSED, None, "", "{}"))
                rate_at = final_resolve + int((W - 60) * random_())
            if rated:
                cumulative = BAD_RATINGS if late else GOOD_RATINGS
                score = 1 + bisect(cumulative, random_())
                comment = pick(BAD_COMMENTS if score <= 3 else GOOD_COMMENTS)
                steps.append((rate_at, K.RATING, "", "", requester, comment, f'{{"score": {score}}}'))
                steps.sort(key=_FIRST)

        # Cut at now, and replay what happened into the request's fields.
        kept = [step for step in steps if step[0] <= now]
        status = S.SUBMITTED
        accepted_at = resolved_at = closed_at = rating = None
        rating_comment = ""
        assignee = None
        resolve_due = created + R
        accept_due = created + A
        level = 0
        escalations = []
        # Each stretch in which a deadline runs: (deadline, from, to) — see deadlines.escalation_target_level.
        phase_start, deadline = created, accept_due
        cleared = 0  # the last accept / resolve / reopen, each of which clears the overdue flag
        for t, kind, _from, to, actor, message, data in kept:
            if kind == K.RATING:
                rating, rating_comment = int(data[10:-1]), message
                continue
            # (Most requests keep their deadlines: the check is skipped before it is called.)
            if deadline is not None and t > deadline + _BEAT_DELAY and status in _OPEN:
                level = self._escalate(escalations, level, deadline, phase_start, t)
            status = to
            if to == S.ACCEPTED:
                accepted_at, deadline, phase_start, cleared = t, resolve_due, t, t
            elif to == S.ASSIGNED and kind == K.ASSIGNMENT:
                assignee = actor
            elif to == S.IN_PROGRESS:
                assignee = assignee or actor
            elif to == S.RESOLVED:
                resolved_at, deadline, cleared = t, None, t
            elif kind == K.REOPENED:
                resolved_at, resolve_due, deadline, phase_start, cleared = None, t + R, t + R, t, t
            elif to in (S.CLOSED, S.REJECTED):
                closed_at = t
        if status in _OPEN and deadline is not None:
            level = self._escalate(escalations, level, deadline, phase_start, now)
        # Overdue: escalated since the flag was last cleared.
        is_overdue = bool(escalations) and escalations[-1][0] > cleared
        if escalations:
            kept.extend(escalations)
            kept.sort(key=_FIRST)

        clock = self.clock.text
        lat = f"{grid.lat + (random_() - 0.5) * 0.004:.6f}" if grid.lat is not None else NULL
        lng = f"{grid.lng + (random_() - 0.5) * 0.004:.6f}" if grid.lng is not None else NULL
        description = pick(service.descriptions)
        row = "\t".join(
            (
                str(request_id),
                clock(created),
                clock(kept[-1][0]),
                public_id,
                description,
                pick(service.answers),
                lat,
                lng,
                pick(ADDRESSES),
                contact_name,
                contact_cipher,
                contact_masked,
                channel,
                "t" if random_() < service.public_share else "f",
                "",
                status,
                clock(accept_due),
                clock(resolve_due),
                clock(accepted_at),
                clock(resolved_at),
                clock(closed_at),
                str(level),
                "t" if is_overdue else "f",
                NULL if rating is None else str(rating),
                rating_comment,
                NULL if assignee is None else str(assignee),
                str(filed_by),
                str(grid.pk),
                NULL if organisation is None else str(organisation),
                NULL if requester is None else str(requester),
                str(service.pk),
                NULL,
                "",  # no moderator hid its text
            )
        )
        rid = str(request_id)
        events = [
            f"{rid}\t{kind}\t{from_}\t{to}\t{message}\t{'f' if kind == K.ESCALATION else 't'}\t{data}\t{clock(t)}\t"
            + (NULL if actor is None else str(actor))
            + "\t"  # hidden_reason: no moderator hid it
            for t, kind, from_, to, actor, message, data in kept
        ]
        return row, events

    def _escalate(self, escalations: list, level: int, deadline: int, start: int, end: int) -> int:
        """Raise the level as the 5-minute escalation task would while a deadline runs from `start`
        (when the request entered this stretch) to `end` (when it left it, or now)."""
        while level < TOP_ESCALATION_LEVEL:
            # One level per run of the task: the next run is 5 minutes after the last escalation.
            previous = escalations[-1][0] + 300 if escalations else 0
            at = max(deadline + level * _ESCALATION_STEP, start, previous) + _BEAT_DELAY
            # The task escalates one level per run, to at most 1 + (days late) — escalation_target_level.
            if at >= end or 1 + (at - deadline) // _ESCALATION_STEP <= level:
                break
            level += 1
            escalations.append(
                (at, K.ESCALATION, "", "", None, self.escalation_messages[level], f'{{"level": {level}}}')
            )
        return level
