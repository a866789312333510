"""The filters every dashboard page takes from its query string: period, service group, area and
organisation. Bad values get a message and the page falls back to the defaults."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from dashboards.figures import Filters
from dashboards.participation import DEFAULT_RANKING, RANKINGS
from dashboards.services import local_today
from directory.models import Area, Organisation

PERIODS = {
    "7d": (_("Last 7 days"), 7),
    "30d": (_("Last 30 days"), 30),
    "90d": (_("Last 90 days"), 90),
    "1y": (_("Last 12 months"), 365),
    "2y": (_("Last 2 years"), 730),
}
DEFAULT_PERIOD = "30d"
# The longest custom period: the summaries reach back as far as the requests, but a page about
# more than two years says little that the yearly view does not.
MAX_DAYS = 3 * 366


# The yearly periods start on the first of a month, so their monthly series has whole months and
# they read the monthly summary alone.
WHOLE_MONTHS = {"1y": 12, "2y": 24}


def period_start(period: str, today: date) -> date:
    if period in WHOLE_MONTHS:
        months = today.year * 12 + today.month - 1 - (WHOLE_MONTHS[period] - 1)
        return date(months // 12, months % 12 + 1, 1)
    return today - timedelta(days=PERIODS[period][1] - 1)


class PlainSelect(forms.Select):
    """A <select> written in Python, its texts escaped with the standard library's html.escape
    (what Django's escape calls). Django's rendering, two included templates per option, took
    some 4 ms of every page for the sixty-odd organisations; this takes a tenth. The same
    elements and attributes; no option groups (the filters have none)."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = "".join(
            f'<option value="{escape(str(option["value"]))}"{" selected" if option["selected"] else ""}>'
            f"{escape(str(option['label']))}</option>"
            for _group, group_options, _index in widget["optgroups"]
            for option in group_options
        )
        return mark_safe(  # noqa: S308 - every value escaped above
            f'<select name="{escape(widget["name"])}"{flatatt(widget["attrs"])}>{options}</select>'
        )


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[(key, label) for key, (label, _days) in PERIODS.items()] + [("custom", _("Dates below"))],
        # Shown selected on a page opened without filters, which shows this period's figures.
        initial=DEFAULT_PERIOD,
        widget=PlainSelect,
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    group = forms.ChoiceField(label=_("Service group"), required=False, widget=PlainSelect)
    organisation = forms.TypedChoiceField(
        label=_("Organisation"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    area = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, groups: list[str], organisations: list[Organisation], root: Area, covers):
        super().__init__(data)
        self.root = root
        self.covers = covers
        self.fields["group"].choices = [("", _("All groups"))] + [(group, group) for group in groups]
        self.fields["organisation"].choices = [("", _("All organisations"))] + [
            (organisation.pk, organisation.name) for organisation in organisations
        ]

    def clean_area(self) -> Area:
        pk = self.cleaned_data.get("area")
        if pk is None:
            return self.root
        area = Area.objects.filter(pk=pk).first()
        if area is None or not self.covers(area):
            raise forms.ValidationError(_("That area is not one you oversee."))
        return area

    def clean(self):
        data = super().clean()
        today = local_today()
        period = data.get("period") or DEFAULT_PERIOD
        if period == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError(_("Choose both dates, or one of the periods."))
            if end > today:
                self.add_error("end", _("The period cannot end after today."))
            elif start > end:
                self.add_error("start", _("The start must not be after the end."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("start", _("Choose a period of at most three years."))
        else:
            data["start"], data["end"] = period_start(period, today), today
        data["period"] = period
        return data

    def full_clean(self):
        super().full_clean()
        # The chooser shows the period the figures cover. A form bound without a period (a drill-down
        # link: an area alone) or with filters that were not valid shows the default's figures, so it
        # shows the default chosen: a <select> with nothing selected reads as its first option.
        if self.is_bound and (self._errors or not self.data.get("period")):
            data = self.data.copy()
            data["period"] = DEFAULT_PERIOD
            self.data = data

    def filters(self) -> Filters:
        """The chosen filters, or the defaults for whatever was not valid."""
        data = self.cleaned_data if self.is_valid() else {}
        area = data.get("area") or self.root
        today = local_today()
        start: date = data.get("start") or period_start(DEFAULT_PERIOD, today)
        end: date = data.get("end") or today
        return Filters(
            start=start,
            end=end,
            area_id=area.pk,
            area_path=area.path,
            service_group=data.get("group") or "",
            organisation_id=data.get("organisation"),
        )


class ParticipationFilterForm(DashboardFilterForm):
    """The same period and area as every dashboard page, without the request filters (service
    group, organisation), and with what the communities are ranked by. Participation is counted per
    community and above: a grid is refused with a message."""

    rank = forms.ChoiceField(label=_("Rank communities by"), required=False, widget=PlainSelect)

    def __init__(self, data, *, root: Area, covers):
        super().__init__(data, groups=[], organisations=[], root=root, covers=covers)
        del self.fields["group"], self.fields["organisation"]
        self.fields["rank"].choices = [(key, label) for key, (label, _value) in RANKINGS.items()]
        self.fields["rank"].initial = DEFAULT_RANKING

    def clean_area(self) -> Area:
        area = super().clean_area()
        if area.kind == Area.Kind.GRID:
            raise forms.ValidationError(
                _(
                    "Participation is counted per community and above: "
                    "choose a community, a subdistrict or the district."
                )
            )
        return area

    def full_clean(self):
        super().full_clean()
        # As the period: with filters that were not valid the communities are ranked by the default,
        # and the chooser says so.
        if self.is_bound and self._errors:
            self.data["rank"] = DEFAULT_RANKING

    def ranking(self) -> str:
        """The chosen ranking, or the default when any filter was not valid (as for the filters)."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("rank") or DEFAULT_RANKING


class ProgrammeFilterForm(DashboardFilterForm):
    """The same period and area as every dashboard page, without the request filters (service group,
    organisation). Projects cover communities: a grid is refused with a message."""

    def __init__(self, data, *, root: Area, covers):
        super().__init__(data, groups=[], organisations=[], root=root, covers=covers)
        del self.fields["group"], self.fields["organisation"]

    def clean_area(self) -> Area:
        area = super().clean_area()
        if area.kind == Area.Kind.GRID:
            raise forms.ValidationError(
                _("Projects cover communities: choose a community, a subdistrict or the district.")
            )
        return area
