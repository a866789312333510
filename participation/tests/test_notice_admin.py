"""The admin shows notices and changes none (every write goes through participation.notices)."""

import pytest

from participation.models import NoticeCategory
from participation.notices import notice_create
from security.models import Role
from tests.factories import authenticated_recently

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_notices_read_only(client, tree, make_user, people):
    notice = notice_create(
        actor=people.community, area=tree.c1, title="停水", body="明天停水", category=NoticeCategory.WATER_POWER
    )
    admin = make_user(Role.ADMIN, tree.d)
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin)
    authenticated_recently(client, admin)
    assert client.get("/admin/participation/notice/").status_code == 200
    page = client.get(f"/admin/participation/notice/{notice.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get("/admin/participation/notice/add/").status_code == 403
