"""Open311's intake: a POST is checked and numbered at once, and filed by the worker a moment later.

GeoReport v2 lets a server take a request now and file it later (its `token`). We use that for
machines: a partner's system may POST thousands of requests in a burst, and filing one (a request,
its timeline event, its audit event linked into the chain, notices, webhooks) costs several times
what receiving it does. So the POST runs every check filing would — the same `filing_validate`
and `filer_check` — stores what it got in `ReceivedRequest`, and answers with the number the
request will have. The worker files what has been received in batches, taking the audit chain's
lock once per batch; each batch's filings and the deletion of their rows commit together, so a
crash files nothing twice and loses nothing.

Residents, staff and the partner API still file at once (`request_file`): they look at what they
filed straight away.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory.models import Area
from portal import local_cache, shared_redis
from portal.bulk_insert import insert_instances, insert_rows
from security.audit import AuditEntry, audit_record_many
from security.models import ApiKey
from security.request_context import client_address
from services import notices
from services.models import (
    Channel,
    ReceivedRequest,
    RequestEvent,
    RequestStatus,
    Service,
    ServiceRequest,
    new_public_id,
)
from services.services.filing import deadlines_from, filed_details, filer_check, filing_validate, routing_resolve
from services.signals import request_event_recorded

logger = logging.getLogger(__name__)

BATCH = 200
# One filing task queued or running at a time: the first POST after the worker went idle queues
# it. The key expires on its own should a worker die holding it; the beat sweep files leftovers.
KICK_KEY = "services:intake:kick"
_KICK_SECONDS = 120
# While it files, the task keeps this key alive and promises to look for new rows once more after
# it has expired. A web process that has seen the key alive need not ask Redis again until then
# (see `_kick`): under load that is one question every half second, not one per POST.
PROMISE_KEY = "services:intake:promise"
_PROMISE_MS = 500
# After a batch smaller than BATCH, the worker waits this long for more before the next one. A
# batch costs a dozen statements and a commit whatever its size; under `make bench-open311`'s
# stream of POSTs a quarter of a second gathers about 130 requests a batch, a tenth about 60, and
# the POSTs a second rose with it. A request arriving while the worker is idle is filed at once.
_GATHER_SECONDS = 0.25
# A task files for at most this long, then hands over to a fresh one (behind whatever else waits).
_TASK_BUDGET_SECONDS = 60


@dataclass(frozen=True)
class Receipt:
    """What an Open311 POST answers with: the number the request will have, and when it will be looked at."""

    public_id: str
    accept_due_at: datetime


def request_receive(*, api_key: ApiKey, **fields) -> Receipt:
    """Check an Open311 POST as filing would and keep it for the worker: `fields` are those
    `filing_validate` takes, and ValidationError or PermissionDenied come as from `request_file`.
    Uploaded photos are not kept here: a POST with media is filed at once."""
    filing = filing_validate(**fields)
    filer_check(actor=api_key.created_by, requester=None, grid=filing.grid, channel=Channel.OPEN311)
    received_at = timezone.now()
    row = {
        **filing.stored_fields(),
        "public_id": new_public_id(),
        "received_at": received_at,
        "api_key": api_key,
        "service": filing.service,
        "client_address": client_address.get(),
        "failure": "",
    }
    insert_rows(ReceivedRequest, [row])
    # robust: with the broker or Redis down the POST has still received the request; beat's
    # sweep files it once they are back.
    transaction.on_commit(_kick, robust=True)
    accept_due_at = deadlines_from(service=filing.service, start=received_at)["accept_due_at"]
    return Receipt(public_id=row["public_id"], accept_due_at=accept_due_at)


def received_deadlines(received: ReceivedRequest) -> dict:
    """The deadlines the request will have: they count from when it was received."""
    return deadlines_from(service=received.service, start=received.received_at)


class _Promise:
    """Until when (time.monotonic) this process knows a filing task will look for rows again."""

    until = 0.0


@local_cache.forgotten_with_everything
def _forget_promise() -> None:
    """This process has seen no promise."""
    _Promise.until = 0.0


def _kick() -> None:
    """After a POST commits: make sure a filing task will see its row."""
    if time.monotonic() < _Promise.until:
        return  # committed before the promise ends: the task looks once more after that
    asked_at = time.monotonic()
    claimed, promise_ms = shared_redis.claim_and_remaining(KICK_KEY, _KICK_SECONDS, PROMISE_KEY)
    if claimed:
        _queue_task()
    elif promise_ms > 0:
        # Counted from before asking: Redis read the time left later than that, so the promise
        # ends no earlier than this, whatever the delays on the way back.
        _Promise.until = asked_at + promise_ms / 1000


def _queue_task() -> None:
    from services.tasks import requests_file_received_task

    try:
        requests_file_received_task.delay()
    except Exception:
        # Not queued: let the next POST (or the sweep) try, rather than wait for the claim to expire.
        shared_redis.release(KICK_KEY)
        raise


def requests_file_received_sweep() -> int:
    """Beat's safety net for a lost queue message: file what is waiting, unless a task is on it."""
    if not shared_redis.claim(KICK_KEY, _KICK_SECONDS):
        return 0
    return requests_file_received()


def requests_file_received() -> int:
    """File what has been received, batch by batch, until nothing is left; the number filed. The
    task runs it holding the kick (taken by the POST that queued it, or by the sweep)."""
    filed = 0
    deadline = time.monotonic() + _TASK_BUDGET_SECONDS
    # Without a broker (development) the task runs inside the POST that queued it: file what is
    # there and answer, neither gathering more nor promising a look no POST will rely on.
    in_the_post = settings.CELERY_TASK_ALWAYS_EAGER
    while True:
        while count := _file_batch():
            filed += count
            if in_the_post:
                continue
            shared_redis.hold(PROMISE_KEY, _PROMISE_MS)
            if time.monotonic() > deadline:
                # A fresh task takes over the claim (and the promise: it waits it out too).
                shared_redis.hold(KICK_KEY, _KICK_SECONDS * 1000)
                _queue_task()
                return filed
            if count < BATCH:
                # POSTs are coming in: wait a moment so the next ones are filed together, not by a
                # batch (and a lock on the audit chain) each.
                time.sleep(_GATHER_SECONDS)
        # Keep the promise: POSTs that relied on it may commit until it expires.
        while (promise_ms := shared_redis.remaining_ms(PROMISE_KEY)) > 0:
            time.sleep(promise_ms / 1000)
        shared_redis.release(KICK_KEY)
        # A POST that committed while the last batch ran found the kick taken and queued nothing:
        # file its request now, unless a POST since has queued a task that will.
        if not ReceivedRequest.objects.filter(failure="").exists() or not shared_redis.claim(KICK_KEY, _KICK_SECONDS):
            return filed


def _refusal(*, api_key: ApiKey | None, service: Service | None, grid: Area | None) -> str:
    """Why requests received through `api_key` for `service` in `grid` can no longer be filed (""
    if they can): the service was closed, or the key's operator lost the right to file, since they
    were received. Without a database constraint the key, service or grid could even be gone (None)."""
    if api_key is None or service is None or grid is None:
        return _("Its API key, service or grid no longer exists.")
    if not service.is_active:
        return _("This service is not taking requests.")
    try:
        filer_check(actor=api_key.created_by, requester=None, grid=grid, channel=Channel.OPEN311)
    except PermissionDenied as exc:
        return str(exc)
    return ""


@transaction.atomic
def _file_batch() -> int:
    """File up to BATCH received requests, oldest first, in one transaction; how many it took.
    Rows another worker is filing are skipped, not waited for."""
    batch = list(ReceivedRequest.objects.select_for_update(skip_locked=True).filter(failure="").order_by("id")[:BATCH])
    if not batch:
        return 0
    # One object for each key, operator, service and grid the batch names, shared by its rows: the
    # operator's roles are then read once per batch, and no row builds objects of its own.
    keys = ApiKey.objects.select_related("created_by").in_bulk({received.api_key_id for received in batch})
    services = Service.objects.in_bulk({received.service_id for received in batch})
    grids = Area.objects.in_bulk({received.grid_id for received in batch})
    to_file = []
    # A batch comes through a few keys, for a few services, in a few grids: each combination is
    # checked once, and the rows refused for one reason are marked together.
    reasons = {}
    refused: dict[str, list[int]] = {}
    with translation.override(settings.LANGUAGE_CODE):  # reasons are kept, so in the portal's language
        for received in batch:
            combination = (received.api_key_id, received.service_id, received.grid_id)
            if combination not in reasons:
                reasons[combination] = _refusal(
                    api_key=keys.get(received.api_key_id),
                    service=services.get(received.service_id),
                    grid=grids.get(received.grid_id),
                )
            if reason := reasons[combination]:
                logger.warning("Open311 request %s received but not filed: %s", received.public_id, reason)
                refused.setdefault(reason, []).append(received.pk)
                continue
            received.api_key = keys[received.api_key_id]
            received.service = services[received.service_id]
            received.grid = grids[received.grid_id]
            to_file.append(received)
    for reason, pks in refused.items():
        ReceivedRequest.objects.filter(pk__in=pks).update(failure=reason)
    requests = insert_instances(
        [
            ServiceRequest(
                public_id=received.public_id,
                created_at=received.received_at,
                service=received.service,
                **{name: getattr(received, name) for name in ReceivedRequest.STORED_FIELDS},
                filed_by=received.api_key.created_by,
                channel=Channel.OPEN311,
                handling_organisation=routing_resolve(service=received.service, grid=received.grid),
                **received_deadlines(received),
            )
            for received in to_file
        ]
    )
    events = insert_instances(
        [
            RequestEvent(
                request=request,
                kind=RequestEvent.Kind.SUBMITTED,
                actor=request.filed_by,
                to_status=RequestStatus.SUBMITTED,
                created_at=request.created_at,
            )
            for request in requests
        ]
    )
    for request, event in zip(requests, events, strict=True):
        request_event_recorded.send(sender=RequestEvent, request=request, event=event)
        notices.request_filed(request=request, event=event)
    ReceivedRequest.objects.filter(pk__in=[received.pk for received in to_file]).delete()
    # Last: the audit chain's lock is held from here to commit.
    audit_record_many(
        [
            AuditEntry(
                actor=request.filed_by,
                action="request.file",
                target=request,
                details=filed_details(Channel.OPEN311, received.api_key),
                ip_address=received.client_address,
            )
            for request, received in zip(requests, to_file, strict=True)
        ]
    )
    return len(batch)
