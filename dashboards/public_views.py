"""Public pages and open data (政务公开): anyone may read them, signed in or not.

Everything shown comes from `dashboards.open_data.published_tables`, already protected; these views
only arrange it. Unknown communities and datasets answer 404, a bad month 400 — never a 500.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dashboards.open_data import DATASETS, DISTRICT, LICENCE, TOTAL, published_tables

CKAN_HELP = "https://docs.ckan.org/en/latest/api/index.html"


def _months_param(request: HttpRequest, tables):
    """An optional ?month=YYYY-MM narrowing the months shown; None when it is malformed."""
    raw = request.GET.get("month")
    if raw is None:
        return tables
    try:
        year, month = (int(part) for part in raw.split("-"))
        wanted = date(year, month, 1)
    except (ValueError, TypeError):
        return None
    return [t for t in tables if t.month == wanted]


def _top(tables, row: str, services) -> list[dict]:
    """The services with most requests over the months; a 12-month figure only when no month of it is
    blank (otherwise the blank month could be worked out from it)."""
    top = []
    for code, service in services.items():
        values = [t.value(row, code) for t in tables]
        known = sum(v for v in values if v)
        top.append({"service": service, "sort": known, "total": None if None in values else known})
    top.sort(key=lambda item: -item["sort"])
    return [item for item in top if item["sort"]][:5]


def _area_page(request: HttpRequest, *, row: str, title: str, community=None) -> HttpResponse:
    tables, communities, services = published_tables()
    shown = _months_param(request, tables)
    if shown is None:
        return HttpResponseBadRequest(_("The month must be written as YYYY-MM."))
    months = []
    for t in shown:
        m = t.measures.get(DISTRICT if row == TOTAL else row, {})
        months.append({"month": t.month, "requests": t.value(row, TOTAL), **m})
    context = {
        "title": title,
        "community": community,
        "months": months,
        "top": _top(shown, row, services),
        "communities": None if community else list(communities.values()),
        "threshold": 5,
    }
    return render(request, "dashboards/public/area.html", context)


@require_GET
def district(request: HttpRequest) -> HttpResponse:
    return _area_page(request, row=TOTAL, title=_("How the district is doing"))


@require_GET
def community(request: HttpRequest, code: str) -> HttpResponse:
    from directory.models import Area

    area = Area.objects.filter(kind=Area.Kind.COMMUNITY, code=code).first()
    if area is None:
        raise Http404(_("No such community."))
    return _area_page(request, row=area.code, title=area.name, community=area)


def _dataset_or_404(dataset_id: str):
    dataset = DATASETS.get(dataset_id)
    if dataset is None:
        raise Http404(_("No such dataset."))
    return dataset


def dataset_rows(dataset_id: str) -> tuple[list[str], list[list]]:
    """The header and rows of a dataset's CSV: blank where the figure is withheld."""
    tables, communities, services = published_tables()
    if dataset_id == "requests-by-community-service":
        header = ["month", "community_code", "community", "service_code", "service", "requests"]
        rows = []
        for t in tables:
            for r in [*communities, TOTAL]:
                for c in [*services, TOTAL]:
                    rows.append(
                        [
                            f"{t.month:%Y-%m}",
                            "" if r == TOTAL else r,
                            _("All communities") if r == TOTAL else communities[r].name,
                            "" if c == TOTAL else c,
                            _("All services") if c == TOTAL else services[c].name,
                            t.value(r, c),
                        ]
                    )
        return header, rows
    header = [
        "month",
        "community_code",
        "community",
        "requests",
        "resolved_on_time_share",
        "median_hours_to_resolve",
        "satisfaction",
    ]
    rows = []
    for t in tables:
        for r in [*communities, TOTAL]:
            m = t.measures.get(DISTRICT if r == TOTAL else r, {})
            rows.append(
                [
                    f"{t.month:%Y-%m}",
                    "" if r == TOTAL else r,
                    _("All communities") if r == TOTAL else communities[r].name,
                    t.value(r, TOTAL),
                    _round(m.get("on_time")),
                    _round(m.get("median_hours")),
                    _round(m.get("satisfaction")),
                ]
            )
    return header, rows


def _round(value):
    if value is None or value == float("inf"):
        return None
    return round(value, 3)


@require_GET
def dataset_csv(request: HttpRequest, dataset: str) -> HttpResponse:
    _dataset_or_404(dataset)
    header, rows = dataset_rows(dataset)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset}.csv"'
    return response


def _csv_url(request: HttpRequest, dataset_id: str) -> str:
    return request.build_absolute_uri(reverse("open_data:dataset_csv", kwargs={"dataset": dataset_id}))


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    datasets = [
        {"dataset": d, "csv": reverse("open_data:dataset_csv", kwargs={"dataset": d.id})} for d in DATASETS.values()
    ]
    return render(request, "dashboards/public/catalogue.html", {"datasets": datasets, "licence": LICENCE})


def _package(request: HttpRequest, dataset) -> dict:
    return {
        "id": dataset.id,
        "name": dataset.id,
        "title": str(dataset.title),
        "notes": str(dataset.description),
        "license_id": LICENCE["id"],
        "license_title": LICENCE["title"],
        "license_url": LICENCE["url"],
        "state": "active",
        "type": "dataset",
        "private": False,
        "organization": {"name": "shunqing", "title": _("Shunqing District")},
        "extras": [{"key": "update_frequency", "value": "monthly"}],
        "num_resources": 1,
        "resources": [
            {
                "id": f"{dataset.id}-csv",
                "package_id": dataset.id,
                "name": f"{dataset.title} (CSV)",
                "description": str(dataset.description),
                "format": "CSV",
                "mimetype": "text/csv",
                "url": _csv_url(request, dataset.id),
            }
        ],
    }


@require_GET
def ckan_package_list(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"help": CKAN_HELP, "success": True, "result": list(DATASETS)})


@require_GET
def ckan_package_show(request: HttpRequest) -> JsonResponse:
    dataset = DATASETS.get(request.GET.get("id", ""))
    if dataset is None:
        return JsonResponse(
            {"help": CKAN_HELP, "success": False, "error": {"__type": "Not Found Error", "message": _("Not found")}},
            status=404,
        )
    return JsonResponse({"help": CKAN_HELP, "success": True, "result": _package(request, dataset)})


@require_GET
def dcat_catalog(request: HttpRequest) -> JsonResponse:
    datasets = []
    for dataset in DATASETS.values():
        datasets.append(
            {
                "@id": request.build_absolute_uri(reverse("open_data:catalogue")) + f"#{dataset.id}",
                "@type": "dcat:Dataset",
                "dct:identifier": dataset.id,
                "dct:title": str(dataset.title),
                "dct:description": str(dataset.description),
                "dct:license": LICENCE["url"],
                "dct:accrualPeriodicity": {"@id": "http://purl.org/cld/freq/monthly"},
                "dct:spatial": _("Shunqing District, by community"),
                "dcat:distribution": [
                    {
                        "@type": "dcat:Distribution",
                        "dct:title": f"{dataset.title} (CSV)",
                        "dcat:downloadURL": {"@id": _csv_url(request, dataset.id)},
                        "dcat:mediaType": "text/csv",
                        "dct:format": "CSV",
                        "dct:license": LICENCE["url"],
                    }
                ],
            }
        )
    body = {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@id": request.build_absolute_uri(reverse("open_data:dcat")),
        "@type": "dcat:Catalog",
        "dct:title": _("Shunqing open data"),
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": _("Shunqing District")},
        "dct:license": LICENCE["url"],
        "dcat:dataset": datasets,
    }
    return JsonResponse(body, content_type="application/ld+json", json_dumps_params={"ensure_ascii": False})
