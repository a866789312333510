"""The forms of the visit pages: they parse what was typed; workforce.visits decides."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from services.forms import ATTRIBUTE_PREFIX, RequestForm
from workforce.models_visits import Visit
from workforce.visits import DAYS_RANGE, NEEDS_MAX, OLD_AGE_RANGE


class VisitForm(forms.Form):
    visited_on = forms.DateField(
        label=_("Date of the visit"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    mode = forms.ChoiceField(label=_("In person or by phone"), choices=Visit.Mode.choices, widget=forms.RadioSelect)
    condition = forms.ChoiceField(
        label=_("How is the resident?"), choices=Visit.Condition.choices, widget=forms.RadioSelect
    )
    needs = forms.CharField(
        label=_("Needs (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": NEEDS_MAX}),
        help_text=_("What the resident needs, in your words. Kept encrypted. At most 1,000 characters."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["visited_on"].initial = today
        self.fields["visited_on"].widget.attrs["max"] = today.isoformat()
        self.fields["mode"].initial = Visit.Mode.IN_PERSON


class VisitRequestForm(RequestForm):
    """The services app's request form, keeping only what a visit does not already say: the
    description and the service's own questions. Where, who and how come from the visit."""

    KEPT = ("description", "submission_key")

    def __init__(self, *args, service, **kwargs):
        super().__init__(*args, service=service, grids=[], on_behalf=False, **kwargs)
        for name in list(self.fields):
            if name not in self.KEPT and not name.startswith(ATTRIBUTE_PREFIX):
                del self.fields[name]


class VisitRulesForm(forms.Form):
    old_age = forms.IntegerField(
        label=_("Age from which a resident living alone counts as very old"),
        min_value=OLD_AGE_RANGE[0],
        max_value=OLD_AGE_RANGE[1],
    )
    days_alone_old = forms.IntegerField(
        label=_("Days between visits: living alone and very old"), min_value=DAYS_RANGE[0], max_value=DAYS_RANGE[1]
    )
    days_alone = forms.IntegerField(
        label=_("Days between visits: living alone"), min_value=DAYS_RANGE[0], max_value=DAYS_RANGE[1]
    )
    days_other = forms.IntegerField(
        label=_("Days between visits: other elderly residents"), min_value=DAYS_RANGE[0], max_value=DAYS_RANGE[1]
    )
