import pytest

from security.audit import audit_record
from security.models import Role

pytestmark = pytest.mark.django_db
URL = "/security/audit/"


def test_auditor_reads_the_log_and_can_filter(client, tree, make_user, login):
    audit_record(actor=None, action="test.alpha")
    audit_record(actor=None, action="test.beta")
    login(make_user(Role.AUDITOR, tree.d))
    page = client.get(URL).content.decode()
    assert "test.alpha" in page and "test.beta" in page
    filtered = client.get(URL, {"action": "test.alpha"}).content.decode()
    assert '<td class="mono">test.alpha</td>' in filtered
    assert '<td class="mono">test.beta</td>' not in filtered


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.DISTRICT_LEADER])
def test_other_roles_are_refused(client, tree, make_user, login, role):
    area = {Role.RESIDENT: tree.g1, Role.GRID_WORKER: tree.g1, Role.COMMUNITY_STAFF: tree.c1}.get(role, tree.d)
    login(make_user(role, area))
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_query_count_does_not_grow_with_events(client, tree, make_user, login, django_assert_max_num_queries):
    login(make_user(Role.AUDITOR, tree.d))
    for n in range(3):
        audit_record(actor=None, action=f"test.{n}")
    with django_assert_max_num_queries(9) as few:
        client.get(URL)
    for n in range(60):
        audit_record(actor=None, action=f"test.more{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)
