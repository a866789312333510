"""The forms of the indicator system's and the assessment rounds' pages. They check the shape of
what is typed; the services (programme.assessment) check the rest and name the field at fault."""

from django import forms
from django.utils.translation import gettext_lazy as _

from programme.models import Indicator, IndicatorGroup


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class IndicatorForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Letters, digits, hyphens or underscores."))
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100, required=False)
    group = forms.ChoiceField(label=_("Group"), choices=IndicatorGroup.choices)
    weight = forms.IntegerField(label=_("Weight (%)"), min_value=0, max_value=100)
    target = forms.DecimalField(label=_("Target"), min_value=0, max_digits=12, decimal_places=4)
    direction = forms.ChoiceField(label=_("Direction"), choices=Indicator.Direction.choices)
    source = forms.ChoiceField(label=_("Source"), choices=Indicator.Source.choices)
    computation = forms.ChoiceField(
        label=_("Computation"), required=False, help_text=_("For an indicator computed from the portal's data.")
    )
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)

    def __init__(self, *args, computations: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["computation"].choices = [("", "—"), *computations]

    def clean(self):
        data = super().clean()
        if data.get("source") == Indicator.Source.COMPUTED and not data.get("computation"):
            self.add_error("computation", _("Choose the computation of a computed indicator."))
        return data


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("For example: 2026 first half-year."))
    period_start = forms.DateField(label=_("Period from"), widget=_date_input())
    period_end = forms.DateField(label=_("Period to"), widget=_date_input())
    report_due = forms.DateField(label=_("Reports due by"), widget=_date_input())


class ReportForm(forms.Form):
    indicator = forms.IntegerField(widget=forms.HiddenInput)
    value = forms.DecimalField(label=_("Value"), min_value=0, max_digits=14, decimal_places=4)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(
        label=_("Evidence (photo or PDF)"),
        required=False,
        help_text=_("Required the first time; leave empty to keep the evidence already sent."),
    )


class CheckForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when rejecting."),
    )


class AppealForm(forms.Form):
    grounds = forms.CharField(label=_("Grounds of appeal"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(label=_("New evidence (photo or PDF)"))
