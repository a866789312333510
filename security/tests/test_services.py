import pytest
from django.core.exceptions import ValidationError

from security.models import AuditEvent, Role, RoleAssignment
from security.services import role_grant, role_revoke

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "area_name", "org_name", "message"),
    [
        (Role.GRID_WORKER, "c1", None, "granted over"),
        (Role.DISTRICT_LEADER, "s1", None, "granted over"),
        (Role.DEPARTMENT_OFFICER, "d", None, "must act for an organisation"),
        (Role.PARTNER_OPERATOR, "s1", "dept", "cannot act for"),
        (Role.PARTNER_OPERATOR, "s2", "partner", "within the organisation"),
        ("mayor", "d", None, "Unknown role"),
    ],
)
def test_role_grant_refuses_bad_grants(tree, orgs, make_user, role, area_name, org_name, message):
    user = make_user()
    with pytest.raises(ValidationError, match=message):
        role_grant(
            user=user,
            role=role,
            area=getattr(tree, area_name),
            organisation=getattr(orgs, org_name) if org_name else None,
        )
    assert not RoleAssignment.objects.filter(user=user).exists()


def test_role_grant_is_audited_and_idempotent(tree, make_user):
    granter = make_user(Role.ADMIN, tree.d)
    user = make_user()
    first = role_grant(user=user, role=Role.GRID_WORKER, area=tree.g1, granted_by=granter)
    events = AuditEvent.objects.filter(action="role.grant", object_id=str(user.pk))
    assert events.count() == 1
    assert events.get().details == {"role": "grid_worker", "area": "G1", "organisation": None}
    assert events.get().actor == granter
    again = role_grant(user=user, role=Role.GRID_WORKER, area=tree.g1, granted_by=granter)
    assert again.pk == first.pk
    assert events.count() == 1


def test_role_revoke_removes_access_and_is_audited(tree, make_user):
    from security.scoping import covers_area

    user = make_user(Role.GRID_WORKER, tree.g1)
    assert covers_area(user, tree.g1)
    role_revoke(assignment=user.role_assignments.get(), revoked_by=None)
    assert not covers_area(user, tree.g1)
    assert AuditEvent.objects.filter(action="role.revoke", object_id=str(user.pk)).exists()
