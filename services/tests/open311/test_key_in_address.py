"""An API key in the address ends up in access logs (issue 15): Open311 takes `api_key` only from a
POST's form or the X-API-Key header; one in the query string is refused, unused, and audited."""

import pytest

from security.models import ApiKey, AuditEvent
from services.models import ServiceRequest
from services.tests.open311.support import BASE, assert_errors, form, make_key, post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_key_in_the_query_string_of_a_read_is_refused_and_audited(api, people, orgs, catalogue, fmt):
    key, raw = make_key(people, orgs)
    response = api.get(f"{BASE}services.{fmt}", {"api_key": raw})
    assert_errors(response, 400, fmt, "never in the address")
    (event,) = AuditEvent.objects.filter(action="api.call")
    assert (event.actor, event.details["status"], event.details["method"]) == (None, 400, "GET")
    assert raw not in str(event.details)
    assert ApiKey.objects.get(pk=key.pk).last_used_at is None  # not used


def test_a_key_in_the_query_string_of_a_post_files_nothing(api, people, orgs, catalogue):
    raw = make_key(people, orgs)[1]
    response = api.post(f"{BASE}requests.json?api_key={raw}", form())
    assert_errors(response, 400, contains="never in the address")
    assert not ServiceRequest.objects.exists()
    assert AuditEvent.objects.filter(action="api.call", actor=None, details__status=400).count() == 1


def test_a_key_in_the_form_or_the_header_still_files(api, people, orgs, catalogue):
    raw = make_key(people, orgs)[1]
    assert post(api, data=form(api_key=raw)).status_code == 200
    assert post(api, data=form(description="又坏了"), HTTP_X_API_KEY=raw).status_code == 200
    assert ServiceRequest.objects.count() == 2
