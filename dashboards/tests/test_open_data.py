"""Open data (政务公开): public pages, the CKAN API, DCAT, and disclosure control that an attacker
with the published files cannot undo."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from django.core.cache import cache
from django.urls import reverse

from dashboards.models import MonthlySummary
from dashboards.open_data import TOTAL, _bounds, months_published, protect
from dashboards.services import summaries_rebuild, summaries_refresh
from dashboards.tests.generate import second_service

pytestmark = pytest.mark.django_db

DISTRICT_URL = "/open/"


def _recover(table: dict[tuple[str, str], int | None], rows: list[str], cols: list[str]) -> dict:
    """An attacker's elimination: any row or column equation with exactly one blank gives it away;
    repeat until nothing more falls out. Returns what was recovered."""
    known = {k: v for k, v in table.items() if v is not None}
    recovered = {}
    lines = [([(r, c) for c in cols], (r, TOTAL)) for r in [*rows, TOTAL]]
    lines += [([(r, c) for r in rows], (TOTAL, c)) for c in [*cols, TOTAL]]
    changed = True
    while changed:
        changed = False
        for parts, total in lines:
            unknown = [k for k in [*parts, total] if k not in known]
            if len(unknown) != 1:
                continue
            k = unknown[0]
            value = (
                known[total] - sum(known[p] for p in parts if p != k) if k != total else sum(known[p] for p in parts)
            )
            known[k] = recovered[k] = value
            changed = True
    return recovered


def test_every_small_cell_is_blank_and_no_blank_can_be_worked_out():
    rng = random.Random(20)
    for _round in range(300):
        cells = {
            (f"c{r}", f"s{c}"): rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 40])
            for r in range(rng.randint(1, 5))
            for c in range(rng.randint(1, 4))
        }
        table, hidden = protect(cells)
        assert all(k in hidden for k, n in table.items() if 0 < n < 5)
        rows = sorted({r for r, _c in cells})
        cols = sorted({c for _r, c in cells})
        published = {k: (None if k in hidden else n) for k, n in table.items()}
        assert _recover(published, rows, cols) == {}
        assert all(low < high for low, high in _bounds(table, hidden, rows, cols).values())


def test_a_lone_small_cell_takes_a_second_one_with_it():
    table, hidden = protect({("a", "x"): 3, ("a", "y"): 20, ("b", "x"): 30, ("b", "y"): 40})
    assert ("a", "x") in hidden
    assert len(hidden) >= 4  # its row and its column each hide another


@pytest.fixture
def world(tree, orgs, catalogue):
    clean = second_service(tree=tree, orgs=orgs)
    month = months_published()[-1]
    summaries_rebuild()  # the state the refresh starts from; it recomputes only the months that change
    counts = {(tree.g1, catalogue.repair): 12, (tree.g1, clean): 3, (tree.g2, catalogue.repair): 7, (tree.g2, clean): 9}
    MonthlySummary.objects.bulk_create(
        MonthlySummary(month=month, grid=grid, service=service, requests=n, resolved=n, resolved_in_sla=n - 1)
        for (grid, service), n in counts.items()
    )
    cache.clear()
    return month


def _csv(client, dataset: str) -> list[dict]:
    response = client.get(reverse("open_data:dataset_csv", kwargs={"dataset": dataset}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_hides_small_counts_and_their_complements(client, world):
    rows = [r for r in _csv(client, "requests-by-community-service") if r["month"] == f"{world:%Y-%m}"]
    cell = {(r["community_code"] or TOTAL, r["service_code"] or TOTAL): r["requests"] for r in rows}
    assert cell[("C1", "clean")] == ""
    assert "3" not in cell.values()
    published = {k: (int(v) if v else None) for k, v in cell.items()}
    assert _recover(published, ["C1", "C2"], ["clean", "repair"]) == {}
    assert sum(1 for v in cell.values() if v == "") >= 4


def test_shares_of_a_blank_count_are_blank(client, world):
    rows = [r for r in _csv(client, "resolution-by-community") if r["month"] == f"{world:%Y-%m}"]
    for row in rows:
        if row["requests"] == "":
            assert row["resolved_on_time_share"] == row["median_hours_to_resolve"] == row["satisfaction"] == ""


def test_publishing_again_after_a_new_request_shows_no_difference(client, world, file_request, people):
    before = [_csv(client, d) for d in ("requests-by-community-service", "resolution-by-community")]
    district = _figures(client.get(DISTRICT_URL))
    file_request(is_public=False, description="只有我知道的事", address="某路 3 号 2 单元")
    summaries_refresh()
    cache.clear()
    after = [_csv(client, d) for d in ("requests-by-community-service", "resolution-by-community")]
    assert after == before
    assert _figures(client.get(DISTRICT_URL)) == district


def _figures(response) -> str:
    """The page's figures, without the per-response parts (nonces, tokens)."""
    page = response.content.decode()
    start = page.index('<section class="panel dash-table">')
    return page[start : page.index("</table>", start)]


def test_nothing_personal_or_textual_leaks(client, world, file_request, tree):
    file_request(description="电梯坏了 张三 13800000000", address="幸福路 8 号")
    summaries_refresh()
    cache.clear()
    bodies = [
        client.get(url).content.decode()
        for url in (
            DISTRICT_URL,
            reverse("open_data:community", kwargs={"code": "C1"}),
            reverse("open_data:catalogue"),
            reverse("open_data:dcat"),
            reverse("open_data:dataset_csv", kwargs={"dataset": "requests-by-community-service"}),
            reverse("open_data:dataset_csv", kwargs={"dataset": "resolution-by-community"}),
        )
    ]
    for body in bodies:
        for secret in ("电梯坏了", "张三", "13800000000", "幸福路", tree.g1.name_zh, tree.g2.name_zh, "G1b"):
            assert secret not in body


def test_pages_are_public_and_link_to_the_projects(client, world):
    for url in (DISTRICT_URL, reverse("open_data:community", kwargs={"code": "C2"}), reverse("open_data:catalogue")):
        response = client.get(url)
        assert response.status_code == 200
    page = client.get(DISTRICT_URL).content.decode()
    assert "/programme/public/projects/" in page
    assert reverse("open_data:community", kwargs={"code": "C1"}) in page


def test_pages_in_english(client, world):
    page = client.get(DISTRICT_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Month by month" in page
    assert (
        "Open data catalogue" in client.get(reverse("open_data:catalogue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_bad_input_answers_404_or_400(client, world):
    assert client.get(reverse("open_data:community", kwargs={"code": "nowhere"})).status_code == 404
    assert client.get(reverse("open_data:community", kwargs={"code": "G1"})).status_code == 404  # a grid
    assert client.get(reverse("open_data:dataset_csv", kwargs={"dataset": "nope"})).status_code == 404
    for month in ("2025-13", "abc", "2025", "-1--1"):
        assert client.get(DISTRICT_URL, {"month": month}).status_code == 400
    assert client.get(DISTRICT_URL, {"month": f"{world:%Y-%m}"}).status_code == 200
    assert client.post(DISTRICT_URL).status_code == 405


def test_ckan_package_list_and_show(client, world):
    listed = client.get("/open/api/3/action/package_list").json()
    assert listed["success"] is True and "help" in listed
    assert listed["result"] == ["requests-by-community-service", "resolution-by-community"]
    for name in listed["result"]:
        shown = client.get("/open/api/3/action/package_show", {"id": name}).json()
        assert shown["success"] is True
        package = shown["result"]
        assert package["name"] == name and package["license_id"] == "CC-BY-4.0"
        (resource,) = package["resources"]
        assert resource["format"] == "CSV" and resource["name"] and resource["description"]
        assert client.get(resource["url"]).status_code == 200


def test_ckan_unknown_id_is_a_not_found_error(client, world):
    for params in ({"id": "nope"}, {}):
        response = client.get("/open/api/3/action/package_show", params)
        assert response.status_code == 404
        body = response.json()
        assert body["success"] is False
        assert body["error"]["__type"] == "Not Found Error" and body["error"]["message"]


def test_dcat_catalogue_is_json_ld(client, world):
    response = client.get(reverse("open_data:dcat"))
    assert response["Content-Type"].startswith("application/ld+json")
    catalog = json.loads(response.content)
    assert catalog["@type"] == "dcat:Catalog"
    assert catalog["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    assert len(catalog["dcat:dataset"]) == 2
    for dataset in catalog["dcat:dataset"]:
        assert dataset["@type"] == "dcat:Dataset" and dataset["dct:title"] and dataset["dct:license"]
        (distribution,) = dataset["dcat:distribution"]
        assert distribution["@type"] == "dcat:Distribution" and distribution["dcat:mediaType"] == "text/csv"
        assert client.get(distribution["dcat:downloadURL"]["@id"]).status_code == 200


def test_query_budget_does_not_grow_with_rows(client, world, tree, catalogue, django_assert_max_num_queries):
    def count(url):
        cache.clear()
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = [DISTRICT_URL, reverse("open_data:community", kwargs={"code": "C1"}), reverse("open_data:catalogue")]
    urls.append(reverse("open_data:dataset_csv", kwargs={"dataset": "requests-by-community-service"}))
    first = [count(url) for url in urls]
    months = months_published()
    MonthlySummary.objects.bulk_create(
        MonthlySummary(month=m, grid=tree.g1b, service=catalogue.repair, requests=9) for m in months[:-1]
    )
    assert [count(url) for url in urls] == first
    assert max(first) <= 6
