"""The admin speaks the portal's language (issue 20: it was titled "Django 管理" and some tables had
English names): its titles name the portal, and every table it lists has a Chinese name."""

import pytest
from django.contrib import admin
from django.utils import translation

from security.models import Role

# Another engineer's app, named in its own change.
SKIPPED_APPS = {"programme"}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)


def test_every_model_in_the_admin_has_a_chinese_name():
    missing = []
    for model in admin.site._registry:
        if model._meta.app_label in SKIPPED_APPS:
            continue
        with translation.override("zh-hans"):
            chinese = str(model._meta.verbose_name_plural), str(model._meta.verbose_name)
        if not all(_has_chinese(name) for name in chinese):
            missing.append(f"{model._meta.label}: {chinese}")
    assert not missing, missing


def test_the_admin_titles_name_the_portal():
    with translation.override("zh-hans"):
        assert "Django" not in str(admin.site.site_header)
        assert _has_chinese(str(admin.site.site_header)) and _has_chinese(str(admin.site.site_title))
        assert _has_chinese(str(admin.site.index_title))


@pytest.mark.django_db
def test_the_admin_index_is_titled_for_the_portal(client, tree, make_user, login):
    administrator = make_user(Role.ADMIN, tree.d)
    administrator.is_staff = administrator.is_superuser = True
    administrator.save(update_fields=["is_staff", "is_superuser"])
    login(administrator)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Django administration" not in page and "Django site admin" not in page
    assert "Shunqing Smart Community administration" in page
