"""Reads of the district's structure. The tree itself is public knowledge, so these take no user;
what a user may see *inside* an area is decided by `security.scoping`."""

from django.db.models import QuerySet

from directory.geo import as_float, distance_m, point_in_geojson
from directory.models import Area

# A point farther than this from every grid's centre is outside the district.
NEAREST_GRID_MAX_M = 3000


def area_subtree(*, area: Area) -> QuerySet[Area]:
    """The area and every area under it, in one indexed prefix query."""
    return Area.objects.filter(path__startswith=area.path)


def area_ancestors(*, area: Area) -> QuerySet[Area]:
    """The area's ancestors from the district down (the area itself excluded)."""
    codes = area.path.rstrip("/").split("/")[:-1]
    return Area.objects.filter(code__in=codes).order_by("depth")


def area_children(*, area: Area) -> QuerySet[Area]:
    return Area.objects.filter(parent=area).order_by("code")


def area_ancestor_paths(*, area: Area) -> list[str]:
    """The paths of the area and of every area above it, district first."""
    parts = area.path.rstrip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def grid_for_point(*, lat: float, lng: float) -> Area | None:
    """The grid a point lies in: by boundary where grids have one, else the nearest grid centre
    within NEAREST_GRID_MAX_M. None when the point is outside the district."""
    grids = list(
        Area.objects.filter(kind=Area.Kind.GRID).only("id", "code", "path", "centre_lat", "centre_lng", "boundary")
    )
    for grid in grids:
        if grid.boundary and point_in_geojson(lat, lng, grid.boundary):
            return grid
    best, best_distance = None, float(NEAREST_GRID_MAX_M)
    for grid in grids:
        if grid.boundary or grid.centre_lat is None or grid.centre_lng is None:
            continue
        d = distance_m(lat, lng, as_float(grid.centre_lat), as_float(grid.centre_lng))
        if d <= best_distance:
            best, best_distance = grid, d
    return best
