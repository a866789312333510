"""Helpers for the tests of requests that become projects: requests filed through the real service by
residents of their own, and a cluster of three in one grid."""

from __future__ import annotations

from decimal import Decimal

from security.models import Role
from services.services import request_file


def file_by(make_user, *, service, grid, lat=None, lng=None, role_area=None, description="楼道灯坏了"):
    """A request filed by a new resident of `grid` (their own request), optionally with a position."""
    requester = make_user(Role.RESIDENT, role_area or grid)
    return request_file(
        actor=requester,
        service=service,
        description=description,
        answers={"facility": "lift"},
        grid=grid,
        requester=requester,
        lat=Decimal(str(lat)) if lat is not None else None,
        lng=Decimal(str(lng)) if lng is not None else None,
    )


def cluster_of_three(make_user, *, service, grid):
    return [file_by(make_user, service=service, grid=grid) for _ in range(3)]
