"""Reading construction projects, scoped by the acting user (and, for the public pages, by nobody).

Who sees a project:
- programme readers (security.roles.PROGRAMME_READER_ROLES: officers, leaders, auditors, admins,
  community staff) whose subtree holds the project's area or one of the communities it covers;
- department officers of its responsible department;
- partner operators of one of its partner organisations.
Area readers and the responsible department also see its spending entries and documents; partners see
the project, its milestones, deliverables and spending totals. Everyone else: 404, the same as for a
project that does not exist.

The dashboards read the projects of an area they have checked is in the viewer's scope
(dashboards.programme).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from directory.models import Area
from programme.models import BudgetAdjustment, ConstructionProject, ProjectDocument, ProjectSpend
from programme.project_status import with_status
from security.models import Role
from security.roles import PROGRAMME_DISTRICT_ROLES, PROGRAMME_READER_ROLES
from security.scoping import area_paths, area_q, organisation_ids

_Communities = ConstructionProject.communities.through
_Partners = ConstructionProject.partners.through


def _area_q(user) -> Q | None:
    """Projects whose area, or one of whose communities, lies in the user's reader subtrees."""
    by_area = area_q(user, "area__path", PROGRAMME_READER_ROLES)
    if by_area is None:
        return None
    covering = _Communities.objects.filter(area_q(user, "area__path", PROGRAMME_READER_ROLES))
    return by_area | Q(pk__in=covering.values("constructionproject_id"))


def _visible(user) -> QuerySet[ConstructionProject]:
    projects = ConstructionProject.objects.all()
    if not user.is_authenticated or not user.is_active:
        return projects.none()
    conditions = []
    by_area = _area_q(user)
    if by_area is not None:
        conditions.append(by_area)
    departments = organisation_ids(user, {Role.DEPARTMENT_OFFICER})
    if departments:
        conditions.append(Q(department_id__in=departments))
    partners = organisation_ids(user, {Role.PARTNER_OPERATOR})
    if partners:
        taking_part = _Partners.objects.filter(organisation_id__in=partners).values("constructionproject_id")
        conditions.append(Q(pk__in=taking_part))
    if not conditions:
        return projects.none()
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return projects.filter(combined)


def _listed(projects: QuerySet[ConstructionProject], today: date | None) -> QuerySet[ConstructionProject]:
    # Ordered here: the status annotations group by project, which drops the model's default ordering.
    return (
        with_status(projects, today=today)
        .select_related("area", "department")
        .prefetch_related(Prefetch("communities", queryset=Area.objects.order_by("path")))
        .order_by("-created_at", "-pk")
    )


def projects_for_user(
    *, user, status: str = "", area: Area | None = None, today: date | None = None
) -> QuerySet[ConstructionProject]:
    """The projects `user` sees, newest first, with status annotations (project_status.with_status)
    and their area, department and communities loaded; optionally of one status, or covering
    communities of `area`'s subtree."""
    projects = _visible(user)
    if area is not None:
        projects = projects.filter(
            pk__in=_Communities.objects.filter(area__path__startswith=area.path).values("constructionproject_id")
        )
    projects = _listed(projects, today)
    if status:
        projects = projects.filter(status=status)
    return projects


def project_get_for_user(*, user, public_id) -> ConstructionProject:
    """One project `user` sees, with its milestones, deliverables, communities and partners; 404 otherwise."""
    project = (
        _visible(user)
        .filter(public_id=public_id)
        .select_related("area", "department", "accepted_by")
        .prefetch_related(
            Prefetch("communities", queryset=Area.objects.order_by("path")),
            "partners",
            "milestones",
            "deliverables",
        )
        .first()
    )
    if project is None:
        raise Http404
    return project


def project_sees_records(*, user, project: ConstructionProject) -> bool:
    """Whether `user` sees the spending entries and documents (area readers and the responsible
    department; partners do not)."""
    paths = area_paths(user, PROGRAMME_READER_ROLES)
    areas = [project.area, *project.communities.all()]
    if any(area.path.startswith(path) for path in paths for area in areas):
        return True
    return project.department_id in organisation_ids(user, {Role.DEPARTMENT_OFFICER})


def project_records(*, user, project: ConstructionProject) -> dict:
    """The spending entries, budget adjustments and documents of a project, for those who see them."""
    if not project_sees_records(user=user, project=project):
        return {"spends": [], "adjustments": [], "documents": []}
    return {
        "spends": list(project.spends.select_related("recorded_by").order_by("-spent_on", "-pk")),
        "adjustments": list(project.adjustment_requests.select_related("requested_by", "decided_by")),
        "documents": list(project.documents.select_related("uploaded_by")),
    }


def spend_get_for_user(*, user, public_id, pk: int) -> ProjectSpend:
    project = project_get_for_user(user=user, public_id=public_id)
    if not project_sees_records(user=user, project=project):
        raise Http404
    spend = ProjectSpend.objects.filter(project=project, pk=pk).exclude(file="").first()
    if spend is None:
        raise Http404
    return spend


def document_get_for_user(*, user, public_id, pk: int) -> ProjectDocument:
    project = project_get_for_user(user=user, public_id=public_id)
    if not project_sees_records(user=user, project=project):
        raise Http404
    document = ProjectDocument.objects.filter(project=project, pk=pk).first()
    if document is None:
        raise Http404
    return document


def adjustments_awaiting_decision(*, user) -> QuerySet[BudgetAdjustment]:
    """Adjustments waiting for a district leader over their project's area (the asker's own included:
    the page shows them, the service refuses them)."""
    by_area = area_q(user, "project__area__path", PROGRAMME_DISTRICT_ROLES)
    if by_area is None:
        return BudgetAdjustment.objects.none()
    return (
        BudgetAdjustment.objects.filter(by_area, status=BudgetAdjustment.Status.PENDING)
        .select_related("project", "project__area", "requested_by")
        .order_by("created_at", "pk")
    )


def adjustment_get_for_decider(*, user, pk: int) -> BudgetAdjustment:
    adjustment = adjustments_awaiting_decision(user=user).filter(pk=pk).first()
    if adjustment is None:
        raise Http404
    return adjustment


# --- the public pages -------------------------------------------------------------------------------


def public_projects(*, area: Area | None = None, today: date | None = None) -> QuerySet[ConstructionProject]:
    """Every project, for anyone: what the public pages show (no documents, no people). `area`: only
    those covering communities of its subtree."""
    projects = ConstructionProject.objects.all()
    if area is not None:
        projects = projects.filter(
            pk__in=_Communities.objects.filter(area__path__startswith=area.path).values("constructionproject_id")
        )
    return _listed(projects.defer("acceptance_note", "accepted_by", "created_by"), today)


def public_project_get(*, public_id) -> ConstructionProject:
    project = (
        ConstructionProject.objects.filter(public_id=public_id)
        .select_related("area", "department")
        .prefetch_related(
            Prefetch("communities", queryset=Area.objects.order_by("path")), "partners", "milestones", "deliverables"
        )
        .first()
    )
    if project is None:
        raise Http404
    return project


def public_filter_areas() -> QuerySet[Area]:
    """The subdistricts and communities a visitor may narrow the public list to."""
    return Area.objects.filter(kind__in=(Area.Kind.SUBDISTRICT, Area.Kind.COMMUNITY)).order_by("path")
