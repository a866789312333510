from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from security.api_keys import api_key_authenticate, api_key_create, api_key_revoke
from security.models import ApiKey, AuditEvent, Role
from security.scoping import organisation_ids

pytestmark = pytest.mark.django_db
SCOPES = ["workorders:read"]


def in_days(days):
    return timezone.now() + timedelta(days=days)


def test_a_key_is_shown_once_and_stored_hashed(tree, orgs, make_user):
    operator = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    key, raw = api_key_create(
        actor=operator, organisation=orgs.partner, name="ERP", scopes=SCOPES, expires_at=in_days(30)
    )
    assert raw.startswith(f"sq_{key.prefix}_")
    assert raw not in (key.key_hash, key.prefix)
    assert api_key_authenticate(raw) == key
    assert api_key_authenticate(raw).last_used_at is not None
    assert AuditEvent.objects.filter(action="api_key.create", object_id=str(key.pk)).exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),
        lambda raw: "",
        lambda raw: "sq_x",
        lambda raw: raw.replace("sq_", "xx_"),
    ],
)
def test_wrong_keys_are_refused(tree, orgs, make_user, mangle):
    operator = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    _key, raw = api_key_create(
        actor=operator, organisation=orgs.partner, name="ERP", scopes=SCOPES, expires_at=in_days(30)
    )
    assert api_key_authenticate(mangle(raw)) is None


def test_revoked_and_expired_keys_stop_working(tree, orgs, make_user):
    operator = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    key, raw = api_key_create(
        actor=operator, organisation=orgs.partner, name="A", scopes=SCOPES, expires_at=in_days(30)
    )
    api_key_revoke(actor=operator, key=key)
    assert api_key_authenticate(raw) is None
    other, raw_other = api_key_create(
        actor=operator, organisation=orgs.partner, name="B", scopes=SCOPES, expires_at=in_days(1)
    )
    ApiKey.objects.filter(pk=other.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_key_authenticate(raw_other) is None


def test_only_the_partners_own_operators_manage_its_keys(tree, orgs, make_user):
    outsider = make_user(Role.PARTNER_OPERATOR, tree.s2, orgs.partner_other)
    with pytest.raises(PermissionDenied):
        api_key_create(actor=outsider, organisation=orgs.partner, name="x", scopes=SCOPES, expires_at=in_days(30))
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": " "}, "name"),
        ({"scopes": ["root"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"expires_at": "past"}, "expires_at"),
        ({"expires_at": "far"}, "expires_at"),
    ],
)
def test_bad_key_requests_are_explained(tree, orgs, make_user, kwargs, field):
    operator = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    arguments = {"name": "ERP", "scopes": SCOPES, "expires_at": in_days(30)} | kwargs
    arguments["expires_at"] = {"past": in_days(-1), "far": in_days(400)}.get(
        arguments["expires_at"], arguments["expires_at"]
    )
    with pytest.raises(ValidationError) as caught:
        api_key_create(actor=operator, organisation=orgs.partner, **arguments)
    assert field in caught.value.message_dict
    assert not ApiKey.objects.exists()


def test_a_key_stops_when_its_maker_leaves_the_organisation(tree, orgs, make_user):
    from security.services import role_revoke

    operator = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    _key, raw = api_key_create(
        actor=operator, organisation=orgs.partner, name="ERP", scopes=SCOPES, expires_at=in_days(30)
    )
    assert api_key_authenticate(raw) is not None
    role_revoke(assignment=operator.role_assignments.get(), revoked_by=None)
    assert api_key_authenticate(raw) is None


def test_a_key_stops_when_its_maker_is_deactivated_even_without_a_save_signal(tree, orgs, make_user):
    operator = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    _key, raw = api_key_create(
        actor=operator, organisation=orgs.partner, name="ERP", scopes=SCOPES, expires_at=in_days(30)
    )
    assert api_key_authenticate(raw) is not None
    # update() sends no signal, as a change made by another process sends none to this one.
    type(operator).objects.filter(pk=operator.pk).update(is_active=False)
    assert api_key_authenticate(raw) is None


def test_every_check_reads_the_key_and_its_makers_roles_afresh(tree, orgs, make_user, django_assert_num_queries):
    operator = make_user(Role.PARTNER_OPERATOR, tree.s1, orgs.partner)
    key, raw = api_key_create(
        actor=operator, organisation=orgs.partner, name="ERP", scopes=SCOPES, expires_at=in_days(30)
    )
    api_key_authenticate(raw)  # writes last_used_at, at most once a minute
    with django_assert_num_queries(2):  # the key with its organisation and maker; the maker's roles
        checked = api_key_authenticate(raw)
    assert checked.pk == key.pk
    with django_assert_num_queries(0):  # the roles came with the key: the call's scoping asks no more
        assert organisation_ids(checked.created_by, [Role.PARTNER_OPERATOR]) == [orgs.partner.pk]
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())  # no signal, no service
    assert api_key_authenticate(raw) is None
