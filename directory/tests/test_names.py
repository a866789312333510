"""In English, areas and organisations show a name a reader knows (issue 20: grids showed as
"Grid 1, community 511302001001", a code instead of the community's name)."""

import pytest
from django.utils import translation

from directory.models import Area

pytestmark = pytest.mark.django_db


def _name_grid_as_the_demo_does(grid: Area) -> None:
    Area.objects.filter(pk=grid.pk).update(name_zh="舞凤社区第1网格", name_en="Grid 1, community 511302001001")


def test_an_english_name_that_spells_a_code_gives_way_to_the_chinese_name(tree):
    _name_grid_as_the_demo_does(tree.g1)
    grid = Area.objects.get(pk=tree.g1.pk)
    with translation.override("en"):
        assert grid.name == "舞凤社区第1网格"
    with translation.override("zh-hans"):
        assert grid.name == "舞凤社区第1网格"


def test_a_real_english_name_is_kept(tree):
    Area.objects.filter(pk=tree.c1.pk).update(name_zh="舞凤社区", name_en="Wufeng Community")
    community = Area.objects.get(pk=tree.c1.pk)
    with translation.override("en"):
        assert community.name == "Wufeng Community"
    with translation.override("zh-hans"):
        assert community.name == "舞凤社区"


def test_a_request_page_in_english_names_the_grid_by_its_community(client, login, people, file_request, tree):
    _name_grid_as_the_demo_does(tree.g1)
    request = file_request()
    login(people.worker)
    page = client.get(f"/requests/{request.public_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "community 511302001001" not in page
    assert "舞凤社区第1网格" in page
    workbench = client.get("/requests/workbench/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "community 511302001001" not in workbench
