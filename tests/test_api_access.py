"""Who may call the partner API and Open311 is read afresh on every call, in every process: a revoked
key, a removed role or a deactivated maker stops the very next call, also when the change is made by
another process (a live server and `manage.py shell`). Both APIs spend one throttle budget per key."""

import logging
import math
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from security.api_keys import api_key_create, api_key_revoke
from security.models import ApiKey, ApiScope, Role, RoleAssignment
from security.services import role_revoke

PARTNER_LIST = "/api/v1/work-orders/"
OPEN311_SERVICES = "/open311/v2/services.json"
# How each API turns a key away: the partner API as bad credentials (DRF's 401 with
# WWW-Authenticate: X-API-Key), Open311 as the spec's 403.
REFUSED = {"partner": 401, "open311": 403}


@pytest.fixture
def key(people, orgs) -> tuple[ApiKey, str]:
    """A key of orgs.partner made by people.partner, with every partner scope: (row, raw key)."""
    return api_key_create(
        actor=people.partner,
        organisation=orgs.partner,
        name="ERP",
        scopes=[ApiScope.READ_WORK_ORDERS, ApiScope.SUBMIT_REQUESTS],
        expires_at=timezone.now() + timedelta(days=30),
    )


def call(api: str, raw_key: str):
    path = PARTNER_LIST if api == "partner" else OPEN311_SERVICES
    return Client(HTTP_ACCEPT_LANGUAGE="en").get(path, HTTP_X_API_KEY=raw_key)


def revoke_key(key: ApiKey) -> None:
    api_key_revoke(actor=key.created_by, key=key)


def remove_makers_role(key: ApiKey) -> None:
    assignment = RoleAssignment.objects.get(user=key.created_by, role=Role.PARTNER_OPERATOR)
    role_revoke(assignment=assignment, revoked_by=None)


def deactivate_maker(key: ApiKey) -> None:
    maker = key.created_by
    maker.is_active = False
    maker.save(update_fields=["is_active"])  # as the admin does


CHANGES = {"revoked": revoke_key, "role removed": remove_makers_role, "maker deactivated": deactivate_maker}


@pytest.mark.django_db
@pytest.mark.parametrize("api", ["partner", "open311"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_the_next_call_after_a_change_is_refused(key, api, change):
    row, raw = key
    assert call(api, raw).status_code == 200
    CHANGES[change](ApiKey.objects.select_related("created_by").get(pk=row.pk))
    assert call(api, raw).status_code == REFUSED[api]


@pytest.mark.django_db
@pytest.mark.parametrize("api", ["partner", "open311"])
def test_a_change_no_signal_announces_stops_the_next_call_too(key, api):
    """A bare UPDATE tells this process nothing, as a change made by another process would not."""
    row, raw = key
    assert call(api, raw).status_code == 200
    ApiKey.objects.filter(pk=row.pk).update(revoked_at=timezone.now())
    assert call(api, raw).status_code == REFUSED[api]


@pytest.mark.django_db
def test_an_open311_call_with_a_key_reads_a_fixed_few_rows(key, catalogue, django_assert_num_queries):
    _row, raw = key
    call("open311", raw)  # the key's last-used time is written at most once a minute: not counted below
    # The key with its maker, the maker's roles, the service and its questions, the audit event
    # (chain lock, last hash, insert).
    with django_assert_num_queries(7):
        response = Client().get("/open311/v2/services/repair.json", HTTP_X_API_KEY=raw)
    assert response.status_code == 200


# --- across processes ----------------------------------------------------------------------------
def database_url_of_the_tests() -> str:
    """The test database, as DATABASE_URL names it to another process."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def in_another_process(code: str) -> None:
    # pytest-django has put DJANGO_SETTINGS_MODULE in the environment: the child reads the same settings.
    env = os.environ | {"DATABASE_URL": database_url_of_the_tests()}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def status_through(url: str, raw_key: str) -> int:
    request = urllib.request.Request(url, headers={"X-API-Key": raw_key})  # noqa: S310 - the live server on loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


IN_ANOTHER_PROCESS = {
    "revoked": "from security.api_keys import api_key_revoke\n"
    "from security.models import ApiKey\n"
    "key = ApiKey.objects.select_related('created_by').get(pk={pk})\n"
    "api_key_revoke(actor=key.created_by, key=key)",
    "role removed": "from security.models import ApiKey, RoleAssignment\n"
    "from security.services import role_revoke\n"
    "key = ApiKey.objects.get(pk={pk})\n"
    "role_revoke(assignment=RoleAssignment.objects.get(user_id=key.created_by_id, role='partner_operator'),"
    " revoked_by=None)",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", list(IN_ANOTHER_PROCESS))
def test_a_change_made_in_another_process_refuses_the_next_call_through_the_server(live_server, key, change):
    row, raw = key
    partner, open311 = live_server.url + PARTNER_LIST, live_server.url + OPEN311_SERVICES
    assert (status_through(partner, raw), status_through(open311, raw)) == (200, 200)
    in_another_process(IN_ANOTHER_PROCESS[change].format(pk=row.pk))
    assert (status_through(partner, raw), status_through(open311, raw)) == (401, 403)


# --- one throttle for both APIs ---------------------------------------------------------------------
def within_one_minute(needed: float) -> None:
    left = 60 - time.time() % 60
    if left < needed:
        time.sleep(left + 0.01)


@pytest.mark.django_db
def test_both_apis_spend_one_budget_per_key_and_say_when_to_come_back(key, settings):
    settings.API_RATE_LIMIT = "3/min"
    _row, raw = key
    within_one_minute(5)
    assert [call(api, raw).status_code for api in ("partner", "open311", "partner")] == [200, 200, 200]
    for api in ("open311", "partner"):
        before = time.time()
        refused = call(api, raw)
        after = time.time()
        assert refused.status_code == 429
        # The whole seconds until the minute's window ends.
        assert math.ceil(60 - after % 60) <= int(refused["Retry-After"]) <= math.ceil(60 - before % 60)


@pytest.mark.django_db
def test_when_redis_is_down_both_apis_answer_and_log_a_warning(key, settings, caplog):
    settings.API_RATE_LIMIT = "1/min"
    settings.CACHES = settings.CACHES | {  # a loopback port nothing listens on
        "throttle": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    _row, raw = key
    with caplog.at_level(logging.WARNING, logger="core.throttle"):
        assert [call(api, raw).status_code for api in ("partner", "partner", "open311", "open311")] == [200] * 4
    assert sum(record.name == "core.throttle" for record in caplog.records) == 4
