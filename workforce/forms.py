from django import forms
from django.utils.translation import gettext_lazy as _

from workforce.models import LevelRules
from workforce.services import REASON_MAX, RULE_FIELDS, STEP_MAX, YEARS_PER_STEP_MAX


class ConfirmForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the level changes"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class HandoverForm(forms.Form):
    successor = forms.ModelChoiceField(label=_("Successor"), queryset=None, empty_label=_("Choose a worker"))

    def __init__(self, *args, successors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor"].queryset = successors


class LevelRulesForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in RULE_FIELDS:
            low, high = (1, YEARS_PER_STEP_MAX) if name == "years_per_step" else (0, STEP_MAX)
            self.fields[name] = forms.IntegerField(
                label=LevelRules._meta.get_field(name).verbose_name, min_value=low, max_value=high
            )
