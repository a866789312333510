"""Requests for the dashboards' tests, made through the real services and then moved back in time.

Each request lives a random life (left open, accepted, in progress, resolved, closed and rated,
rejected, reopened once and resolved again, reopened and still open), then its timestamps are
shifted back by a random number of days with a random time to accept and to resolve, so the
figures spread over days, weeks, months, SLA hits and misses and every histogram bucket.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from directory.models import Area
from security.models import Role, User
from services import services as steps
from services.catalogue import service_define
from services.models import RequestEvent, RoutingRule, Service, ServiceRequest

FATES = ("open", "accepted", "in_progress", "resolved", "closed_rated", "rejected", "reopened_resolved", "reopened")
# Hours from filing to acceptance and to resolution: inside and outside every SLA and bucket.
ACCEPT_HOURS = (0.2, 1.0, 3.5, 20, 30, 100)
RESOLVE_HOURS = (5, 47, 80, 119, 130, 400, 900)


@dataclass
class World:
    services: list[Service]
    grids: list[Area]
    handlers: dict[str, User]
    requester: User


def second_service(*, tree, orgs) -> Service:
    """A cleaning service in another group, routed to the other department district-wide."""
    clean = service_define(
        code="clean",
        group="环境卫生",
        name_zh="保洁",
        name_en="Cleaning",
        accept_within_hours=12,
        resolve_within_days=3,
        reopen_window_days=7,
    )
    RoutingRule.objects.get_or_create(service=clean, area=tree.d, defaults={"organisation": orgs.dept_other})
    return clean


def world(*, tree, orgs, catalogue, people, make_user) -> World:
    return World(
        services=[catalogue.repair, second_service(tree=tree, orgs=orgs)],
        grids=[tree.g1, tree.g1, tree.g1b, tree.g2],
        handlers={"S1": people.subdistrict, "S2": make_user(Role.SUBDISTRICT_OFFICER, tree.s2)},
        requester=people.resident,
    )


def _live(request: ServiceRequest, fate: str, handler: User, requester: User, rng: random.Random) -> None:
    if fate == "open":
        return
    if fate == "rejected":
        steps.request_reject(request=request, actor=handler, reason="不属于本平台受理范围")
        return
    steps.request_accept(request=request, actor=handler)
    if fate == "accepted":
        return
    steps.request_start(request=request, actor=handler)
    if fate == "in_progress":
        return
    steps.request_resolve(request=request, actor=handler, note="已处理")
    if fate in ("reopened", "reopened_resolved"):
        steps.request_reopen(request=request, actor=requester, reason="还是坏的")
        if fate == "reopened":
            return
        steps.request_resolve(request=request, actor=handler, note="再次处理")
    if fate == "closed_rated":
        steps.request_close(request=request, actor=requester)
    if fate in ("closed_rated", "reopened_resolved"):
        steps.request_rate(request=request, actor=requester, score=rng.randint(1, 5))


def backdate(request: ServiceRequest, *, created: datetime, rng: random.Random) -> None:
    """Move a request's life so it was filed at `created`, with random delays after that."""
    request.refresh_from_db()
    service = request.service
    fields = {
        "created_at": created,
        "accept_due_at": created + timedelta(hours=service.accept_within_hours),
        "resolve_due_at": created + timedelta(days=service.resolve_within_days),
    }
    accepted = created + timedelta(hours=rng.choice(ACCEPT_HOURS))
    resolved = created + timedelta(hours=max(rng.choice(RESOLVE_HOURS), rng.choice(ACCEPT_HOURS) + 1))
    if request.accepted_at:
        fields["accepted_at"] = accepted
    if request.resolved_at:
        fields["resolved_at"] = max(resolved, accepted)
    if request.closed_at:
        fields["closed_at"] = fields.get("resolved_at", accepted) + timedelta(hours=1)
    ServiceRequest.objects.filter(pk=request.pk).update(**fields)
    RequestEvent.objects.filter(request=request).update(created_at=created)


def generate(w: World, *, n: int, now: datetime, max_days_ago: int, seed: int = 5) -> list[ServiceRequest]:
    """`n` requests filed from `max_days_ago` days ago up to `now`, a few of them today."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    made = []
    for i in range(n):
        grid = rng.choice(w.grids)
        service = rng.choice(w.services)
        request = steps.request_file(
            actor=w.requester,
            service=service,
            description=f"第{i}件诉求",
            answers={"facility": "lift"} if service.code == "repair" else {},
            grid=grid,
            requester=w.requester,
        )
        handler = w.handlers["S1" if grid.path.startswith(w.grids[0].parent.parent.path) else "S2"]
        _live(request, rng.choice(FATES), handler, w.requester, rng)
        days_ago = 0 if i % 10 == 0 else rng.randint(0, max_days_ago)
        created = now - timedelta(days=days_ago, hours=rng.uniform(0, 20) if days_ago else 0, minutes=1)
        backdate(request, created=created, rng=rng)
        made.append(request)
    # The deadline task flags the ones now past their deadlines as overdue, as every five minutes.
    for late in steps.overdue_candidates(now=now):
        steps.request_escalate(request=late, now=now)
    return made
