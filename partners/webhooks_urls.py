"""The webhook endpoints of the partner API, included by partners.api_urls at /api/v1/webhooks/.

Ids are matched as text and parsed by the views, so a malformed one is the API's JSON 404, not
the site's HTML page."""

from django.urls import path

from partners import webhooks_api

urlpatterns = [
    path("", webhooks_api.WebhookListApi.as_view(), name="api_webhooks"),
    path("<str:webhook_id>/", webhooks_api.WebhookDetailApi.as_view(), name="api_webhook"),
    path("<str:webhook_id>/deactivate/", webhooks_api.WebhookDeactivateApi.as_view(), name="api_webhook_deactivate"),
    path(
        "<str:webhook_id>/deliveries/",
        webhooks_api.WebhookDeliveryListApi.as_view(),
        name="api_webhook_deliveries",
    ),
    path(
        "<str:webhook_id>/deliveries/<str:delivery_id>/replay/",
        webhooks_api.WebhookDeliveryReplayApi.as_view(),
        name="api_webhook_delivery_replay",
    ),
]
