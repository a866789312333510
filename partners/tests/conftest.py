"""Fixtures for the partner API tests: keys made through `security.api_keys`, and a client that
sends one."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from security.api_keys import allowed_scopes, api_key_create


@pytest.fixture
def make_key(db):
    """make_key(operator, organisation, scopes=all it may hold) → (ApiKey, the raw key)."""

    def make(operator, organisation, scopes=None, name="ERP"):
        return api_key_create(
            actor=operator,
            organisation=organisation,
            name=name,
            scopes=allowed_scopes(organisation) if scopes is None else scopes,
            expires_at=timezone.now() + timedelta(days=30),
        )

    return make


@pytest.fixture
def partner_api(people, orgs, make_key):
    """An API client calling with a key (all scopes) of orgs.partner, made by people.partner;
    `partner_api.key` is the ApiKey."""
    key, raw = make_key(people.partner, orgs.partner)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_X_API_KEY=raw)
    client.key = key
    return client


@pytest.fixture
def api_as(make_key):
    """api_as(operator, organisation, scopes=all) → an API client calling with a new key."""

    def make(operator, organisation, scopes=None):
        key, raw = make_key(operator, organisation, scopes)
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_X_API_KEY=raw)
        client.key = key
        return client

    return make
