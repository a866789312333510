"""`seed_demo --requests N`: many realistic requests whose every field and timeline event agrees
with what the portal's own services would have written."""

import statistics
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from demo.history import requests_seed
from directory.models import Area
from security.audit import audit_chain_verify
from security.models import AuditEvent, User
from services.models import OPEN_STATUSES, RequestEvent, RequestStatus, Service, ServiceRequest
from services.services import escalation_target_level, routing_resolve

S = RequestStatus
K = RequestEvent.Kind
N = 2_000
SEED = 7

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo and N requests, made once for the module through the command, inside a transaction
    rolled back at the end so the rest of the suite never sees them."""
    with django_db_blocker.unblock(), transaction.atomic():
        before = timezone.now()
        # Without the demo's year of history (test_demo_history has it), so the N are all there is.
        call_command("seed_demo", force=True, history=0, requests=N, seed=SEED, verbosity=0)
        after = timezone.now()
        # The demo's own few requests carry a submission key; the generated ones none.
        requests = list(
            ServiceRequest.objects.filter(submission_key="").select_related("service", "grid").order_by("pk")
        )
        events = defaultdict(list)
        for event in RequestEvent.objects.filter(request__in=requests).order_by("created_at", "id"):
            events[event.request_id].append(event)
        yield {"requests": requests, "events": events, "before": before, "after": after}
        transaction.set_rollback(True)


def test_adds_exactly_n_requests_with_timelines_and_one_audit_event(seeded):
    requests = seeded["requests"]
    assert len(requests) == N
    assert len({r.public_id for r in requests}) == N
    assert all(r.public_id.startswith("SQ") and len(r.public_id) == 12 for r in requests)
    assert all(seeded["events"][r.pk] for r in requests)
    runs = AuditEvent.objects.filter(action="demo.requests_seed")
    assert runs.count() == 1
    details = runs.get().details
    assert details["requests"] == N and details["seed"] == SEED
    assert details["events"] == sum(len(e) for e in seeded["events"].values())
    # One audit event for the run, none per request.
    assert not AuditEvent.objects.filter(
        object_type="services.ServiceRequest", object_id__in=[str(r.pk) for r in requests]
    ).exists()
    assert audit_chain_verify().intact


def test_timestamps_are_in_order_and_within_two_years(seeded):
    earliest = seeded["before"] - timedelta(days=731)
    for r in seeded["requests"]:
        assert earliest <= r.created_at <= seeded["after"], r.public_id
        steps = [t for t in (r.created_at, r.accepted_at, r.resolved_at, r.closed_at) if t is not None]
        assert steps == sorted(steps), r.public_id
        assert r.updated_at >= r.created_at
    # Numbered in filing order, as a portal running for two years would have numbered them.
    filed = [r.created_at for r in seeded["requests"]]
    assert filed == sorted(filed)


def test_deadlines_follow_each_services_sla(seeded):
    for r in seeded["requests"]:
        assert r.accept_due_at == r.created_at + timedelta(hours=r.service.accept_within_hours)
        reopens = [e for e in seeded["events"][r.pk] if e.kind == K.REOPENED]
        # A reopened request gets a fresh deadline from the moment it was reopened (request_reopen).
        start = reopens[-1].created_at if reopens else r.created_at
        assert r.resolve_due_at == start + timedelta(days=r.service.resolve_within_days), r.public_id


def test_status_timestamps_and_overdue_flag_agree(seeded):
    now = seeded["after"]
    overdue = 0
    for r in seeded["requests"]:
        status = r.status
        if status == S.REJECTED:
            accepted = any(e.to_status == S.ACCEPTED for e in seeded["events"][r.pk])
            assert (r.accepted_at is not None) == accepted
        else:
            assert (r.accepted_at is not None) == (status != S.SUBMITTED), r.public_id
        assert (r.resolved_at is not None) == (status in (S.RESOLVED, S.CLOSED)), r.public_id
        assert (r.closed_at is not None) == (status in (S.CLOSED, S.REJECTED)), r.public_id
        if status == S.RESOLVED:
            # Not yet past the reopen window, or the hourly task would have closed it.
            assert r.resolved_at + timedelta(days=r.service.reopen_window_days, hours=1) >= seeded["before"]
        if status in OPEN_STATUSES:
            # The escalation task would find nothing to do: the flag and level are up to date...
            assert escalation_target_level(r, seeded["before"] - timedelta(minutes=10)) <= r.escalation_level
            if escalation_target_level(r, seeded["before"] - timedelta(minutes=10)) > 0:
                assert r.is_overdue, r.public_id
            if escalation_target_level(r, now) == 0:
                assert not r.is_overdue, r.public_id
            overdue += r.is_overdue
        elif status in (S.RESOLVED, S.CLOSED):
            assert not r.is_overdue  # ...and resolving clears it.
        if status in (S.ASSIGNED, S.IN_PROGRESS):
            assert r.assignee_id is not None
    statuses = Counter(r.status for r in seeded["requests"])
    assert statuses[S.CLOSED] > N * 0.6
    assert 0 < sum(statuses[s] for s in OPEN_STATUSES) < N * 0.15
    assert 0 < statuses[S.REJECTED] < N * 0.1
    assert 0 < overdue


def test_ratings_only_on_resolved_or_closed_and_skewed_to_good(seeded):
    rated = [r for r in seeded["requests"] if r.rating is not None]
    assert all(r.status in (S.RESOLVED, S.CLOSED) for r in rated)
    assert all(1 <= r.rating <= 5 for r in rated)
    scores = Counter(r.rating for r in rated)
    assert len(rated) > N * 0.3
    assert scores[4] + scores[5] > 0.6 * len(rated)
    assert scores[1] + scores[2] > 0
    for r in rated:
        ratings = [e for e in seeded["events"][r.pk] if e.kind == K.RATING]
        assert len(ratings) == 1 and ratings[0].data == {"score": r.rating}
        assert ratings[0].actor_id == r.requester_id and ratings[0].created_at >= r.resolved_at
    unrated = [r for r in seeded["requests"] if r.rating is None]
    assert not any(e.kind == K.RATING for r in unrated for e in seeded["events"][r.pk])


def test_a_few_percent_are_reopened_and_worked_on_again(seeded):
    reopened = 0
    for r in seeded["requests"]:
        events = seeded["events"][r.pk]
        reopens = [e for e in events if e.kind == K.REOPENED]
        if not reopens:
            continue
        reopened += 1
        (reopen,) = reopens
        assert (reopen.from_status, reopen.to_status) == (S.RESOLVED, S.ASSIGNED)
        assert reopen.actor_id == r.requester_id and reopen.message
        earlier = [e for e in events if e.created_at < reopen.created_at and e.to_status == S.RESOLVED]
        assert earlier, r.public_id
        # Within the reopen window of the first resolution.
        window = timedelta(days=r.service.reopen_window_days)
        assert reopen.created_at - earlier[-1].created_at <= window
        later = [e.to_status for e in events if e.created_at > reopen.created_at and e.to_status]
        assert later[:1] in ([], [S.IN_PROGRESS]), r.public_id
    assert N * 0.005 < reopened < N * 0.08


def test_every_request_goes_where_the_routing_rules_send_it(seeded):
    pairs = {(r.service_id, r.grid_id): r.handling_organisation_id for r in seeded["requests"]}
    services = {s.pk: s for s in Service.objects.all()}
    grids = {g.pk: g for g in Area.objects.filter(kind=Area.Kind.GRID)}
    for (service_id, grid_id), organisation_id in pairs.items():
        expected = routing_resolve(service=services[service_id], grid=grids[grid_id])
        assert organisation_id == (expected.pk if expected else None)
    for r in seeded["requests"]:
        assert pairs[r.service_id, r.grid_id] == r.handling_organisation_id


def test_demand_is_skewed_across_services_places_and_days(seeded):
    requests = seeded["requests"]
    by_service = Counter(r.service_id for r in requests).most_common()
    assert by_service[0][1] > 3 * by_service[-1][1]
    by_grid = Counter(r.grid_id for r in requests)
    counts = sorted(by_grid.values())
    assert counts[-1] > 3 * statistics.median(counts)
    local = [timezone.localtime(r.created_at) for r in requests]
    weekdays = Counter(t.weekday() for t in local)
    assert statistics.mean(weekdays[d] for d in range(5)) > 1.2 * statistics.mean(weekdays[d] for d in (5, 6))
    assert sum(1 for t in local if 8 <= t.hour < 18) > 3 * sum(1 for t in local if t.hour < 6)
    # Requests grow over the two years as the portal catches on.
    middle = seeded["before"] - timedelta(days=365)
    assert sum(r.created_at > middle for r in requests) > 1.2 * sum(r.created_at <= middle for r in requests)
    channels = Counter(r.channel for r in requests)
    assert len(channels) >= 4 and channels.most_common(1)[0][0] == "web"
    public = sum(r.is_public for r in requests)
    assert N * 0.5 < public < N * 0.95


def test_each_timeline_replays_to_the_request(seeded):
    users = set(User.objects.values_list("pk", flat=True))
    for r in seeded["requests"]:
        events = seeded["events"][r.pk]
        first = events[0]
        assert (first.kind, first.to_status, first.actor_id) == (K.SUBMITTED, S.SUBMITTED, r.filed_by_id)
        assert first.created_at == r.created_at
        status, stamps = S.SUBMITTED, defaultdict(list)
        for event in events[1:]:
            assert event.created_at >= r.created_at
            assert event.actor_id is None or event.actor_id in users
            if event.kind in (K.STATUS, K.ASSIGNMENT, K.REOPENED):
                assert event.from_status == status, (r.public_id, event.kind, event.from_status, status)
                status = event.to_status
                stamps[status].append(event.created_at)
            elif event.kind == K.ESCALATION:
                assert not event.is_public and event.data["level"] >= 1
        assert status == r.status, r.public_id
        assert r.accepted_at == (stamps[S.ACCEPTED][0] if stamps[S.ACCEPTED] else None)
        if r.resolved_at:
            assert r.resolved_at == stamps[S.RESOLVED][-1]
        if r.closed_at:
            assert r.closed_at == (stamps[S.CLOSED] or stamps[S.REJECTED])[-1]
        if r.status == S.REJECTED:
            assert all(e.message for e in events if e.to_status == S.REJECTED), r.public_id
        levels = [e.data["level"] for e in events if e.kind == K.ESCALATION]
        assert levels == list(range(1, r.escalation_level + 1)), r.public_id
        assert r.updated_at == events[-1].created_at


def test_a_seeded_request_reads_right_on_its_detail_page(seeded, client):
    reopened = next(
        r
        for r in seeded["requests"]
        if r.status == S.CLOSED and any(e.kind == K.REOPENED for e in seeded["events"][r.pk])
    )
    reason = next(e.message for e in seeded["events"][reopened.pk] if e.kind == K.REOPENED)
    client.force_login(User.objects.get(pk=reopened.requester_id))
    page = client.get(f"/requests/{reopened.public_id}/")
    assert page.status_code == 200
    assert reopened.public_id in page.text and reason in page.text


def test_same_seed_and_data_give_the_same_requests_another_seed_does_not(seeded):
    now = seeded["after"]

    def run(seed, workers=1):
        with transaction.atomic():
            report = requests_seed(count=50, seed=seed, now=now, summaries=False, batch_size=20, workers=workers)
            made = list(
                ServiceRequest.objects.filter(pk__gte=report.first_id, pk__lte=report.last_id)
                .order_by("pk")
                .values_list("public_id", "service_id", "grid_id", "status", "created_at", "closed_at", "rating")
            )
            timeline = list(
                RequestEvent.objects.filter(request_id__gte=report.first_id, request_id__lte=report.last_id)
                .order_by("request_id", "created_at", "id")
                .values_list("kind", "to_status", "created_at", "actor_id")
            )
            transaction.set_rollback(True)
        return made, timeline

    first = run(SEED)
    assert len(first[0]) == 50
    assert run(SEED) == first
    assert run(SEED, workers=2) == first  # however many processes make them
    assert run(SEED + 1)[0] != first[0]


def test_running_again_adds_another_n(seeded):
    before = ServiceRequest.objects.count()
    report = requests_seed(count=120, seed=SEED, summaries=False)
    assert ServiceRequest.objects.count() == before + 120
    assert report.added == 120
    assert ServiceRequest.objects.values("public_id").distinct().count() == before + 120
    assert AuditEvent.objects.filter(action="demo.requests_seed").count() == 2


def _schema():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid IN ('services_servicerequest'::regclass, 'services_requestevent'::regclass)"
        )
        constraints = set(cursor.fetchall())
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename IN ('services_servicerequest', 'services_requestevent')"
        )
        return constraints, set(cursor.fetchall())


def test_the_bulk_load_puts_every_index_and_foreign_key_back(seeded):
    schema = _schema()
    before = ServiceRequest.objects.count()
    requests_seed(count=300, seed=SEED, summaries=False, bulk=True)
    constraints, indexes = _schema()
    assert constraints == schema[0]
    # (PostgreSQL prints a rebuilt partial index's condition a little differently: compare names.)
    assert {name for name, _definition in indexes} == {name for name, _definition in schema[1]}
    assert ServiceRequest.objects.count() == before + 300
    assert len(schema[1]) > 20


@pytest.mark.parametrize("value", ["-5", "lots", "1.5"])
def test_bad_numbers_are_refused_and_change_nothing(seeded, value):
    before = ServiceRequest.objects.count(), AuditEvent.objects.count()
    with pytest.raises(CommandError, match="--requests"):
        call_command("seed_demo", "--force", "--requests", value, verbosity=0)
    with pytest.raises(ValueError, match="zero or more"):
        requests_seed(count=-1)
    assert (ServiceRequest.objects.count(), AuditEvent.objects.count()) == before
