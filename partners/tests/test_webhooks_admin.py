"""Operators read webhooks and their delivery log in the admin, and change nothing there."""

import pytest

from partners.models import DeliveryStatus, WebhookDelivery
from partners.tests.test_webhooks_support import *  # noqa: F403 - its fixtures
from security.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, tree, make_user):
    user = make_user(Role.ADMIN, tree.d)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(user)
    return client


def test_operators_filter_failed_deliveries_and_cannot_edit_them_or_see_secrets(admin_client, hook, file_request):
    webhook, secret = hook
    order = file_request()
    failed = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED, last_error="HTTP 410: gone")

    page = admin_client.get("/admin/partners/webhookdelivery/", {"status__exact": "failed"}).content.decode()
    assert failed.event_id in page
    assert admin_client.get("/admin/partners/webhookdelivery/add/").status_code == 403
    change_page = admin_client.get(f"/admin/partners/webhookdelivery/{failed.pk}/change/")
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
    assert order.public_id in change_page.content.decode()  # the payload is shown
    delete = admin_client.post(f"/admin/partners/webhookdelivery/{failed.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403

    webhook_page = admin_client.get(f"/admin/partners/webhook/{webhook.pk}/change/").content.decode()
    assert webhook.url in webhook_page
    assert secret not in webhook_page and webhook.secret_encrypted not in webhook_page
