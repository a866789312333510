"""Privilege changes made in the Django admin are audit events naming the actor, the user and what
changed from what to what, never a password or its hash (finding 3)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from security.mfa import mfa_totp_enrol
from security.models import AuditEvent, User
from tests.factories import PASSWORD, STAFF_TOTP_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(make_user):
    user = make_user(username="root-admin")
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    mfa_totp_enrol(user=user, secret=STAFF_TOTP_SECRET)
    return user


@pytest.fixture
def admin_client(client, superuser, settings):
    # The admin's sign-in itself is tested in test_sign_in_protection; here the admin is signed in.
    client.force_login(superuser)
    return client


def change_form_data(user: User, **changes) -> dict:
    # The admin's Chinese form shows the time joined to the minute; finer, every save would change it.
    user.date_joined = user.date_joined.replace(second=0, microsecond=0)
    User.objects.filter(pk=user.pk).update(date_joined=user.date_joined)
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": timezone.localtime(user.date_joined).strftime("%Y-%m-%d"),
        "date_joined_1": timezone.localtime(user.date_joined).strftime("%H:%M"),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_making_a_user_superuser_and_staff_is_audited(admin_client, superuser, make_user):
    target = make_user(username="ordinary")
    group = Group.objects.create(name="editors")
    permission = Permission.objects.get(codename="view_auditevent")
    response = admin_client.post(
        f"/admin/security/user/{target.pk}/change/",
        change_form_data(target, is_staff="on", is_superuser="on", groups=[group.pk], user_permissions=[permission.pk]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="user.privileges_change")
    assert event.actor == superuser
    assert event.object_id == str(target.pk)
    assert event.details["via"] == "admin"
    assert event.details["changes"] == {
        "is_staff": {"from": False, "to": True},
        "is_superuser": {"from": False, "to": True},
        "groups": {"added": ["editors"], "removed": []},
        "user_permissions": {"added": ["security.view_auditevent"], "removed": []},
    }


def test_deactivating_a_user_is_audited_and_names_other_fields_without_values(admin_client, make_user):
    target = make_user(username="leaver")
    admin_client.post(
        f"/admin/security/user/{target.pk}/change/",
        change_form_data(target, is_active="", email="new-address@example.test"),
    )
    event = AuditEvent.objects.get(action="user.privileges_change")
    assert event.details["changes"] == {"is_active": {"from": True, "to": False}}
    assert event.details["other_fields"] == ["email"]
    assert "new-address" not in str(event.details)


def test_a_password_set_in_the_admin_is_audited_without_the_password(admin_client, superuser, make_user):
    target = make_user(username="forgetful")
    new_password = "admin-chosen-pass-phrase-2026"
    response = admin_client.post(
        f"/admin/security/user/{target.pk}/password/",
        {"password1": new_password, "password2": new_password, "usable_password": "true", "set-password": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.check_password(new_password)
    event = AuditEvent.objects.get(action="user.password_set_by_admin")
    assert event.actor == superuser
    assert event.object_id == str(target.pk)
    assert event.details == {"via": "admin", "password": "set"}
    everything = str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert new_password not in everything
    assert target.password not in everything
    assert PASSWORD not in everything


def test_a_user_added_in_the_admin_is_audited(admin_client, superuser):
    response = admin_client.post(
        "/admin/security/user/add/",
        {
            "username": "newcomer",
            "password1": "a-new-pass-phrase-2026",
            "password2": "a-new-pass-phrase-2026",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="user.create", object_repr="newcomer")
    assert event.actor == superuser
    assert event.details["via"] == "admin"


def test_saving_without_changes_records_nothing(admin_client, make_user):
    target = make_user(username="unchanged")
    before = AuditEvent.objects.count()
    admin_client.post(f"/admin/security/user/{target.pk}/change/", change_form_data(target))
    assert AuditEvent.objects.count() == before


def test_outsiders_cannot_reach_the_user_admin(client, make_user):
    target = make_user(username="victim")
    staff_without_rights = make_user(username="clerk")
    User.objects.filter(pk=staff_without_rights.pk).update(is_staff=True)
    mfa_totp_enrol(user=staff_without_rights, secret=STAFF_TOTP_SECRET)
    client.force_login(staff_without_rights)
    response = client.post(f"/admin/security/user/{target.pk}/change/", change_form_data(target, is_superuser="on"))
    assert response.status_code == 403
    target.refresh_from_db()
    assert not target.is_superuser
    client.logout()
    assert client.get(f"/admin/security/user/{target.pk}/change/").status_code == 302
