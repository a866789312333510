import re

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

# An English name holding an administrative division code ("Grid 1, community 511302001001") names
# nothing a reader knows; the Chinese place name does, so English pages show that instead. Division
# codes run to 6-14 digits; no real English name of a place or body holds six digits in a row.
_SPELLS_A_CODE = re.compile(r"\d{6,}")


class BilingualNameMixin:
    """Shows `name_zh` to Chinese readers and `name_en` (falling back to Chinese) to others."""

    @property
    def name(self) -> str:
        language = get_language() or "zh-hans"
        if language.startswith("zh") or not self.name_en or _SPELLS_A_CODE.search(self.name_en):
            return self.name_zh
        return self.name_en

    def __str__(self) -> str:
        return self.name


class Area(BilingualNameMixin, TimeStampedModel):
    """One node of the district tree: district 区 → subdistrict 街道/镇 → community 社区 → grid 网格.

    `path` is a materialised path of codes ("511302/511302001/…/"), so every area under X is
    one indexed prefix query: `Area.objects.filter(path__startswith=x.path)`.
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District")
        SUBDISTRICT = "subdistrict", _("Subdistrict or town")
        COMMUNITY = "community", _("Community")
        GRID = "grid", _("Grid")

    # The kind a child must have, by the kind of its parent.
    CHILD_KIND = {
        Kind.DISTRICT: Kind.SUBDISTRICT,
        Kind.SUBDISTRICT: Kind.COMMUNITY,
        Kind.COMMUNITY: Kind.GRID,
    }

    code = models.CharField(_("code"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    # Django adds a varchar_pattern_ops index on PostgreSQL for db_index CharFields, which the
    # prefix (LIKE 'x%') subtree queries use.
    path = models.CharField(max_length=255, unique=True, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)
    centre_lat = models.DecimalField(_("centre latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    centre_lng = models.DecimalField(_("centre longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON polygon)"), null=True, blank=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="district", parent__isnull=True) | (~Q(kind="district") & Q(parent__isnull=False))),
                name="area_only_district_is_root",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["district", "subdistrict", "community", "grid"]), name="area_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(centre_lat__isnull=True) | Q(centre_lat__gte=-90, centre_lat__lte=90),
                name="area_centre_lat_range",
            ),
            models.CheckConstraint(
                condition=Q(centre_lng__isnull=True) | Q(centre_lng__gte=-180, centre_lng__lte=180),
                name="area_centre_lng_range",
            ),
        ]
        indexes = [models.Index(fields=["kind", "path"], name="area_kind_path_idx")]

    def is_within(self, other: "Area") -> bool:
        """True when this area is `other` or lies under it."""
        return self.path.startswith(other.path)


class Organisation(BilingualNameMixin, TimeStampedModel):
    """A body that acts in the portal: a government department, a subdistrict office, a community
    committee, an enterprise partner or a social organisation (社会组织: elderly care, mediation and other
    non-profit services the community buys or hosts). Its `area` is where it works."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Government department")
        SUBDISTRICT_OFFICE = "subdistrict_office", _("Subdistrict office")
        COMMUNITY_COMMITTEE = "community_committee", _("Community committee")
        PARTNER = "partner", _("Enterprise partner")
        SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")

    code = models.CharField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("area"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "department",
                        "subdistrict_office",
                        "community_committee",
                        "partner",
                        "social_organisation",
                    ]
                ),
                name="organisation_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["kind", "is_active"], name="organisation_kind_active_idx")]
