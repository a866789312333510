import pytest

from security.models import AuditEvent, Role
from workforce.models import WorkerProfile

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
FORM = {
    "post": "other",
    "level": "2",
    "date_joined": "2023-05-01",
    "education": "bachelor",
    "qualification": "assistant",
    "skills": ["elderly_care", "digital"],
    "languages": "普通话、南充话",
    "work_phone": "0817-2223335",
    "personal_phone": "13900139000",
}


def test_a_head_writes_a_new_workers_profile(crew, login, make_user, tree):
    newcomer = make_user(Role.GRID_WORKER, tree.g1b, first_name="新网格")
    outsider = make_user(Role.GRID_WORKER, tree.g2, first_name="外网格")
    client = login(crew.head1)
    page = client.get("/workforce/new/", **ENGLISH).content.decode()
    assert f'value="{newcomer.pk}"' in page and f'value="{outsider.pk}"' not in page
    assert 'name="is_head"' not in page  # a head does not name heads
    response = client.post("/workforce/new/", FORM | {"worker": newcomer.pk})
    profile = WorkerProfile.objects.get(user=newcomer)
    assert response["Location"] == f"/workforce/{profile.pk}/"
    assert profile.skills == ["elderly_care", "digital"] and profile.level == 2
    assert AuditEvent.objects.get(action="workforce.profile_create").actor == crew.head1
    # A worker of another community cannot be picked, even by a crafted post.
    response = client.post("/workforce/new/", FORM | {"worker": outsider.pk}, **ENGLISH)
    assert response.status_code == 200 and not WorkerProfile.objects.filter(user=outsider).exists()


def test_a_level_outside_the_posts_band_is_refused_beside_the_field(crew, login):
    client = login(crew.sub1)
    response = client.post(f"/workforce/{crew.p1.pk}/edit/", FORM | {"post": "head", "level": "5"}, **ENGLISH)
    assert response.status_code == 200
    assert "levels 7 to 18" in response.content.decode()
    crew.p1.refresh_from_db()
    assert crew.p1.level == 1 and crew.p1.post == "other"


def test_a_subdistrict_officer_edits_and_names_a_head(crew, login):
    client = login(crew.sub1)
    assert 'name="is_head"' in client.get(f"/workforce/{crew.ps1.pk}/edit/").content.decode()
    form = FORM | {"post": "deputy", "level": "5", "is_head": "on"}
    assert client.post(f"/workforce/{crew.ps1.pk}/edit/", form).status_code == 302
    crew.ps1.refresh_from_db()
    assert crew.ps1.is_head and crew.ps1.level == 5
    assert AuditEvent.objects.get(action="workforce.profile_update").details["before"]["level"] == 4


def test_a_head_editing_keeps_the_head_flag(crew, login):
    client = login(crew.head1)
    assert client.post(f"/workforce/{crew.p1.pk}/edit/", FORM).status_code == 302
    crew.ph1.refresh_from_db()
    assert crew.ph1.is_head


@pytest.mark.parametrize("who", ["head2", "staff1", "w1b", "w1", "resident", "partner"])
def test_outsiders_cannot_write_profiles(crew, login, who):
    client = login(getattr(crew, who))
    assert client.get(f"/workforce/{crew.p1.pk}/edit/").status_code == 404
    assert client.post(f"/workforce/{crew.p1.pk}/edit/", FORM).status_code == 404
    # Another community's head opens the page for their own workers only.
    assert client.get("/workforce/new/").status_code == (200 if who == "head2" else 403)
    crew.p1.refresh_from_db()
    assert crew.p1.level == 1


def test_anonymous_cannot_write_profiles(crew, client):
    assert client.get("/workforce/new/")["Location"].startswith("/accounts/login/")
    assert client.post(f"/workforce/{crew.p1.pk}/edit/", FORM)["Location"].startswith("/accounts/login/")
