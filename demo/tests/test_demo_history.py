"""The demo's year of history at its default size: what `make run` shows on first start. The same
seed gives the same requests; every service, grid, department and partner has some; the demo
logins' dashboards, league tables, hot spots and scorecard have figures."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from dashboards import selectors
from dashboards.figures import Filters
from dashboards.forms import DEFAULT_PERIOD, period_start
from dashboards.services import local_today
from demo.history import HISTORY_ACTION, HISTORY_DAYS, HISTORY_REQUESTS, history_seed
from directory.models import Area, Organisation
from security.audit import audit_chain_verify
from security.models import AuditEvent, User
from services.models import OPEN_STATUSES, RequestEvent, RequestStatus, Service, ServiceRequest

pytestmark = pytest.mark.django_db


def _history(first_id: int, last_id: int) -> dict:
    requests = ServiceRequest.objects.filter(pk__gte=first_id, pk__lte=last_id).order_by("pk")
    return {
        "requests": list(
            requests.values_list(
                "public_id", "service__code", "grid__code", "status", "created_at", "closed_at", "rating", "is_overdue"
            )
        ),
        "events": Counter(
            RequestEvent.objects.filter(request_id__gte=first_id, request_id__lte=last_id).values_list(
                "kind", flat=True
            )
        ),
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo with its default history, made once for the module inside a transaction rolled back
    at the end. The history is made twice with the same clock: once in a savepoint rolled back, once
    kept; then `seed_demo` runs again as `make run` would on a second start."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", force=True, history=0, verbosity=0)
        now = timezone.now()
        with transaction.atomic():
            report = history_seed(now=now)
            first = _history(report.first_id, report.last_id)
            transaction.set_rollback(True)
        report = history_seed(now=now)
        kept = _history(report.first_id, report.last_id)
        before_rerun = (ServiceRequest.objects.count(), AuditEvent.objects.count())
        call_command("seed_demo", force=True, verbosity=0)
        yield {
            "now": now,
            "report": report,
            "first": first,
            "kept": kept,
            "before_rerun": before_rerun,
            "history": ServiceRequest.objects.filter(pk__gte=report.first_id, pk__lte=report.last_id),
        }
        transaction.set_rollback(True)


def test_the_same_seed_gives_the_same_history(demo):
    assert len(demo["kept"]["requests"]) == HISTORY_REQUESTS
    assert demo["kept"] == demo["first"]


def test_a_second_seed_demo_adds_nothing_and_the_audit_chain_holds(demo):
    assert (ServiceRequest.objects.count(), AuditEvent.objects.count()) == demo["before_rerun"]
    assert AuditEvent.objects.filter(action=HISTORY_ACTION).count() == 1
    assert audit_chain_verify().intact
    call_command("verify_audit", verbosity=0)


def test_the_history_spans_the_last_year_and_every_service_place_and_organisation(demo):
    history = demo["history"]
    now = demo["now"]
    assert history.count() == HISTORY_REQUESTS
    assert not history.filter(created_at__lt=now - timedelta(days=HISTORY_DAYS)).exists()
    assert not history.filter(created_at__gt=now).exists()
    months = {timezone.localtime(t).strftime("%Y-%m") for t in history.values_list("created_at", flat=True)}
    assert len(months) >= 12
    assert set(history.values_list("service__code", flat=True)) == set(Service.objects.values_list("code", flat=True))
    grids = Area.objects.filter(kind=Area.Kind.GRID)
    assert history.values("grid").distinct().count() == grids.count()
    handled = set(history.values_list("handling_organisation__code", flat=True))
    for kind in (Organisation.Kind.DEPARTMENT, Organisation.Kind.PARTNER):
        assert set(Organisation.objects.filter(kind=kind).values_list("code", flat=True)) <= handled, kind


def test_the_history_has_requests_in_every_state(demo):
    history = demo["history"]
    statuses = Counter(history.values_list("status", flat=True))
    assert sum(statuses[s] for s in OPEN_STATUSES) > 20
    assert history.filter(status__in=OPEN_STATUSES, is_overdue=True).count() > 5
    assert statuses[RequestStatus.RESOLVED] > 20
    assert statuses[RequestStatus.CLOSED] > HISTORY_REQUESTS * 0.8
    assert 0 < statuses[RequestStatus.REJECTED] < HISTORY_REQUESTS * 0.1
    assert history.filter(rating__isnull=False).count() > HISTORY_REQUESTS * 0.4


def _filters(area: Area) -> Filters:
    today = local_today()
    return Filters(start=period_start(DEFAULT_PERIOD, today), end=today, area_id=area.pk, area_path=area.path)


def test_the_district_leaders_default_dashboard_has_figures_that_differ_by_community(demo):
    leader = User.objects.get(username="demo_leader")
    scope = selectors.dashboard_scope(leader)
    figures = selectors.figures_for(scope=scope, filters=_filters(selectors.scope_root(scope)))
    assert figures.total.new > 200 and figures.total.open > 0 and figures.total.overdue > 0
    assert figures.total.resolve_sla_share is not None and figures.total.satisfaction is not None
    departments = selectors.organisation_rows(figures, group="departments")
    partners = selectors.organisation_rows(figures, group="partners")
    assert len(departments) == Organisation.objects.filter(kind=Organisation.Kind.DEPARTMENT).count()
    assert len(partners) == Organisation.objects.filter(kind=Organisation.Kind.PARTNER).count()
    assert all(row.measures.new > 0 for row in departments + partners)
    spots = selectors.hot_spots(user=leader, scope=scope, figures=figures)
    assert len(spots) > 30
    assert selectors.by_overdue_share(spots)
    # Over the year, some communities keep their promises much better than others.
    root = selectors.scope_root(scope)
    year = Filters(start=local_today() - timedelta(days=364), end=local_today(), area_id=root.pk, area_path=root.path)
    by_grid = selectors.figures_for(scope=scope, filters=year, groupings=("by_grid",)).by_grid
    community_of = dict(Area.objects.filter(kind=Area.Kind.GRID).values_list("pk", "parent_id"))
    resolved, in_sla = Counter(), Counter()
    for grid_id, measures in by_grid.items():
        resolved[community_of[grid_id]] += measures.resolved
        in_sla[community_of[grid_id]] += measures.resolved_in_sla
    shares = [in_sla[c] / resolved[c] for c in resolved if resolved[c] >= 30]
    assert max(shares) - min(shares) > 0.1


@pytest.mark.parametrize("page", ["overview", "league", "hotspots", "screen"])
def test_the_district_leaders_pages_answer_with_figures(demo, client, page):
    client.force_login(User.objects.get(username="demo_leader"))
    response = client.get(f"/dashboards/{'' if page == 'overview' else page + '/'}")
    assert response.status_code == 200
    if page == "league":
        departments, partners, social = response.context["tables"]
        assert departments.rows and partners.rows and social.rows
    elif page == "hotspots":
        assert response.context["points"] and all(table.rows for table in response.context["tables"])
    elif page == "screen":
        assert response.context["total"].new > 0 and response.context["worst"]
    else:
        assert response.context["page"].figures.total.new > 0
    if page != "screen":
        # The period chooser names the period the figures are for (30 days unless asked).
        assert '<option value="30d" selected>' in response.content.decode()


def test_the_subdistrict_officer_sees_their_subdistricts_figures(demo, client):
    client.force_login(User.objects.get(username="demo_subdistrict"))
    response = client.get("/dashboards/")
    assert response.status_code == 200
    total = response.context["page"].figures.total
    assert 0 < total.new < demo["history"].filter(created_at__gte=demo["now"] - timedelta(days=30)).count()


def test_the_partner_operator_sees_a_scorecard_with_figures(demo, client):
    client.force_login(User.objects.get(username="demo_partner"))
    response = client.get("/dashboards/scorecard/")
    assert response.status_code == 200
    total = response.context["page"].figures.total
    assert total.new >= 5 and total.resolved > 0 and total.resolve_sla_share is not None
    summary = response.context["tables"][0]
    assert summary.rows
