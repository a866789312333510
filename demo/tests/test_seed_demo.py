import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dashboards.models import SummaryState
from demo.casework import DEMO_REQUESTS
from demo.district import DEMO_PASSWORD
from demo.history import HISTORY_ACTION
from demo.proposals import CLUSTER_REQUESTS, PROJECT_REQUESTS
from directory.models import Area, Organisation
from residents.models import Household, ResidentProfile
from security.audit import audit_chain_verify
from security.models import AuditEvent, Role, RoleAssignment, User
from services.models import ServiceRequest

pytestmark = pytest.mark.django_db

# A small history keeps these tests quick; test_demo_history seeds the default one.
HISTORY = 300
# The demo's own requests: demo_resident's, and their neighbours' (a cluster and a project's).
DEMO = len(DEMO_REQUESTS) + len(CLUSTER_REQUESTS) + len(PROJECT_REQUESTS)


def snapshot():
    return {
        "areas": sorted(Area.objects.values_list("code", "kind", "path", "name_zh")),
        "organisations": sorted(Organisation.objects.values_list("code", "kind", "area__code")),
        "users": sorted(User.objects.values_list("username", "is_staff")),
        "roles": sorted(
            RoleAssignment.objects.values_list("user__username", "role", "area__code", "organisation__code")
        ),
        "households": sorted(Household.objects.values_list("grid__code", "address")),
        "residents": sorted(
            ResidentProfile.objects.values_list("id_card_hash", "phone_hash", "full_name", "user__username")
        ),
        "requests": sorted(ServiceRequest.objects.values_list("public_id", "status", "updated_at")),
        "audit_events": AuditEvent.objects.count(),
    }


@pytest.fixture
def seeded():
    call_command("seed_demo", force=True, history=HISTORY, verbosity=0)


def test_seed_twice_leaves_the_same_data_and_more_requests_come_on_top(seeded):
    first = snapshot()
    # The demo's requests and the history.
    assert len(first["requests"]) == DEMO + HISTORY
    assert AuditEvent.objects.filter(action=HISTORY_ACTION).get().details["requests"] == HISTORY
    call_command("seed_demo", force=True, history=HISTORY, verbosity=0)
    assert snapshot() == first
    # Whatever size is asked for: the history is there already.
    call_command("seed_demo", force=True, verbosity=0)
    assert snapshot() == first
    assert audit_chain_verify().intact
    assert SummaryState.objects.exists()
    # --requests N adds N more each run, on top of the history.
    call_command("seed_demo", force=True, history=HISTORY, requests=40, verbosity=0)
    call_command("seed_demo", force=True, history=HISTORY, requests=40, verbosity=0)
    assert ServiceRequest.objects.count() == DEMO + HISTORY + 80
    assert AuditEvent.objects.filter(action=HISTORY_ACTION).count() == 1
    assert AuditEvent.objects.filter(action="demo.requests_seed").count() == 2


def test_a_demo_built_without_history_gets_it_on_a_later_run():
    call_command("seed_demo", force=True, history=0, verbosity=0)
    assert ServiceRequest.objects.count() == DEMO
    assert not AuditEvent.objects.filter(action=HISTORY_ACTION).exists()
    call_command("seed_demo", force=True, history=50, verbosity=0)
    assert ServiceRequest.objects.count() == DEMO + 50
    assert AuditEvent.objects.filter(action=HISTORY_ACTION).count() == 1


def test_seed_builds_shunqing(seeded):
    district = Area.objects.get(kind=Area.Kind.DISTRICT)
    assert district.name_zh == "顺庆区"
    assert Area.objects.filter(kind=Area.Kind.COMMUNITY).count() >= 30
    assert not Area.objects.filter(kind=Area.Kind.COMMUNITY).exclude(children__kind=Area.Kind.GRID).exists()
    departments = set(Organisation.objects.filter(kind=Organisation.Kind.DEPARTMENT).values_list("name_zh", flat=True))
    assert {"顺庆区民政局", "顺庆区住房和城乡建设局", "顺庆区卫生健康局"} <= departments
    assert Organisation.objects.filter(kind=Organisation.Kind.PARTNER).count() >= 3
    assert ResidentProfile.objects.count() > 100


def test_every_role_has_a_demo_user_who_can_sign_in(seeded, client):
    for role in Role.values:
        # By name, the demo login first: the history adds grid workers and residents without a password.
        assignment = (
            RoleAssignment.objects.filter(role=role, user__username__startswith="demo_")
            .order_by("user__username")
            .first()
        )
        assert assignment is not None, role
        assert client.login(username=assignment.user.username, password=DEMO_PASSWORD)
        landing = client.get("/start/", follow=True)
        assert landing.status_code == 200, role
        assert landing.redirect_chain[-1][0] != "/start/"
        client.logout()


def test_seed_refuses_without_debug_unless_forced():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.exists()


@pytest.mark.parametrize("value", ["-1", "many", "2.5"])
def test_a_bad_history_size_is_refused_before_anything_is_built(value):
    with pytest.raises(CommandError, match="--history"):
        call_command("seed_demo", "--force", "--history", value, verbosity=0)
    assert not User.objects.exists()
