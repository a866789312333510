"""The webhook endpoints of the partner API: register, list, deactivate, read the delivery log,
replay; and every way an outsider is kept out."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from partners.models import DeliveryStatus, Webhook, WebhookDelivery
from partners.tests.test_webhooks_support import *  # noqa: F403 - its fixtures
from partners.tests.test_webhooks_support import PARTNER_HOST, PUBLIC_ADDRESS
from partners.webhooks import webhook_delivery_replay
from security.api_keys import api_key_create, api_key_revoke
from security.models import ApiScope, AuditEvent, Role, RoleAssignment
from security.services import role_revoke
from services import services as steps

pytestmark = pytest.mark.django_db

LIST = reverse("api_webhooks")


def client_for(operator, organisation, scopes=(ApiScope.MANAGE_WEBHOOKS,)):
    key, raw = api_key_create(
        actor=operator,
        organisation=organisation,
        name="ERP",
        scopes=list(scopes),
        expires_at=timezone.now() + timedelta(days=30),
    )
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_X_API_KEY=raw)
    client.key = key
    return client


@pytest.fixture
def api(people, orgs):
    """orgs.partner's system, with a key that may manage webhooks."""
    return client_for(people.partner, orgs.partner)


@pytest.fixture
def other_api(people, orgs):
    """Another partner's system, with the same scope."""
    return client_for(people.partner_other, orgs.partner_other)


def webhook_url(webhook, action=""):
    return reverse("api_webhook", args=[webhook.public_id]) + (f"{action}/" if action else "")


def deliveries_url(webhook):
    return reverse("api_webhook_deliveries", args=[webhook.public_id])


def replay_url(delivery):
    return reverse("api_webhook_delivery_replay", args=[delivery.webhook.public_id, delivery.public_id])


# --- a partner's own webhooks --------------------------------------------------------------------
def test_a_partner_registers_a_webhook_and_sees_the_secret_once(api, fake_dns, people):
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    response = api.post(LIST, {"url": f"https://{PARTNER_HOST}/events", "description": "ERP"}, format="json")

    assert response.status_code == 201
    created = response.json()
    webhook = Webhook.objects.get()
    assert created["id"] == str(webhook.public_id)
    assert created["secret"].startswith("whsec_")
    assert (created["url"], created["description"], created["is_active"]) == (
        f"https://{PARTNER_HOST}/events",
        "ERP",
        True,
    )

    listed = api.get(LIST).json()
    assert [row["id"] for row in listed["results"]] == [created["id"]]
    assert "secret" not in listed["results"][0]
    assert "secret" not in api.get(webhook_url(webhook)).json()

    register_event = AuditEvent.objects.get(action="webhook.register")
    assert register_event.actor == people.partner
    assert register_event.details == {"url": f"https://{PARTNER_HOST}/events", "api_key": api.key.prefix}
    assert AuditEvent.objects.filter(action="api.call", details__path=LIST, details__status=201).exists()


def test_a_private_address_is_a_400_naming_the_reason(api, fake_dns):
    fake_dns[PARTNER_HOST] = ["10.0.0.8"]
    response = api.post(LIST, {"url": f"https://{PARTNER_HOST}/events"}, format="json")
    assert response.status_code == 400
    assert "resolves to 10.0.0.8" in response.json()["url"][0]
    assert api.post(LIST, {"url": "http://example.org/x"}, format="json").json() == {
        "url": ["A webhook address must start with https://."]
    }
    assert api.post(LIST, {}, format="json").status_code == 400
    assert not Webhook.objects.exists()


def test_a_partner_deactivates_its_webhook(api, hook, people):
    webhook, _secret = hook
    response = api.post(webhook_url(webhook, "deactivate"))
    assert response.status_code == 200
    assert response.json()["is_active"] is False and response.json()["deactivated_at"]
    webhook.refresh_from_db()
    assert not webhook.is_active
    event = AuditEvent.objects.get(action="webhook.deactivate")
    assert event.actor == people.partner and event.details["api_key"] == api.key.prefix


def test_the_delivery_log_is_newest_first_and_paged(api, hook, file_request, people, queued):
    webhook, _secret = hook
    order = file_request()
    steps.request_accept(request=order, actor=people.partner)
    steps.request_comment(request=order, actor=people.partner, message="在路上")
    WebhookDelivery.objects.filter(event_type="work_order.created").update(
        status=DeliveryStatus.FAILED, attempts=1, last_status_code=410, last_error="HTTP 410: gone"
    )

    first = api.get(deliveries_url(webhook), {"page_size": 2}).json()
    assert [row["event_type"] for row in first["results"]] == ["work_order.commented", "work_order.status_changed"]
    assert first["results"][0]["payload"]["event"]["message"] == "在路上"
    assert first["results"][0]["status"] == "pending" and first["results"][0]["next_attempt_at"]
    second = api.get(first["next"]).json()
    [oldest] = second["results"]
    assert oldest["event_type"] == "work_order.created"
    assert (oldest["status"], oldest["last_status_code"], oldest["last_error"]) == ("failed", 410, "HTTP 410: gone")
    assert oldest["next_attempt_at"] is None and oldest["replay_of"] is None
    assert api.get(deliveries_url(webhook), {"cursor": "not-ours"}).status_code == 400


def test_replay_puts_a_copy_back_in_the_queue(api, hook, file_request, queued, django_capture_on_commit_callbacks):
    webhook, _secret = hook
    file_request()
    original = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=original.pk).update(status=DeliveryStatus.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(replay_url(original))

    assert response.status_code == 202
    copy = WebhookDelivery.objects.get(replay_of=original)
    assert response.json()["id"] == str(copy.public_id)
    assert response.json()["replay_of"] == str(original.public_id)
    assert response.json()["event_id"] == original.event_id and response.json()["status"] == "pending"
    assert queued == [(copy.pk, None)]
    assert AuditEvent.objects.filter(action="webhook.delivery_replay", details__api_key=api.key.prefix).exists()
    # A delivery still being attempted is not replayed.
    assert api.post(replay_url(copy)).status_code == 400


def test_the_delivery_log_costs_the_same_queries_for_many_rows(api, hook, file_request, people, queued):
    webhook, _secret = hook
    order = file_request()

    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            assert api.get(deliveries_url(webhook)).status_code == 200
        return len(captured)

    count_queries()  # the key's first call also records when it was last used
    few = count_queries()
    for note in ("一", "二", "三", "四", "五"):
        steps.request_comment(request=order, actor=people.partner, message=note)
    original = WebhookDelivery.objects.order_by("pk").first()
    WebhookDelivery.objects.filter(pk=original.pk).update(status=DeliveryStatus.DELIVERED)
    webhook_delivery_replay(delivery=original, actor=people.partner)  # a row with replay_of set
    assert few == count_queries()


# --- outsiders -----------------------------------------------------------------------------------
def test_another_partners_key_gets_404_for_every_webhook_endpoint(other_api, hook, file_request, queued):
    webhook, _secret = hook
    file_request()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)

    assert other_api.get(webhook_url(webhook)).status_code == 404
    assert other_api.post(webhook_url(webhook, "deactivate")).status_code == 404
    assert other_api.get(deliveries_url(webhook)).status_code == 404
    assert other_api.post(replay_url(delivery)).status_code == 404
    assert other_api.get(LIST).json()["results"] == []
    malformed = other_api.get(LIST + "not-a-webhook-id/deliveries/")
    assert (malformed.status_code, malformed["Content-Type"]) == (404, "application/json")

    webhook.refresh_from_db()
    assert webhook.is_active
    assert WebhookDelivery.objects.count() == 1


def test_a_delivery_of_another_webhook_is_404(api, hook, register, fake_dns, file_request, orgs, people, queued):
    webhook, _secret = hook
    fake_dns[PARTNER_HOST] = [PUBLIC_ADDRESS]
    foreign, _ = register(f"https://{PARTNER_HOST}/b", organisation=orgs.partner_other, actor=people.partner_other)
    file_request()
    mine = WebhookDelivery.objects.get(webhook=webhook)
    WebhookDelivery.objects.filter(pk=mine.pk).update(status=DeliveryStatus.FAILED)
    # My delivery's id under a webhook that is not mine, and under my own webhook for a made-up delivery.
    url = reverse("api_webhook_delivery_replay", args=[foreign.public_id, mine.public_id])
    assert api.post(url).status_code == 404
    url = reverse("api_webhook_delivery_replay", args=[webhook.public_id, foreign.public_id])
    assert api.post(url).status_code == 404


def test_a_key_without_the_webhooks_scope_is_403(hook, people, orgs):
    webhook, _secret = hook
    reader = client_for(people.partner, orgs.partner, scopes=[ApiScope.READ_WORK_ORDERS])
    assert reader.get(LIST).status_code == 403
    assert reader.post(LIST, {"url": "https://x.example/"}, format="json").status_code == 403
    assert reader.post(webhook_url(webhook, "deactivate")).status_code == 403
    webhook.refresh_from_db()
    assert webhook.is_active


def test_a_revoked_key_and_no_key_are_401(api, hook, people):
    webhook, _secret = hook
    assert APIClient().get(LIST).status_code == 401
    api_key_revoke(actor=people.partner, key=api.key)
    response = api.post(webhook_url(webhook, "deactivate"))
    # DRF answers AuthenticationFailed with 401 because the scheme names a WWW-Authenticate header.
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "X-API-Key"
    webhook.refresh_from_db()
    assert webhook.is_active


def test_a_key_whose_maker_no_longer_operates_for_the_organisation_manages_nothing(api, hook, people):
    webhook, _secret = hook
    role_revoke(assignment=RoleAssignment.objects.get(user=people.partner, role=Role.PARTNER_OPERATOR), revoked_by=None)
    # The key acts as its maker, so it stops authenticating at all (security.api_keys).
    assert api.get(webhook_url(webhook)).status_code == 401
    assert api.post(webhook_url(webhook, "deactivate")).status_code == 401
    webhook.refresh_from_db()
    assert webhook.is_active


# --- the schema ----------------------------------------------------------------------------------
def test_the_schema_documents_the_webhook_endpoints_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--urlconf", "partners.tests.test_webhooks_api", "--fail-on-warn", "--file", str(target)
    )
    schema = target.read_text()
    for operation in (
        "webhooks_list",
        "webhooks_create",
        "webhooks_retrieve",
        "webhooks_deactivate",
        "webhooks_deliveries_list",
        "webhooks_deliveries_replay",
    ):
        assert f"operationId: {operation}" in schema


# The schema test reads only these endpoints, mounted as partners.api_urls mounts them.
urlpatterns = [path("api/v1/webhooks/", include("partners.webhooks_urls"))]
