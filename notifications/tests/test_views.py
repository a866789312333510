import pytest
from django.urls import reverse

from notifications.models import Channel, Notification, NotificationPreference
from notifications.services import notification_preference_update, outbox_deliver
from notifications.tests.conftest import PHONE, message_on, record_event
from security import personal_data

pytestmark = pytest.mark.django_db
INBOX = "/notifications/"
PREFERENCES = "/notifications/preferences/"


def deliver_in_app(user, *, key, **overrides) -> Notification:
    message = message_on(record_event(user, key=key, **overrides), Channel.IN_APP)
    outbox_deliver(message_id=message.pk)
    return Notification.objects.get(outbox_key=message.key)


def open_url(notification) -> str:
    return reverse("notifications:open", args=[notification.public_id])


# --- anonymous and outsiders --------------------------------------------------------------------
@pytest.mark.parametrize("url", [INBOX, PREFERENCES])
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_anonymous_cannot_open_or_mark_read(client, recipient):
    notification = deliver_in_app(recipient, key="a")
    assert client.post(open_url(notification))["Location"].startswith("/accounts/login/")
    assert client.post(reverse("notifications:mark_all_read"))["Location"].startswith("/accounts/login/")
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_the_inbox_lists_only_the_users_own_messages(client, recipient, make_user, login):
    deliver_in_app(recipient, key="mine", title="Your request was accepted")
    deliver_in_app(make_user(), key="theirs", title="Someone else's request was accepted")
    page = login(recipient).get(INBOX).content.decode()
    assert "Your request was accepted" in page
    assert "Someone else" not in page


def test_an_outsider_opening_someone_elses_message_gets_404_and_changes_nothing(client, recipient, make_user, login):
    notification = deliver_in_app(recipient, key="a")
    login(make_user())
    assert client.post(open_url(notification)).status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


# --- the inbox ---------------------------------------------------------------------------------
def test_unread_messages_are_highlighted_until_opened(client, recipient, login):
    notification = deliver_in_app(recipient, key="a")
    login(recipient)
    assert '<li class="unread">' in client.get(INBOX).content.decode()

    response = client.post(open_url(notification))
    assert response.status_code == 302
    assert response["Location"] == "/requests/1/"
    assert Notification.objects.get(pk=notification.pk).read_at is not None
    assert '<li class="unread">' not in client.get(INBOX).content.decode()


@pytest.mark.parametrize("link", ["https://phishing.example/", "//phishing.example/x", "/\\phishing.example"])
def test_opening_never_leaves_the_site(client, recipient, login, link):
    notification = deliver_in_app(recipient, key="a")
    Notification.objects.filter(pk=notification.pk).update(link=link)  # stored before the link checks existed
    response = login(recipient).post(open_url(notification))
    assert response["Location"] == INBOX


def test_opening_needs_a_post(client, recipient, login):
    notification = deliver_in_app(recipient, key="a")
    assert login(recipient).get(open_url(notification)).status_code == 405
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_mark_all_read_clears_the_users_unread_only(client, recipient, make_user, login):
    neighbour = make_user()
    deliver_in_app(recipient, key="a")
    deliver_in_app(recipient, key="b")
    deliver_in_app(neighbour, key="c")
    response = login(recipient).post(reverse("notifications:mark_all_read"), follow=True)
    assert response.redirect_chain == [(INBOX, 302)]
    assert not Notification.objects.filter(recipient=recipient, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=neighbour, read_at__isnull=True).count() == 1


def test_the_header_shows_the_unread_count(client, recipient, login):
    for key in ("a", "b", "c"):
        deliver_in_app(recipient, key=key)
    login(recipient)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'aria-label="Messages, 3 unread"' in page
    assert '<span class="badge">3</span>' in page
    client.post(reverse("notifications:mark_all_read"))
    assert 'class="badge"' not in client.get("/").content.decode()


def test_anonymous_pages_have_no_inbox_link(client):
    page = client.get("/").content.decode()
    assert reverse("notifications:inbox") not in page


def test_the_inbox_query_count_does_not_grow_with_messages(client, recipient, login, django_assert_max_num_queries):
    deliver_in_app(recipient, key="first")
    login(recipient)
    with django_assert_max_num_queries(12) as few:
        client.get(INBOX)
    for n in range(40):
        deliver_in_app(recipient, key=f"more-{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(INBOX).content.decode()
    assert page.count('<li class="unread">') == 30  # one page


# --- preferences -------------------------------------------------------------------------------
def test_preferences_save_and_show_the_number_masked(client, recipient, login):
    login(recipient)
    response = client.post(PREFERENCES, {"email": "on", "sms": "on", "sms_phone": "138 1234 5678"}, follow=True)
    assert response.redirect_chain == [(PREFERENCES, 302)]
    page = response.content.decode()
    assert "138****5678" in page
    assert PHONE not in page
    preference = NotificationPreference.objects.get(user=recipient)
    assert (preference.email, preference.sms) == (True, True)
    assert personal_data.decrypt(preference.sms_phone_encrypted) == PHONE


def test_a_bad_number_is_explained_beside_the_field_and_nothing_is_saved(client, recipient, login):
    notification_preference_update(user=recipient, email=True, sms=False)
    login(recipient)
    response = client.post(PREFERENCES, {"sms": "on", "sms_phone": "555-0100"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    field_and_error = page.split('id="id_sms_phone"', 1)[1]
    assert field_and_error.index("A mobile number has 11 digits") < field_and_error.index("</form>")
    assert 'value="555-0100"' in page  # what they typed is still there to correct
    preference = NotificationPreference.objects.get(user=recipient)
    assert (preference.email, preference.sms, preference.sms_phone_encrypted) == (True, False, "")


def test_the_error_speaks_chinese_by_default(client, recipient, login):
    login(recipient)
    response = client.post(PREFERENCES, {"sms": "on", "sms_phone": "123"})
    assert "手机号为 1 开头的 11 位数字，例如 13812345678。" in response.content.decode()
