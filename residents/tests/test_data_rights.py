"""A resident's rights over their data (PIPL art. 44–47): the export, corrections, consents,
account deletion and "who used my data", each with its outsiders (another resident, staff of
another grid, anonymous)."""

import json
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction

from notifications.models import Notification, NotificationPreference
from notifications.services import notification_mark_read, notification_preference_update, notify, outbox_deliver
from residents import data_rights
from residents.models import CorrectionRequest, ResidentProfile
from residents.services import (
    account_delete,
    correction_request_file,
    resident_identity_reveal,
)
from security import personal_data
from security.models import AuditEvent, User
from services.models import RequestSupport, ServiceRequest
from tests.factories import PASSWORD, valid_id_card

pytestmark = pytest.mark.django_db

MY_PAGES = [
    "/residents/me/data/",
    "/residents/me/data/download/",
    "/residents/me/data-uses/",
    "/residents/me/corrections/",
    "/residents/me/consents/",
    "/residents/me/delete/",
]


@pytest.fixture
def alice(people, residents):
    """people.resident, registered as r1 (G1), consenting to care contact, with an e-mail address
    allauth knows, one request and one message read."""
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(user=people.resident)
    residents.r1.refresh_from_db()
    EmailAddress.objects.create(user=people.resident, email=people.resident.email, verified=True, primary=True)
    return people.resident


@pytest.fixture
def bob(people, residents):
    """people.other_resident, registered as r2 (G2)."""
    ResidentProfile.objects.filter(pk=residents.r2.pk).update(user=people.other_resident)
    return people.other_resident


def _message(user, key="m1"):
    with transaction.atomic():
        rows = notify(recipient=user, kind="test", title="您的诉求已受理", body="正文", key=key)
    for row in rows:
        outbox_deliver(message_id=row.pk)
    return Notification.objects.get(recipient=user, outbox_key__startswith=key)


# --- export -------------------------------------------------------------------------------------
def test_the_download_holds_everything_about_the_resident_in_full_and_is_recorded(
    client, login, alice, bob, residents, file_request, people
):
    request = file_request(description="楼道灯坏了")
    notification_mark_read(user=alice, notification=_message(alice))
    resident_identity_reveal(actor=people.worker, profile=residents.r1, purpose="handle_request")
    login(alice)
    response = client.get("/residents/me/data/download/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    data = json.loads(response.content)
    profile = data["resident_profile"]
    # Their own data in full: the copy PIPL art. 45 gives them, checkable for mistakes.
    assert profile["id_card_number"] == personal_data.decrypt(residents.r1.id_card_encrypted)
    assert profile["phone"] == personal_data.decrypt(residents.r1.phone_encrypted)
    assert profile["household"]["address"] == residents.r1.household.address
    assert data["account"]["username"] == alice.username
    assert data["account"]["email_addresses"][0]["email"] == alice.email
    [exported] = data["service_requests"]["requests"]
    assert exported["number"] == request.public_id and exported["description"] == "楼道灯坏了"
    assert exported["timeline"], "the request's public timeline"
    [message] = data["notifications"]["inbox"]
    assert message["title"] == "您的诉求已受理" and message["read_at"]
    assert {c["purpose"] for c in data["consents"]}
    [use] = data["data_uses"]
    assert use["purpose"] and "网格员" in use["who"] or "Grid worker" in use["who"]
    # Nothing of anyone else.
    text = response.content.decode()
    assert residents.r2.full_name not in text and bob.username not in text
    event = AuditEvent.objects.filter(action="data.export_own").latest("id")
    assert (event.actor, event.details["format"]) == (alice, "json")


def test_the_readable_page_shows_the_same_in_chinese_and_is_not_cached(client, login, alice, residents):
    login(alice)
    page = client.get("/residents/me/data/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert personal_data.decrypt(residents.r1.id_card_encrypted) in html
    assert "身份证号" in html and "诉求" in html
    assert AuditEvent.objects.filter(action="data.export_own", actor=alice, details__format="page").exists()


@pytest.mark.parametrize("path", ["/residents/me/data/", "/residents/me/data/download/"])
def test_a_session_not_authenticated_lately_gives_the_password_again_first(client, alice, path):
    # A full copy of one's ID number leaves the portal: a session older than allauth's window
    # (force_login records no authentication) is asked to re-authenticate, and nothing is exported.
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    assert not AuditEvent.objects.filter(action="data.export_own", actor=alice).exists()


def test_an_unregistered_account_exports_its_account_and_nothing_else(client, login, make_user):
    user = make_user()
    data = json.loads(login(user).get("/residents/me/data/download/").content)
    assert data["account"]["username"] == user.username
    assert data["resident_profile"] is None and data["data_uses"] == []


def test_another_resident_downloads_only_their_own(client, login, alice, bob, residents, file_request):
    file_request(description="alice 的诉求")
    data = json.loads(login(bob).get("/residents/me/data/download/").content)
    assert data["resident_profile"]["full_name"] == residents.r2.full_name
    assert data["service_requests"]["requests"] == []
    assert "alice 的诉求" not in json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("path", MY_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and re.match(r"^/accounts/login/\?next=", response["Location"])


def test_a_registered_section_is_exported_and_erased(client, login, alice, monkeypatch):
    """A later feature adds its own table to the export and the deletion by registering."""
    erased = []
    monkeypatch.setattr(data_rights, "_sections", dict(data_rights._sections))
    data_rights.register_section(
        "participation",
        title="参与",
        export=lambda user: [{"poll": "小区加装电梯"}],
        erase=lambda user: erased.append(user.pk) or {"ballots": 1},
    )
    data = json.loads(login(alice).get("/residents/me/data/download/").content)
    assert data["participation"] == [{"poll": "小区加装电梯"}]
    account_delete(user=alice, password=PASSWORD)
    assert erased == [alice.pk]
    assert AuditEvent.objects.get(action="account.delete").details["erased"]["participation"] == {"ballots": 1}


# --- who used my data ----------------------------------------------------------------------------
def test_staff_give_a_purpose_which_the_resident_sees_with_their_role_not_their_name(
    client, login, alice, residents, people
):
    url = f"/residents/{residents.r1.public_id}/reveal/"
    login(people.worker)
    refused = client.post(url, {"purpose": ""})
    assert refused.status_code == 400 and not AuditEvent.objects.filter(action="resident.reveal").exists()
    assert client.post(url, {"purpose": "other", "purpose_note": ""}).status_code == 400
    assert not AuditEvent.objects.filter(action="resident.reveal").exists()
    shown = client.post(url, {"purpose": "other", "purpose_note": "核对低保申请"})
    assert personal_data.decrypt(residents.r1.phone_encrypted) in shown.content.decode()
    event = AuditEvent.objects.get(action="resident.reveal")
    assert event.details == {"purpose": "other", "purpose_note": "核对低保申请"}
    client.get(f"/residents/{residents.r1.public_id}/")  # opening the record is a use too
    client.logout()

    page = login(alice).get("/residents/me/data-uses/")
    assert "no-store" in page["Cache-Control"]
    kinds = [use.kind for use in page.context["uses"]]
    assert kinds == ["view", "reveal"]
    html = page.content.decode()
    assert "核对低保申请" in html and "网格员" in html
    assert people.worker.username not in html


def test_the_resident_looking_at_their_own_record_is_not_a_use(client, login, alice, residents):
    login(alice).get(f"/residents/{residents.r1.public_id}/")
    resident_identity_reveal(actor=alice, profile=residents.r1)
    assert client.get("/residents/me/data-uses/").context["uses"] == []


def test_another_resident_does_not_see_uses_of_someone_else(client, login, alice, bob, residents, people):
    resident_identity_reveal(actor=people.worker, profile=residents.r1, purpose="handle_request")
    assert login(bob).get("/residents/me/data-uses/").context["uses"] == []


# --- corrections ---------------------------------------------------------------------------------
def test_a_correction_goes_to_the_grid_and_the_resident_sees_the_outcome(client, login, alice, residents, people):
    login(alice)
    response = client.post(
        "/residents/me/corrections/",
        {"field": "phone", "explanation": "换号了", "proposed_value": "139 0000 1111"},
    )
    assert response.status_code == 302
    correction = CorrectionRequest.objects.get()
    assert correction.proposed_value_encrypted and "13900001111" not in correction.proposed_value_encrypted
    client.logout()

    login(people.worker)
    queue = client.get("/residents/corrections/")
    assert residents.r1.full_name in queue.content.decode()
    detail = client.get(f"/residents/corrections/{correction.public_id}/")
    assert "13900001111" in detail.content.decode() and "no-store" in detail["Cache-Control"]
    client.post(f"/residents/corrections/{correction.public_id}/", {"decision": "apply", "reason": "已核对"})
    residents.r1.refresh_from_db()
    assert personal_data.decrypt(residents.r1.phone_encrypted) == "13900001111"
    assert residents.r1.phone_masked == "139****1111"
    assert residents.r1.phone_hash == personal_data.lookup_hash("phone", "13900001111")
    correction.refresh_from_db()
    assert (correction.status, correction.decided_by, correction.proposed_value_encrypted) == (
        "applied",
        people.worker,
        "",
    )
    actions = list(AuditEvent.objects.filter(object_id=str(residents.r1.pk)).values_list("action", flat=True))
    assert {"correction.request", "correction.view", "correction.apply"} <= set(actions)
    client.logout()

    page = login(alice).get("/residents/me/corrections/").content.decode()
    assert "已更正" in page and "已核对" in page


def test_refusing_needs_a_reason_and_changes_nothing_in_the_register(client, login, alice, residents, people):
    correction = correction_request_file(user=alice, field="full_name", explanation="错字", proposed_value="王小明")
    login(people.community)
    url = f"/residents/corrections/{correction.public_id}/"
    assert "请告诉居民" in client.post(url, {"decision": "refuse", "reason": ""}).content.decode()
    correction.refresh_from_db()
    assert correction.status == "pending"
    client.post(url, {"decision": "refuse", "reason": "身份证上就是这个名字"})
    correction.refresh_from_db()
    residents.r1.refresh_from_db()
    assert correction.status == "refused" and residents.r1.full_name != "王小明"
    assert client.post(url, {"decision": "apply"}).status_code == 200  # decided already: told, not changed
    residents.r1.refresh_from_db()
    assert residents.r1.full_name != "王小明"


def test_bad_corrections_are_explained_and_save_nothing(client, login, alice):
    login(alice)
    page = client.post("/residents/me/corrections/", {"field": "id_card", "explanation": "x", "proposed_value": "123"})
    assert page.status_code == 200 and "身份证号" in page.content.decode()
    client.post("/residents/me/corrections/", {"field": "lives_alone", "explanation": "我和女儿同住"})
    again = client.post("/residents/me/corrections/", {"field": "lives_alone", "explanation": "再问一次"})
    assert "尚未答复" in again.content.decode()
    assert CorrectionRequest.objects.count() == 1


def test_an_id_number_already_registered_to_someone_else_is_not_applied(alice, residents, people):
    from django.core.exceptions import ValidationError

    from residents.services import correction_apply

    taken = personal_data.decrypt(residents.r1b.id_card_encrypted)
    correction = correction_request_file(user=alice, field="id_card", explanation="错了", proposed_value=taken)
    with pytest.raises(ValidationError):
        correction_apply(actor=people.community, correction=correction)
    correction.refresh_from_db()
    assert correction.status == "pending"


@pytest.mark.parametrize("who", ["worker_g2", "community_c2", "worker_g1b"])
def test_staff_of_another_grid_neither_see_nor_decide(client, login, alice, people, residents, who):
    correction = correction_request_file(user=alice, field="lives_alone", explanation="我和女儿同住")
    login(getattr(people, who))
    assert residents.r1.full_name not in client.get("/residents/corrections/").content.decode()
    url = f"/residents/corrections/{correction.public_id}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "apply"}).status_code == 404
    correction.refresh_from_db()
    assert correction.status == "pending"


@pytest.mark.parametrize("who", ["resident", "subdistrict", "partner"])
def test_the_queue_is_for_registrars_only(client, login, alice, people, who):
    assert login(getattr(people, who)).get("/residents/corrections/").status_code == 403


def test_a_resident_sees_only_their_own_corrections(client, login, alice, bob):
    correction_request_file(user=alice, field="lives_alone", explanation="alice 的更正")
    assert "alice 的更正" not in login(bob).get("/residents/me/corrections/").content.decode()


def test_the_queue_costs_the_same_queries_for_many_requests(
    client, login, alice, people, tree, django_assert_max_num_queries
):
    from tests.factories import HouseholdFactory, ResidentFactory

    login(people.community)
    correction_request_file(user=alice, field="lives_alone", explanation="一")
    with django_assert_max_num_queries(20) as few:
        client.get("/residents/corrections/")
    for n in range(5):
        profile = ResidentFactory(household=HouseholdFactory(grid=tree.g1b), id_card_number=valid_id_card(900 + n))
        user = User.objects.create_user(username=f"r{n}", password=PASSWORD)
        ResidentProfile.objects.filter(pk=profile.pk).update(user=user)
        correction_request_file(user=user, field="lives_alone", explanation="多")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/residents/corrections/")


# --- consents ------------------------------------------------------------------------------------
def test_withdrawing_care_contact_stops_reveals_for_care_but_not_for_a_request(client, login, alice, residents, people):
    ResidentProfile.objects.filter(pk=residents.r1.pk).update(consent_given_at="2026-01-01T00:00:00+08:00")
    residents.r1.refresh_from_db()
    resident_identity_reveal(actor=people.worker, profile=residents.r1, purpose="care_contact")
    login(alice)
    page = client.get("/residents/me/consents/").content.decode()
    assert "接受社区联系" in page
    client.post("/residents/me/consents/", {"purpose": "community_contact", "action": "withdraw"})
    residents.r1.refresh_from_db()
    assert residents.r1.consent_withdrawn_at is not None
    assert AuditEvent.objects.filter(action="consent.withdraw", actor=alice).exists()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        resident_identity_reveal(actor=people.worker, profile=residents.r1, purpose="care_contact")
    assert resident_identity_reveal(actor=people.worker, profile=residents.r1, purpose="handle_request").phone
    client.post("/residents/me/consents/", {"purpose": "community_contact", "action": "give"})
    residents.r1.refresh_from_db()
    assert residents.r1.consent_withdrawn_at is None


def test_withdrawing_sms_deletes_the_number(client, login, alice):
    notification_preference_update(user=alice, email=True, sms=True, sms_phone="13900002222")
    login(alice).post("/residents/me/consents/", {"purpose": "sms_notifications", "action": "withdraw"})
    preference = NotificationPreference.objects.get(user=alice)
    assert (preference.sms, preference.sms_phone_encrypted) == (False, "")
    assert AuditEvent.objects.filter(action="consent.withdraw", details__purpose="sms_notifications").exists()


def test_consents_are_ones_own(client, login, alice, bob, residents):
    ResidentProfile.objects.filter(pk__in=[residents.r1.pk, residents.r2.pk]).update(
        consent_given_at="2026-01-01T00:00:00+08:00"
    )
    login(bob).post("/residents/me/consents/", {"purpose": "community_contact", "action": "withdraw"})
    residents.r1.refresh_from_db()
    assert residents.r1.consent_withdrawn_at is None
    page = client.post(
        "/residents/me/consents/", {"purpose": "no-such-thing", "action": "withdraw"}, follow=True
    ).content.decode()
    assert "没有这项同意" in page


# --- account deletion ----------------------------------------------------------------------------
def test_deleting_the_account_leaves_a_tombstone_and_keeps_the_records(
    client, login, alice, residents, file_request, people
):
    request = file_request()
    other = file_request(actor=people.worker, requester=None, channel="phone", description="别人的")
    from services.services import request_support

    request_support(actor=alice, request=other)
    _message(alice)
    notification_preference_update(user=alice, email=True, sms=True, sms_phone="13900002222")
    Authenticator.objects.create(user=alice, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    email, username, pk = alice.email, alice.username, alice.pk

    login(alice)
    assert "依法保留" in client.get("/residents/me/delete/").content.decode()
    wrong = client.post("/residents/me/delete/", {"password": "wrong", "confirm": "on"})
    assert wrong.status_code == 200 and User.objects.get(pk=pk).is_active
    done = client.post("/residents/me/delete/", {"password": PASSWORD, "confirm": "on"})
    assert done.status_code == 302

    tombstone = User.objects.get(pk=pk)
    assert tombstone.username.startswith("deleted-") and username not in tombstone.username
    assert (tombstone.email, tombstone.first_name, tombstone.is_active) == ("", "", False)
    assert not tombstone.has_usable_password()
    assert not EmailAddress.objects.filter(user=tombstone).exists()
    assert not Authenticator.objects.filter(user=tombstone).exists()
    assert not Notification.objects.filter(recipient=tombstone).exists()
    assert not NotificationPreference.objects.filter(user=tombstone).exists()
    assert not RequestSupport.objects.filter(user=tombstone).exists()
    assert not tombstone.role_assignments.exists()
    profile = ResidentProfile.objects.get(pk=residents.r1.pk)  # the register keeps its record
    assert profile.user is None and profile.full_name == residents.r1.full_name
    request = ServiceRequest.objects.get(pk=request.pk)  # the record of the service stays
    assert request.requester is None and request.description
    event = AuditEvent.objects.get(action="account.delete")
    assert event.actor == tombstone and username not in event.actor_username + event.object_repr
    assert AuditEvent.objects.filter(actor=tombstone, actor_username=username).exists()  # history intact

    # Signed out here, and cannot sign in again with either name.
    assert client.get("/residents/me/")["Location"].startswith("/accounts/login/")
    for login_name in (username, email):
        client.post("/accounts/login/", {"login": login_name, "password": PASSWORD})
        assert "_auth_user_id" not in client.session
    # The same e-mail address can register anew.
    client.post(
        "/accounts/signup/",
        {
            "username": "alice_again",
            "email": email,
            "password1": "Another-pass-2026!",
            "password2": "Another-pass-2026!",
        },
    )
    assert User.objects.get(username="alice_again").email == email


def test_another_device_is_signed_out_by_the_deletion(client, login, alice, django_user_model):
    from django.test import Client

    other_device = Client()
    assert other_device.login(username=alice.username, password=PASSWORD)
    assert other_device.get("/residents/me/").status_code == 200
    account_delete(user=alice, password=PASSWORD)
    assert other_device.get("/residents/me/").status_code == 302


def test_staff_cannot_delete_their_account_here(client, login, people):
    login(people.worker)
    page = client.get("/residents/me/delete/").content.decode()
    assert "管理员" in page
    client.post("/residents/me/delete/", {"password": PASSWORD, "confirm": "on"})
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        account_delete(user=people.worker, password=PASSWORD)
    people.worker.refresh_from_db()
    assert people.worker.is_active and not AuditEvent.objects.filter(action="account.delete").exists()


def test_a_resident_can_delete_only_their_own_account(client, login, alice, bob):
    # The page acts on the signed-in account and takes no id: bob's password deletes nothing of alice's.
    login(alice)
    client.post("/residents/me/delete/", {"password": PASSWORD, "confirm": "on"})
    bob.refresh_from_db()
    assert bob.is_active and bob.username != "" and bob.has_usable_password()


def test_deletion_without_the_tick_changes_nothing(client, login, alice):
    login(alice).post("/residents/me/delete/", {"password": PASSWORD})
    alice.refresh_from_db()
    assert alice.is_active


def test_staff_whose_roles_were_taken_away_are_still_named_as_staff(client, login, alice, residents, people):
    from security.models import RoleAssignment
    from security.services import role_revoke

    resident_identity_reveal(actor=people.worker, profile=residents.r1, purpose="handle_request")
    role_revoke(assignment=RoleAssignment.objects.get(user=people.worker), revoked_by=None)
    [use] = login(alice).get("/residents/me/data-uses/").context["uses"]
    assert use.who == "工作人员"


def test_the_correction_queue_is_in_the_navigation_of_registrars_only(client, login, alice, people):
    assert "/residents/corrections/" in login(people.worker).get("/residents/me/").content.decode()
    client.logout()
    page = login(alice).get("/residents/me/").content.decode()
    assert "/residents/corrections/" not in page and "/residents/me/data/" in page


def test_a_staff_members_export_holds_not_the_requests_they_typed_in_for_others(client, login, people, file_request):
    file_request(actor=people.worker, requester=None, channel="phone", contact_name="张大爷", description="代填")
    data = json.loads(login(people.worker).get("/residents/me/data/download/").content)
    assert data["service_requests"]["requests"] == []
    assert "张大爷" not in json.dumps(data, ensure_ascii=False)
