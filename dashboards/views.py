"""Thin views: read the filters, ask the selectors, build the tables, render or export them."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from allauth.account.decorators import reauthentication_required
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dashboards import display_links, participation_tables, programme_tables, selectors, tables
from dashboards.exports import FORMATS, table_response
from dashboards.figures import RESOLUTION_NOTE, Figures, Filters, Scope
from dashboards.forms import DashboardFilterForm, ParticipationFilterForm, ProgrammeFilterForm
from dashboards.models import DisplayLink
from dashboards.participation import RANKINGS, participation_figures, ranked
from dashboards.programme import programme_figures
from dashboards.services import export_record, local_today, summary_state
from directory.models import Area
from security.decorators import role_required
from security.roles import DASHBOARD_ROLES, OVERSIGHT_ROLES, SCORECARD_ROLES

# At most this many requests go into one export of a request list.
EXPORT_ROW_LIMIT = 10_000


@dataclass
class Page:
    """What every dashboard page starts from: the user's scope, the filters and the figures."""

    scope: Scope
    form: DashboardFilterForm
    filters: Filters
    root: Area
    query: QueryDict
    groupings: tuple[str, ...]
    _paths: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def figures(self) -> Figures:
        """Read on first use, and only the groupings the page shows (PAGE_GROUPINGS)."""
        return selectors.figures_for(scope=self.scope, filters=self.filters, groupings=self.groupings)

    def url(self, name: str, **changes) -> str:
        # A page links every row of its tables, up to some 150 times: a shallow copy of the query
        # (its value lists are replaced, never changed in place) and one reverse() per page name
        # take a third of the time of QueryDict.copy()'s deep copy and a reverse() per link.
        query = copy(self.query)
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = str(value)
        query.pop("page", None)
        encoded = query.urlencode()
        if name not in self._paths:
            self._paths[name] = reverse(f"dashboards:{name}")
        return self._paths[name] + (f"?{encoded}" if encoded else "")


# The groupings of the figures each page shows, which are all it reads: the series is a read of
# its own of the summaries (every step of the period), the others share one.
PAGE_GROUPINGS = {
    "overview": ("total", "by_child", "by_service", "series"),
    "league": ("by_organisation",),
    "hotspots": ("by_grid",),
    "requests": ("total", "by_service"),  # the count of the list (see _request_tables)
    "screen": ("total", "by_grid", "series"),
    "scorecard": ("total", "series"),
    "participation": (),  # no request figures: its own (dashboards.participation)
    "programme": (),  # no request figures: its own (dashboards.programme)
}


def _page(request, scope: Scope, name: str) -> Page:
    if scope.is_empty:
        raise PermissionDenied
    root = selectors.scope_root(scope)

    def covers(area: Area) -> bool:
        return selectors.scope_covers(scope, area)

    if name == "participation":
        form = ParticipationFilterForm(request.GET or None, root=root, covers=covers)
    elif name == "programme":
        form = ProgrammeFilterForm(request.GET or None, root=root, covers=covers)
    else:
        form = DashboardFilterForm(
            request.GET or None,
            groups=selectors.service_groups(),
            organisations=selectors.organisations_for(scope),
            root=root,
            covers=covers,
        )
    filters = form.filters()
    return Page(scope=scope, form=form, filters=filters, root=root, query=request.GET, groupings=PAGE_GROUPINGS[name])


def _number(value):
    """A chart's value as JSON reads it: a number (JSON would write a Decimal as a string)."""
    return float(value) if isinstance(value, Decimal) else value


def _chart(table: tables.Table, columns: list[int], kind: str = "bar") -> dict:
    """The data of a chart drawn from some columns of a table (the table is its accessible twin)."""
    return {
        "type": kind,
        "labels": [str(row[0]) for row in table.rows],
        "datasets": [
            {
                "label": str(table.columns[i].label),
                "data": [_number(tables.cell_value(row[i], table.columns[i].kind)) for row in table.rows],
            }
            for i in columns
        ],
    }


def _overview_tables(request, page: Page) -> tuple[list[tables.Table], dict]:
    area, children = selectors.drilldown_rows(user=request.user, scope=page.scope, figures=page.figures)
    series = tables.series_table(selectors.series_rows(page.figures), page.filters.granularity)
    built = [
        tables.summary_table(page.figures),
        tables.areas_table(
            children,
            row_link=lambda row: page.url("overview", area=row.obj.pk),
            figure_link=lambda row, figure: page.url("requests", area=row.obj.pk, figure=figure),
            with_people=bool(page.scope.paths),
        ),
        tables.services_table(
            selectors.service_rows(page.figures),
            figure_link=lambda row, figure: page.url("requests", service=row.obj.pk, figure=figure),
        ),
        series,
        tables.ratings_table(page.figures),
    ]
    extra = {"area": area, "trail": selectors.area_trail(area, page.root)}
    return built, extra


def _league_tables(request, page: Page) -> tuple[list[tables.Table], dict]:
    def link(row, figure):
        return page.url("requests", organisation=row.obj.pk, figure=figure)

    return [
        tables.league_table(
            "departments",
            _("Departments"),
            selectors.organisation_rows(page.figures, group="departments"),
            figure_link=link,
        ),
        tables.league_table(
            "partners",
            _("Enterprise partners"),
            selectors.organisation_rows(page.figures, group="partners"),
            figure_link=link,
        ),
        tables.league_table(
            "social",
            _("Social organisations"),
            selectors.organisation_rows(page.figures, group="social"),
            figure_link=link,
        ),
    ], {}


def _hot_spot_tables(request, page: Page) -> tuple[list[tables.Table], dict]:
    spots = selectors.hot_spots(user=request.user, scope=page.scope, figures=page.figures)
    built = tables.hot_spot_tables(
        selectors.by_requests_per_household(spots),
        selectors.by_overdue_share(spots),
        grid_link=lambda spot: page.url("requests", area=spot.grid.pk, figure="new"),
    )
    points = [
        {
            "name": spot.grid.name,
            "lat": float(spot.grid.centre_lat),
            "lng": float(spot.grid.centre_lng),
            "new": spot.measures.new,
            "overdue": spot.measures.overdue,
        }
        for spot in spots
        if spot.grid.centre_lat is not None and spot.grid.centre_lng is not None
    ]
    return built, {"points": points}


def _figure_param(request) -> str:
    figure = request.GET.get("figure") or "new"
    return figure if figure in selectors.FIGURES else "new"


def _service_param(request) -> int | None:
    value = request.GET.get("service", "")
    return int(value) if value.isdigit() else None


def _requests(request, page: Page):
    return selectors.requests_behind(
        scope=page.scope,
        filters=page.filters,
        figure=_figure_param(request),
        service_id=_service_param(request),
        now=timezone.now(),
    )


def _detail_link(service_request) -> str:
    return reverse("services:detail", args=[service_request.public_id])


class CountedPaginator(Paginator):
    """A paginator told its count: counting a year of requests row by row would take longer than
    the rest of the page; the summaries already know the number."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _request_tables(request, page: Page) -> tuple[list[tables.Table], dict]:
    paginator = CountedPaginator(
        _requests(request, page),
        50,
        count=selectors.figure_count(page.figures, _figure_param(request), _service_param(request)),
    )
    listed = paginator.get_page(request.GET.get("page"))
    return [tables.requests_table(listed, detail_link=_detail_link)], {"page_obj": listed}


def _participation_tables(request, page: Page) -> tuple[list[tables.Table], dict]:
    """Participation is about areas and their residents, which the dashboards show only to area
    overseers (a department officer's pages leave households and residents out too): anyone else
    is refused."""
    if not page.scope.paths:
        raise PermissionDenied
    area = Area.objects.get(pk=page.filters.area_id)
    figures = participation_figures(area=area, filters=page.filters)
    ranking = page.form.ranking()
    built = [
        participation_tables.participation_summary_table(figures.total),
        participation_tables.participation_areas_table(
            figures.children, row_link=lambda row: page.url("participation", area=row.area.pk)
        ),
        participation_tables.participation_communities_table(
            ranked(figures.communities, ranking), ranking_label=str(RANKINGS[ranking][0])
        ),
    ]
    extra = {
        "area": area,
        "trail": selectors.area_trail(area, page.root),
        "total": figures.total,
        "rate": tables.cell_text(figures.total.participation_rate, "share"),
    }
    return built, extra


def _project_link(project) -> str | None:
    try:
        return reverse("programme:project_detail", args=[project.public_id])
    except NoReverseMatch:
        return None


def _programme_tables(request, page: Page) -> tuple[list[tables.Table], dict]:
    """The construction projects and the assessment league, for area overseers only (as
    participation): a department officer follows their department's projects on the programme's own
    pages."""
    if not page.scope.paths:
        raise PermissionDenied
    area = Area.objects.get(pk=page.filters.area_id)
    filters = page.filters
    figures = programme_figures(user=request.user, area=area, start=filters.start, end=filters.end, today=local_today())

    def row_link(row) -> str | None:
        below = row.area.pk != area.pk and row.area.path.startswith(area.path)
        return page.url("programme", area=row.area.pk) if below else None

    built = [
        programme_tables.programme_areas_table(figures.by_area, row_link=row_link),
        programme_tables.programme_funding_table(figures.by_funding),
        programme_tables.programme_delayed_table(figures.delayed, project_link=_project_link),
        programme_tables.programme_league_table(figures.league),
    ]
    extra = {
        "area": area,
        "trail": selectors.area_trail(area, page.root),
        "total": figures.total,
        "share_spent": tables.cell_text(figures.total.share_spent, "share"),
        # In 万元 (ten thousand yuan), as budgets are spoken of, and short enough for a phone's tile.
        "budget_wan": f"{figures.total.budget / 10000:,.1f}",
        "delayed": len(figures.delayed),
        "league": figures.league,
    }
    return built, extra


PAGES = {
    "overview": (_overview_tables, "dashboards/overview.html", gettext_lazy("Dashboard")),
    "league": (_league_tables, "dashboards/league.html", gettext_lazy("League tables")),
    "hotspots": (_hot_spot_tables, "dashboards/hotspots.html", gettext_lazy("Hot spots")),
    "requests": (_request_tables, "dashboards/requests.html", gettext_lazy("Requests behind a figure")),
    "participation": (_participation_tables, "dashboards/participation.html", gettext_lazy("Participation")),
    "programme": (_programme_tables, "dashboards/programme.html", gettext_lazy("Smart-community programme")),
}
# Which page each exported table belongs to.
TABLE_PAGES = {
    "summary": "overview",
    "areas": "overview",
    "services": "overview",
    "series": "overview",
    "ratings": "overview",
    "departments": "league",
    "partners": "league",
    "social": "league",
    "hotspots-households": "hotspots",
    "hotspots-overdue": "hotspots",
    "requests": "requests",
    "participation-summary": "participation",
    "participation-areas": "participation",
    "participation-communities": "participation",
    "programme-areas": "programme",
    "programme-funding": "programme",
    "programme-delayed": "programme",
    "programme-league": "programme",
}


def _render(request, name: str):
    page = _page(request, selectors.dashboard_scope(request.user), name)
    build, template, title = PAGES[name]
    built, extra = build(request, page)
    context = {
        "page": page,
        "title": title,
        "tables": built,
        "charts": _charts(name, built),
        "state": summary_state(),
        "resolution_note": RESOLUTION_NOTE,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        **extra,
    }
    return render(request, template, context)


def _charts(name: str, built: list[tables.Table]) -> dict:
    by_slug = {table.slug: table for table in built}
    if name == "overview":
        return {
            "series": _chart(by_slug["series"], [1, 3], "line"),
            "services": _chart(by_slug["services"], [1]),
            "ratings": _chart(by_slug["ratings"], [1]),
        }
    if name == "league":
        return {slug: _chart(by_slug[slug], [5]) for slug in ("departments", "partners", "social")}
    if name == "participation":
        return {"areas": _chart(by_slug["participation-areas"], [participation_tables.AREAS_RATE_COLUMN])}
    if name == "programme":
        return {
            "areas": _chart(by_slug["programme-areas"], programme_tables.MONEY_CHART_COLUMNS),
            "funding": _chart(by_slug["programme-funding"], programme_tables.MONEY_CHART_COLUMNS),
            "league": _chart(by_slug["programme-league"], [programme_tables.LEAGUE_SCORE_COLUMN]),
        }
    return {}


@role_required(DASHBOARD_ROLES)
def overview(request):
    return _render(request, "overview")


@role_required(DASHBOARD_ROLES)
def league(request):
    return _render(request, "league")


@role_required(DASHBOARD_ROLES)
def hotspots(request):
    return _render(request, "hotspots")


@role_required(DASHBOARD_ROLES)
def request_list(request):
    return _render(request, "requests")


@role_required(DASHBOARD_ROLES)
def participation(request):
    return _render(request, "participation")


@role_required(DASHBOARD_ROLES)
def programme(request):
    return _render(request, "programme")


@role_required(DASHBOARD_ROLES)
@reauthentication_required
def export(request, table: str, file_format: str):
    if table not in TABLE_PAGES or file_format not in FORMATS:
        raise Http404
    page = _page(request, selectors.dashboard_scope(request.user), TABLE_PAGES[table])
    if table == "requests":
        rows = _requests(request, page)[:EXPORT_ROW_LIMIT]
        chosen = tables.requests_table(rows, detail_link=_detail_link)
    else:
        build = PAGES[TABLE_PAGES[table]][0]
        chosen = next(t for t in build(request, page)[0] if t.slug == table)
    filters = {key: value for key, value in request.GET.items() if key != "page"}
    export_record(actor=request.user, table=table, file_format=file_format, rows=len(chosen.rows), filters=filters)
    name = f"{table}-{page.filters.start:%Y%m%d}-{page.filters.end:%Y%m%d}"
    return table_response(chosen, file_format, name)


@role_required(SCORECARD_ROLES)
def scorecard(request):
    """A partner operator's own figures: their organisation's requests only."""
    page = _page(request, selectors.scorecard_scope(request.user), "scorecard")
    summary = tables.summary_table(page.figures)
    series = tables.series_table(selectors.series_rows(page.figures), page.filters.granularity)
    context = {
        "page": page,
        "title": _("Our scorecard"),
        "tables": [summary, series],
        "charts": {"series": _chart(series, [1, 3], "line")},
        "organisations": selectors.organisations_for(page.scope),
        "resolution_note": RESOLUTION_NOTE,
        "state": summary_state(),
    }
    return render(request, "dashboards/scorecard.html", context)


@role_required(DASHBOARD_ROLES)
def screen(request):
    """The command-centre screen (指挥中心大屏): big figures for today and the period, the grids
    most overdue; it reloads itself every minute."""
    return _screen(request, selectors.dashboard_scope(request.user))


def _screen(request, scope: Scope, display_link: DisplayLink | None = None):
    page = _page(request, scope, "screen")
    today = local_today()
    today_filters = Filters(start=today, end=today, area_id=page.filters.area_id, area_path=page.filters.area_path)
    today_figures = selectors.figures_for(scope=scope, filters=today_filters, groupings=("total",))
    spots = selectors.hot_spots(user=request.user, scope=scope, figures=page.figures)
    context = {
        "page": page,
        "today": today_figures.total,
        "total": page.figures.total,
        "worst": selectors.by_overdue_share(spots)[:8],
        "series": _chart(
            tables.series_table(selectors.series_rows(page.figures), page.filters.granularity), [1, 3], "line"
        ),
        "updated": timezone.localtime(),
        "resolution_note": RESOLUTION_NOTE,
        "display_link": display_link,
    }
    return render(request, "dashboards/screen.html", context)


def display_screen(request, token: str):
    """The screen on a wall display, through a read-only link: no session, the link's area only."""
    try:
        link = display_links.display_link_open(token=token)
    except display_links.DisplayLinkRefused as refused:
        status = 404 if refused.reason == "invalid" else 403
        return render(request, "dashboards/display_link_refused.html", {"reason": refused.reason}, status=status)
    return _screen(request, Scope(paths=(link.area.path,)), display_link=link)


class DisplayLinkForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, help_text=gettext_lazy("E.g. where it hangs."))
    area = forms.ModelChoiceField(label=gettext_lazy("Area"), queryset=Area.objects.none())
    valid_days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"),
        required=False,
        min_value=1,
        max_value=display_links.MAX_DAYS,
        help_text=gettext_lazy("Leave empty to keep it until it is revoked."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = display_links.display_link_areas(user=user)


@role_required(OVERSIGHT_ROLES)
def display_link_list(request):
    """The display links of the user's areas, and a form to make one."""
    form = DisplayLinkForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            link = display_links.display_link_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                area=form.cleaned_data["area"],
                valid_days=form.cleaned_data["valid_days"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Display link “%(name)s” made.") % {"name": link.name})
            return redirect("dashboards:display_links")
    links = [
        (link, request.build_absolute_uri(reverse("dashboards:display", args=[display_links.display_link_token(link)])))
        for link in display_links.display_links_for_user(user=request.user)
    ]
    return render(request, "dashboards/display_links.html", {"form": form, "links": links, "now": timezone.now()})


@require_POST
@role_required(OVERSIGHT_ROLES)
def display_link_revoke(request, public_id):
    try:
        link = display_links.display_link_get_for_user(user=request.user, public_id=public_id)
    except DisplayLink.DoesNotExist:
        raise Http404 from None
    display_links.display_link_revoke(actor=request.user, link=link)
    messages.success(request, _("Display link “%(name)s” revoked.") % {"name": link.name})
    return redirect("dashboards:display_links")
