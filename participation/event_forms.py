"""Forms of the meetings and events pages: they parse what was typed; `participation.events`
decides whether it is acceptable, so every error comes back at once."""

from django import forms
from django.utils.translation import gettext_lazy as _

from participation.models import EventKind

_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class _DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=_DATETIME_LOCAL, **kwargs)


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices, initial=EventKind.ACTIVITY)
    title = forms.CharField(label=_("Title"), required=False, widget=forms.TextInput(attrs={"maxlength": 120}))
    description = forms.CharField(
        label=_("What it is about"), required=False, widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000})
    )
    starts_at = forms.DateTimeField(label=_("Starts"), required=False, widget=_DateTimeLocalInput())
    ends_at = forms.DateTimeField(label=_("Ends"), required=False, widget=_DateTimeLocalInput())
    place = forms.CharField(label=_("Place"), required=False, widget=forms.TextInput(attrs={"maxlength": 200}))
    capacity = forms.IntegerField(
        label=_("Places"),
        required=False,
        min_value=-(10**6),
        max_value=10**6,
        help_text=_("Beyond this number, residents join a waiting list."),
    )
    area = forms.TypedChoiceField(label=_("For residents of"), coerce=int, empty_value=None)
    organiser = forms.TypedChoiceField(label=_("Organiser (optional)"), coerce=int, empty_value=None, required=False)

    def __init__(self, *args, areas, organisers, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {area.pk: area for area in areas}
        self.organisers = {organisation.pk: organisation for organisation in organisers}
        self.fields["area"].choices = [("", "—")] + [
            (area.pk, f"{area.name} ({area.get_kind_display()})") for area in self.areas.values()
        ]
        self.fields["organiser"].choices = [("", "—")] + [
            (organisation.pk, organisation.name) for organisation in self.organisers.values()
        ]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "description": data["description"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "place": data["place"],
            "capacity": data["capacity"],
            "area": self.areas.get(data["area"]),
            "organiser": self.organisers.get(data["organiser"]) if data["organiser"] else None,
        }


class EventCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled? (everyone signed up is told)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Check-in code"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": 8}),
    )


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes (what was discussed)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "maxlength": 20000}),
    )
    outcomes = forms.CharField(
        label=_("Outcomes (what was decided or done)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000}),
    )
    proposals = forms.ModelMultipleChoiceField(
        label=_("Residents' proposals discussed"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Proposals of communities within the event's area; each proposal's page lists this meeting."),
    )

    def __init__(self, *args, proposals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposals"].queryset = proposals
        self.fields["proposals"].label_from_instance = lambda proposal: f"{proposal.title}（{proposal.community.name}）"
