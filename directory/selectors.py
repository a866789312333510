"""Reads of the district's structure. The tree itself is public knowledge, so these take no user;
what a user may see *inside* an area is decided by `security.scoping`."""

from django.db.models import QuerySet

from directory.models import Area


def area_subtree(*, area: Area) -> QuerySet[Area]:
    """The area and every area under it, in one indexed prefix query."""
    return Area.objects.filter(path__startswith=area.path)


def area_ancestors(*, area: Area) -> QuerySet[Area]:
    """The area's ancestors from the district down (the area itself excluded)."""
    codes = area.path.rstrip("/").split("/")[:-1]
    return Area.objects.filter(code__in=codes).order_by("depth")


def area_children(*, area: Area) -> QuerySet[Area]:
    return Area.objects.filter(parent=area).order_by("code")
