"""Every figure from the summary path equals the same figure computed straight from the requests,
for generated requests (fixed seed) with reopens, ratings, overdue and rejected ones, several
organisations, grids and services, periods that cut months in two, and today's live part; and
still after requests change and the incremental refresh runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards.figures import ALL_GROUPINGS, Figures, Filters, Scope
from dashboards.forms import period_start
from dashboards.models import DailySummary, MonthlySummary, SummaryState, WeeklySummary, YearlySummary
from dashboards.raw import raw_figures
from dashboards.reads import CELL_UNITS, period_pieces, series_units, summary_figures
from dashboards.services import SUMMARY_MODELS, day_start, local_today, summaries_rebuild, summaries_refresh
from dashboards.tests.generate import generate, world
from services import services as steps
from services.models import OPEN_STATUSES, RequestEvent, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(tree, orgs, catalogue, people, make_user):
    w = world(tree=tree, orgs=orgs, catalogue=catalogue, people=people, make_user=make_user)
    now = timezone.now()
    requests = generate(w, n=70, now=now, max_days_ago=130)
    return w, now, requests


def _cases(tree, orgs, today):
    district = Scope(paths=(tree.d.path,))
    s1 = Scope(paths=(tree.s1.path,))
    department = Scope(organisation_ids=(orgs.dept.pk,))
    periods = [
        (today - timedelta(days=6), today),  # daily, mostly summarised, today live
        (today - timedelta(days=60), today),  # weekly
        (today - timedelta(days=135), today),  # monthly: whole months from the monthly table
        (today - timedelta(days=100), today - timedelta(days=17)),  # cuts months in two, no live part
        (today, today),  # only live
        (today - timedelta(days=29), today),  # weekly, the current week's roll-up taken whole
        (period_start("1y", today), today),  # whole months only, the current one's roll-up too
    ]
    for start, end in periods:
        for scope, area in ((district, tree.d), (s1, tree.s1), (department, tree.d)):
            yield Filters(start=start, end=end, area_id=area.pk, area_path=area.path), scope
    base = {"start": today - timedelta(days=135), "end": today}
    yield Filters(**base, area_id=tree.c1.pk, area_path=tree.c1.path), district
    yield Filters(**base, area_id=tree.g1.pk, area_path=tree.g1.path), s1
    yield Filters(**base, area_id=tree.d.pk, area_path=tree.d.path, service_group="环境卫生"), district
    yield Filters(**base, area_id=tree.d.pk, area_path=tree.d.path, organisation_id=orgs.partner.pk), district


def _assert_all_equal(tree, orgs, now):
    for filters, scope in _cases(tree, orgs, local_today(now)):
        summary = summary_figures(filters=filters, scope=scope, now=now)
        truth = raw_figures(filters=filters, scope=scope, now=now)
        assert summary == truth, (filters, scope)


def test_every_summary_figure_equals_the_raw_figure(generated, tree, orgs):
    _w, now, requests = generated
    summaries_rebuild(now=now)
    assert DailySummary.objects.exists() and MonthlySummary.objects.exists()
    today = local_today(now)
    # The generated data covers what the comparison must exercise.
    whole = Filters(start=today - timedelta(days=135), end=today, area_id=tree.d.pk, area_path=tree.d.path)
    summarised_until = SummaryState.objects.get().summarised_until
    for units in (CELL_UNITS, series_units(whole)):
        pieces = period_pieces(whole, summarised_until, units)
        assert {unit for unit, _first, _after in pieces.summarised} > {"day"} and pieces.live
    assert WeeklySummary.objects.exists() and YearlySummary.objects.exists()
    figures = summary_figures(filters=whole, scope=Scope(paths=(tree.d.path,)), now=now)
    total = figures.total
    assert total.new == len(requests)
    assert total.open == ServiceRequest.objects.filter(status__in=OPEN_STATUSES).count()
    assert total.reopened == RequestEvent.objects.filter(kind="reopened").values("request").distinct().count() > 0
    assert total.rated > 0 and total.overdue > 0 and total.rejected > 0
    assert 0 < total.resolved_in_sla < total.resolved
    assert len(figures.by_organisation) >= 3 and len(figures.by_grid) == 3 and len(figures.by_service) == 2
    assert total.resolve_p90_h > total.resolve_median_h
    # A page reads only the groupings it shows: the same figures, the others left empty.
    for groupings in (("total",), ("by_grid",), ("total", "by_service"), ("by_organisation", "series")):
        part = summary_figures(filters=whole, scope=Scope(paths=(tree.d.path,)), now=now, groupings=groupings)
        for name in ALL_GROUPINGS:
            expected = getattr(figures if name in groupings else Figures(filters=whole), name)
            assert getattr(part, name) == expected, (groupings, name)
    _assert_all_equal(tree, orgs, now)


def test_the_refresh_follows_changes_and_matches_a_rebuild(generated, tree, orgs):
    w, now, requests = generated
    summaries_rebuild(now=now)
    # Requests filed before today: the summaries hold them, so they go stale until the refresh.
    old = ServiceRequest.objects.filter(created_at__lt=day_start(local_today(now)))
    # Work goes on: old open requests are accepted, resolved, reopened; resolved ones are rated.
    for request in old.filter(status="submitted").order_by("pk")[:4]:
        handler = w.handlers["S1" if request.grid.path.startswith(tree.s1.path) else "S2"]
        steps.request_accept(request=request, actor=handler)
        steps.request_start(request=request, actor=handler)
        steps.request_resolve(request=request, actor=handler, note="补办")
    reopened = old.filter(status="resolved").exclude(events__kind="reopened").order_by("pk").first()
    steps.request_reopen(request=reopened, actor=w.requester, reason="又坏了")
    rated = old.filter(status="resolved", rating__isnull=True).exclude(pk=reopened.pk).order_by("pk").first()
    steps.request_rate(request=rated, actor=w.requester, score=2)
    stale = summary_figures(
        filters=Filters(
            start=local_today(now) - timedelta(days=135), end=local_today(now), area_id=tree.d.pk, area_path=tree.d.path
        ),
        scope=Scope(paths=(tree.d.path,)),
        now=now,
    )
    later = timezone.now()
    report = summaries_refresh(now=later)
    assert report.days >= 1
    _assert_all_equal(tree, orgs, later)
    fresh = summary_figures(filters=stale.filters, scope=Scope(paths=(tree.d.path,)), now=later)
    assert fresh.total.reopened == stale.total.reopened + 1
    assert fresh.total.rated == stale.total.rated + 1
    # Running it again changes nothing, and the refreshed tables hold what a rebuild makes.
    summaries_refresh(now=later)
    refreshed = [_table(model) for model in SUMMARY_MODELS]
    summaries_rebuild(now=later)
    assert [_table(model) for model in SUMMARY_MODELS] == refreshed


def test_a_new_day_moves_into_the_summaries(generated, tree, orgs):
    _w, now, _requests = generated
    summaries_rebuild(now=now - timedelta(days=3))
    assert SummaryState.objects.get().summarised_until == local_today(now) - timedelta(days=3)
    summaries_refresh(now=now)
    assert SummaryState.objects.get().summarised_until == local_today(now)
    _assert_all_equal(tree, orgs, now)


def test_without_any_summary_everything_is_live(generated, tree, orgs):
    _w, now, _requests = generated
    _assert_all_equal(tree, orgs, now)


def _table(model):
    columns = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
    return sorted(model.objects.values_list(*columns))
