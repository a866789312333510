"""Reading clusters of similar open requests that staff may turn into a community project or proposal:
the same service in the same community, filed in the last 30 days, still open and answered by no live
project, linked when they are in the same grid or (both having a position) within 300 m of each other;
at least 3. Staff see those of their own communities only. See docs/participation.md, "Requests that
become projects"."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from directory.models import Area
from participation.models import ProposalRequest, ProposalStatus
from security.models import User
from security.roles import PROPOSAL_ANSWER_ROLES
from security.scoping import area_q
from services.models import OPEN_STATUSES, Service, ServiceRequest

WINDOW_DAYS = 30
CLUSTER_MIN = 3
NEAR_METRES = 300
# The most recent open requests looked at, so the page stays one bounded query whatever the backlog.
CANDIDATE_MAX = 2000
EARTH_RADIUS_METRES = 6_371_000
# A project that is not done and not refused still answers its requests.
FINISHED_STATUSES = (ProposalStatus.DONE, ProposalStatus.NOT_ACCEPTED)


@dataclass
class Cluster:
    service: Service
    community: Area
    requests: list[ServiceRequest]

    @property
    def grids(self) -> list[Area]:
        return list({request.grid_id: request.grid for request in self.requests}.values())

    @property
    def public_ids(self) -> list[str]:
        return [request.public_id for request in self.requests]


def requests_in_live_projects() -> QuerySet:
    """The ids of requests a project or proposal not yet done (nor refused) answers."""
    return ProposalRequest.objects.exclude(proposal__status__in=FINISHED_STATUSES).values("request_id")


def cluster_candidates(*, user: User, now: datetime | None = None) -> QuerySet[ServiceRequest]:
    """Open requests of the last WINDOW_DAYS in the communities `user` serves as community staff,
    not merged, not answered by a live project; newest first. None for anyone else."""
    condition = area_q(user, "grid__path", PROPOSAL_ANSWER_ROLES)
    if condition is None:
        return ServiceRequest.objects.none()
    since = (now or timezone.now()) - timedelta(days=WINDOW_DAYS)
    return (
        ServiceRequest.objects.filter(
            condition, status__in=sorted(OPEN_STATUSES), created_at__gte=since, merged_into__isnull=True
        )
        .exclude(pk__in=requests_in_live_projects())
        .select_related("service", "grid__parent")
        .order_by("-created_at", "-id")
    )


def distance_metres(a: ServiceRequest, b: ServiceRequest) -> float:
    """Great-circle distance (haversine) between two requests with positions."""
    lat1, lng1, lat2, lng2 = (math.radians(float(v)) for v in (a.lat, a.lng, b.lat, b.lng))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(math.sqrt(h))


def _components(requests: list[ServiceRequest]) -> list[list[ServiceRequest]]:
    """Group requests linked by the same grid or by positions within NEAR_METRES (transitively)."""
    parent = list(range(len(requests)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    first_in_grid: dict[int, int] = {}
    for i, request in enumerate(requests):
        union(i, first_in_grid.setdefault(request.grid_id, i))
    # Positions in cells of NEAR_METRES: two requests that near lie in the same or adjacent cells, so
    # only those pairs are measured.
    cell_deg = math.degrees(NEAR_METRES / EARTH_RADIUS_METRES)
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, request in enumerate(requests):
        if request.lat is None or request.lng is None:
            continue
        shrink = max(math.cos(math.radians(float(request.lat))), 0.01)
        # Longitude scaled by cos(latitude): a cell is about NEAR_METRES wide both ways.
        cell = (math.floor(float(request.lat) / cell_deg), math.floor(float(request.lng) * shrink / cell_deg))
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in cells.get((cell[0] + dx, cell[1] + dy), ()):
                    if distance_metres(request, requests[j]) <= NEAR_METRES:
                        union(i, j)
        cells[cell].append(i)
    groups: dict[int, list[ServiceRequest]] = defaultdict(list)
    for i, request in enumerate(requests):
        groups[find(i)].append(request)
    return list(groups.values())


def request_clusters(*, user: User, now: datetime | None = None) -> list[Cluster]:
    """The clusters of at least CLUSTER_MIN similar open requests `user` may turn into a project, the
    biggest first. One query over at most CANDIDATE_MAX requests."""
    by_kind: dict[tuple[int, int], list[ServiceRequest]] = defaultdict(list)
    for request in cluster_candidates(user=user, now=now)[:CANDIDATE_MAX]:
        by_kind[(request.service_id, request.grid.parent_id)].append(request)
    clusters = []
    for requests in by_kind.values():
        for component in _components(requests):
            if len(component) >= CLUSTER_MIN:
                first = component[0]
                clusters.append(Cluster(service=first.service, community=first.grid.parent, requests=component))
    clusters.sort(key=lambda cluster: (-len(cluster.requests), -cluster.requests[0].created_at.timestamp()))
    return clusters


def requests_for_project(*, user: User, public_ids: list[str]) -> list[ServiceRequest]:
    """The requests named that `user` may still put into a project (open, recent, in their communities,
    in no live project), newest first; the others are left out."""
    return list(cluster_candidates(user=user).filter(public_id__in=public_ids[:CANDIDATE_MAX]))


def requests_of_project(*, proposal) -> QuerySet[ServiceRequest]:
    """The requests a project or proposal answers, oldest first (for the staff over its community)."""
    linked = ProposalRequest.objects.filter(proposal=proposal).values("request_id")
    return ServiceRequest.objects.filter(pk__in=linked).select_related("service", "grid").order_by("created_at", "id")
