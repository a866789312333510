"""Who organises events and volunteer activities, and where: the one place that events, volunteering,
their selectors and their views ask (security.roles says which roles and organisations).

- **Area staff** (`PARTICIPATION_ORGANISER_ROLES`) organise for their area's subtree: they manage every
  event and activity in it, whoever organises it, and may credit an organisation of their area.
- **A social organisation's operator** (`PARTICIPATION_ORGANISATION_ROLES` acting for an active
  organisation of `PARTICIPATION_ORGANISATION_KINDS`) organises as that organisation, for the subtree
  of the area their role is granted at, and manages only what their organisation organises there.
  An enterprise partner's operator holds the same role and organises nothing.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from security.models import RoleAssignment, User
from security.roles import (
    PARTICIPATION_ORGANISATION_KINDS,
    PARTICIPATION_ORGANISATION_ROLES,
    PARTICIPATION_ORGANISER_ROLES,
)
from security.scoping import area_q, covers_area, has_role, restrict, role_assignments


def organisation_assignments(user: User) -> list[RoleAssignment]:
    """The user's roles that let them organise as a (social) organisation; read with their roles."""
    return [
        assignment
        for assignment in role_assignments(user)
        if assignment.role in PARTICIPATION_ORGANISATION_ROLES
        and assignment.organisation is not None
        and assignment.organisation.kind in PARTICIPATION_ORGANISATION_KINDS
        and assignment.organisation.is_active
    ]


def is_area_organiser(user: User) -> bool:
    return has_role(user, PARTICIPATION_ORGANISER_ROLES)


def is_organiser(user: User) -> bool:
    """Whether the user organises events and activities anywhere (the staff pages and navigation)."""
    return is_area_organiser(user) or bool(organisation_assignments(user))


def organiser_required(view):
    """The view is for organisers (is_organiser); anyone else signed in gets 403, anonymous: sign in."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_organiser(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def may_manage(user: User, *, area: Area, organiser_id: int | None) -> bool:
    """Whether `user` manages an event or activity for `area` organised by `organiser_id`."""
    if covers_area(user, area, PARTICIPATION_ORGANISER_ROLES):
        return True
    return organiser_id is not None and any(
        assignment.organisation_id == organiser_id and area.path.startswith(assignment.area.path)
        for assignment in organisation_assignments(user)
    )


def managed(queryset: QuerySet, user: User, *, area_path: str, organiser: str) -> QuerySet:
    """`queryset` restricted to the rows `user` manages (may_manage as a query): `area_path` is a lookup
    to the row's Area path, `organiser` to its organising Organisation's id."""
    condition = area_q(user, area_path, PARTICIPATION_ORGANISER_ROLES)
    for assignment in organisation_assignments(user):
        term = Q(**{f"{area_path}__startswith": assignment.area.path, organiser: assignment.organisation_id})
        condition = term if condition is None else condition | term
    return queryset.none() if condition is None else queryset.filter(condition)


def organiser_areas(user: User) -> QuerySet[Area]:
    """The areas whose residents the user may organise for, by path."""
    condition = area_q(user, "path", PARTICIPATION_ORGANISER_ROLES)
    for assignment in organisation_assignments(user):
        term = Q(path__startswith=assignment.area.path)
        condition = term if condition is None else condition | term
    areas = Area.objects.none() if condition is None else Area.objects.filter(condition)
    return areas.order_by("path")


def organisation_credit_allowed(*, actor: User, organiser: Organisation) -> bool:
    """Area staff may credit an active organisation they work for, or one based in their area."""
    if not organiser.is_active:
        return False
    own = {a.organisation_id for a in role_assignments(actor) if a.organisation_id}
    return organiser.pk in own or covers_area(actor, organiser.area, PARTICIPATION_ORGANISER_ROLES)


def organiser_choices(user: User) -> QuerySet[Organisation]:
    """The organisations the user may name as organiser: for area staff, those they may credit; for
    a social organisation's operator, their own organisation."""
    own = [a.organisation_id for a in role_assignments(user) if a.organisation_id]
    in_area = restrict(
        Organisation.objects.all(), user, area_path="area__path", area_roles=PARTICIPATION_ORGANISER_ROLES
    )
    if not is_area_organiser(user):
        own = [a.organisation_id for a in organisation_assignments(user)]
        in_area = Organisation.objects.none()
    return Organisation.objects.filter(Q(pk__in=in_area.values("pk")) | Q(pk__in=own), is_active=True).order_by(
        "name_zh"
    )


def organiser_checked(
    *, actor: User, area: Area, organiser: Organisation | None, current_id: int | None = None
) -> Organisation | None:
    """The organisation credited with a new or moved event or activity for `area`, after checking that
    `actor` may organise there. Area staff: `organiser` as given (None: the area's staff), if they may
    credit it (or it is `current_id`, already credited). A social organisation's operator: their
    organisation whose role covers `area` (when `organiser` is None, the first). Anyone else, or an area
    out of reach: PermissionDenied."""
    if covers_area(actor, area, PARTICIPATION_ORGANISER_ROLES):
        if (
            organiser is not None
            and organiser.pk != current_id
            and not organisation_credit_allowed(actor=actor, organiser=organiser)
        ):
            raise ValidationError({"organiser": _("Choose an organisation of your area.")})
        return organiser
    covering = [a for a in organisation_assignments(actor) if area.path.startswith(a.area.path)]
    if not covering:
        raise PermissionDenied(_("You can organise only for the residents of your own area."))
    if organiser is None:
        return covering[0].organisation
    for assignment in covering:
        if assignment.organisation_id == organiser.pk:
            return assignment.organisation
    raise ValidationError({"organiser": _("You organise only as your own organisation.")})
