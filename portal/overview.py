"""The oversight summary for officials: their areas, one level down, with counts rolled up."""

from dataclasses import dataclass

from directory.models import Area
from residents.selectors import resident_counts_by_grid
from security.models import User
from security.scoping import area_paths


@dataclass
class AreaSummary:
    area: Area
    households: int = 0
    residents: int = 0
    elderly_alone: int = 0


def oversight_summary(*, user: User) -> list[tuple[Area, list[AreaSummary]]]:
    """For each area root the user oversees: its children with household, resident and
    elderly-living-alone counts. A fixed number of queries, whatever the tree's size."""
    roots = list(Area.objects.filter(path__in=area_paths(user)).order_by("path"))
    children = list(Area.objects.filter(parent__in=roots).order_by("path"))
    summaries = {child.path: AreaSummary(child) for child in children}
    for grid_path, counts in resident_counts_by_grid(user=user).items():
        for child_path, summary in summaries.items():
            if grid_path.startswith(child_path):
                summary.households += counts["households"]
                summary.residents += counts["residents"]
                summary.elderly_alone += counts["elderly_alone"]
                break
    return [(root, [summaries[c.path] for c in children if c.parent_id == root.id]) for root in roots]
