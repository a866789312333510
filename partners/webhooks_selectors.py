"""Reads of webhooks and their delivery log.

A partner operator (or a key acting as one) sees its own organisation's webhooks and nothing
else; another organisation's webhook is answered like a missing one (404), so ids leak nothing.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from directory.models import Organisation
from partners.models import Webhook, WebhookDelivery
from security.models import Role, User
from security.scoping import organisation_ids


def webhooks_for_user(*, actor: User, organisation: Organisation) -> QuerySet[Webhook]:
    """`organisation`'s webhooks, newest first, if `actor` operates for it; otherwise none."""
    if organisation.pk not in organisation_ids(actor, {Role.PARTNER_OPERATOR}):
        return Webhook.objects.none()
    return Webhook.objects.filter(organisation=organisation).order_by("-created_at", "-id")


def webhook_get_for_user(*, actor: User, organisation: Organisation, public_id: uuid.UUID) -> Webhook:
    webhook = webhooks_for_user(actor=actor, organisation=organisation).filter(public_id=public_id).first()
    if webhook is None:
        raise Http404
    return webhook


def webhook_deliveries(*, webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """The webhook's delivery log, newest first (the caller has checked the webhook is the actor's)."""
    return (
        WebhookDelivery.objects.filter(webhook=webhook)
        .select_related("replay_of")
        .defer("replay_of__payload")
        .order_by("-created_at", "-id")
    )


def webhook_delivery_get(*, webhook: Webhook, public_id: uuid.UUID) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(webhook=webhook, public_id=public_id).first()
    if delivery is None:
        raise Http404
    return delivery
