import pytest

from notifications.models import Channel, OutboxMessage, OutboxStatus
from notifications.tests.conftest import message_on, record_event
from security.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, tree, make_user):
    user = make_user(Role.ADMIN, tree.d)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(user)
    return client


def test_operators_filter_the_outbox_by_status_and_cannot_edit_it(admin_client, recipient):
    failed = message_on(record_event(recipient, key="broken"), Channel.EMAIL)
    OutboxMessage.objects.filter(pk=failed.pk).update(status=OutboxStatus.FAILED, last_error="mail server refused")
    record_event(recipient, key="fine")

    page = admin_client.get("/admin/notifications/outboxmessage/", {"status__exact": "failed"}).content.decode()
    assert "broken:email" in page
    assert "fine:email" not in page
    assert admin_client.get("/admin/notifications/outboxmessage/add/").status_code == 403
    change_page = admin_client.get(f"/admin/notifications/outboxmessage/{failed.pk}/change/")
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
    assert (
        admin_client.post(f"/admin/notifications/outboxmessage/{failed.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert OutboxMessage.objects.filter(pk=failed.pk).exists()
