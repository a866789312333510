"""Forms of the volunteering and points pages. They parse; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Area, Organisation


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class VolunteerActivityForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    area = AreaChoiceField(label=_("For residents of"), queryset=Area.objects.none(), empty_label=None)
    place = forms.CharField(label=_("Place"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    slots = forms.IntegerField(label=_("Places"), min_value=1, max_value=1000)
    points_per_hour = forms.IntegerField(label=_("Points per hour"), min_value=0, max_value=1000, initial=10)
    description = forms.CharField(label=_("Details"), max_length=3000, required=False, widget=forms.Textarea)
    organiser = forms.ModelChoiceField(
        label=_("Organiser (optional)"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, areas=None, organisers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas if areas is not None else Area.objects.none()
        self.fields["organiser"].queryset = organisers if organisers is not None else Organisation.objects.none()


class HoursForm(forms.Form):
    # Text, not a number field: the service explains a bad value ("more than 0", "at most …").
    hours = forms.CharField(label=_("Hours served"), max_length=10)


class AdjustForm(forms.Form):
    amount = forms.IntegerField(label=_("Points to add (negative to take away)"), min_value=-10_000, max_value=10_000)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class RedemptionItemForm(forms.Form):
    name = forms.CharField(label=_("Item"), max_length=100)
    points_cost = forms.IntegerField(label=_("Points"), min_value=1, max_value=100_000)
    stock = forms.IntegerField(label=_("In stock"), min_value=0, max_value=100_000)
    description = forms.CharField(label=_("Details"), max_length=500, required=False)


class RedemptionItemCreateForm(RedemptionItemForm):
    community = AreaChoiceField(label=_("Community"), queryset=Area.objects.none(), empty_label=None)

    field_order = ["community", "name", "points_cost", "stock", "description"]

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities if communities is not None else Area.objects.none()


class RedemptionItemUpdateForm(RedemptionItemForm):
    is_active = forms.BooleanField(label=_("Offered to residents"), required=False)


class PickupForm(forms.Form):
    pickup_code = forms.CharField(label=_("Pickup code"), max_length=12)


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
