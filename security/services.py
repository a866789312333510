from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from directory.models import Area, Organisation
from security.audit import audit_record
from security.models import Role, RoleAssignment, User
from security.roles import ORGANISATION_ROLES, ROLE_AREA_KINDS, ROLE_ORGANISATION_KINDS
from security.scoping import forget_role_assignments


@transaction.atomic
def user_create(
    *, username: str, password: str | None, email: str = "", first_name: str = "", actor: User | None = None
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("The user name %(name)s is taken.") % {"name": username})
    user = User.objects.create_user(username=username, email=email, password=password, first_name=first_name)
    audit_record(actor=actor, action="user.create", target=user)
    return user


def role_grant_check(*, role: str, area: Area, organisation: Organisation | None) -> None:
    """Raise ValidationError unless `role` may be granted over `area` for `organisation`."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role: %(role)s.") % {"role": role})
    role = Role(role)
    if area.kind not in ROLE_AREA_KINDS[role]:
        raise ValidationError(
            _("A %(role)s is granted over a %(kinds)s, not a %(kind)s.")
            % {
                "role": role.label,
                "kinds": " / ".join(str(Area.Kind(k).label) for k in sorted(ROLE_AREA_KINDS[role])),
                "kind": Area.Kind(area.kind).label,
            }
        )
    if organisation is None and role in ORGANISATION_ROLES:
        raise ValidationError(_("A %(role)s must act for an organisation.") % {"role": role.label})
    if organisation is not None:
        allowed = ROLE_ORGANISATION_KINDS.get(role, set())
        if organisation.kind not in allowed:
            raise ValidationError(
                _("A %(role)s cannot act for a %(org)s.")
                % {"role": role.label, "org": Organisation.Kind(organisation.kind).label}
            )
        # A role never reaches wider than the organisation it acts for.
        if not area.is_within(organisation.area):
            raise ValidationError(_("The role's area must lie within the organisation's area."))


@transaction.atomic
def role_grant(
    *, user: User, role: str, area: Area, organisation: Organisation | None = None, granted_by: User | None = None
) -> RoleAssignment:
    """Give `user` a role over `area` (and, for organisation roles, on behalf of `organisation`)."""
    role_grant_check(role=role, area=area, organisation=organisation)
    role = Role(role)
    existing = RoleAssignment.objects.filter(user=user, role=role, area=area, organisation=organisation).first()
    if existing is not None:
        return existing
    assignment = RoleAssignment.objects.create(
        user=user, role=role, area=area, organisation=organisation, granted_by=granted_by
    )
    audit_record(
        actor=granted_by,
        action="role.grant",
        target=user,
        details={"role": role.value, "area": area.code, "organisation": organisation.code if organisation else None},
    )
    forget_role_assignments(user)
    return assignment


@transaction.atomic
def role_revoke(*, assignment: RoleAssignment, revoked_by: User | None) -> None:
    audit_record(
        actor=revoked_by,
        action="role.revoke",
        target=assignment.user,
        details={
            "role": assignment.role,
            "area": assignment.area.code,
            "organisation": assignment.organisation.code if assignment.organisation else None,
        },
    )
    assignment.delete()
    forget_role_assignments(assignment.user)
