"""Fixtures of the exchange tests: datasets in the catalogue, agreements taken through their real
life (create → submit → approve), keys for the consumer's system."""

import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from exchange.services import agreement_approve, agreement_create, agreement_submit, dataset_define
from security.api_keys import api_key_create
from security.models import Role


@pytest.fixture
def parties(tree, orgs, make_user):
    """orgs.dept provides (civil affairs), orgs.dept_other consumes (health); officers of each, a
    district leader, and a third department's officer who is party to nothing."""
    from directory.models import Organisation
    from tests.factories import OrganisationFactory

    third = OrganisationFactory(code="dept-c", kind=Organisation.Kind.DEPARTMENT, area=tree.d)
    return SimpleNamespace(
        provider=orgs.dept,
        consumer=orgs.dept_other,
        third=third,
        provider_officer=make_user(Role.DEPARTMENT_OFFICER, tree.d, orgs.dept),
        consumer_officer=make_user(Role.DEPARTMENT_OFFICER, tree.d, orgs.dept_other),
        third_officer=make_user(Role.DEPARTMENT_OFFICER, tree.d, third),
        leader=make_user(Role.DISTRICT_LEADER, tree.d),
    )


@pytest.fixture
def datasets(parties):
    return SimpleNamespace(
        roster=dataset_define(code="resident-roster", provider=parties.provider),
        elderly=dataset_define(code="elderly-roster", provider=parties.provider),
        stats=dataset_define(code="request-stats", provider=parties.provider),
    )


@pytest.fixture
def draft(parties, datasets, tree):
    """draft(**overrides) → a draft agreement the consumer's officer made."""

    def make(**overrides):
        now = timezone.now()
        arguments = {
            "actor": parties.consumer_officer,
            "dataset": datasets.roster,
            "consumer": parties.consumer,
            "purpose": "为独居老人提供上门医疗服务",
            "legal_basis": "《基本医疗卫生与健康促进法》",
            "fields": ["resident_id", "full_name", "phone", "grid_code", "lives_alone"],
            "masked_fields": ["phone"],
            "areas": [tree.s1],
            "valid_from": now - timedelta(minutes=1),
            "valid_to": now + timedelta(days=180),
        } | overrides
        return agreement_create(**arguments)

    return make


@pytest.fixture
def active(draft, parties):
    """active(**overrides) → an agreement submitted and approved by everyone it needs."""

    def make(**overrides):
        agreement = agreement_submit(actor=parties.consumer_officer, agreement=draft(**overrides))
        agreement = agreement_approve(actor=parties.provider_officer, agreement=agreement)
        if agreement.needs_leader_approval:
            agreement = agreement_approve(actor=parties.leader, agreement=agreement)
        return agreement

    return make


@pytest.fixture
def consumer_api(parties):
    """An API client with a key (exchange:fetch) of the consumer, made by its officer."""

    def make(officer=None, organisation=None, scopes=("exchange:fetch",)):
        key, raw = api_key_create(
            actor=officer or parties.consumer_officer,
            organisation=organisation or parties.consumer,
            name="卫健系统",
            scopes=list(scopes),
            expires_at=timezone.now() + timedelta(days=30),
        )
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_X_API_KEY=raw)
        client.key = key
        return client

    return make


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium for one test module at a time. A session-scoped browser outside
    tests/browser/conftest.py would stay open beside that one, and Playwright's sync API refuses
    a second in the same thread."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    # Playwright's sync API runs an event loop in this thread; the ORM calls stay synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
