import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from demo.district import DEMO_PASSWORD
from directory.models import Area, Organisation
from residents.models import Household, ResidentProfile
from security.audit import audit_chain_verify
from security.models import AuditEvent, Role, RoleAssignment, User

pytestmark = pytest.mark.django_db


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
        "audit_events": AuditEvent.objects.count(),
    }


@pytest.fixture
def seeded():
    call_command("seed_demo", force=True, verbosity=0)


def test_seed_twice_leaves_the_same_data(seeded):
    first = snapshot()
    call_command("seed_demo", force=True, verbosity=0)
    assert snapshot() == first
    assert audit_chain_verify().intact


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
        assignment = RoleAssignment.objects.filter(role=role, user__username__startswith="demo_").first()
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
