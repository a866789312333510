from django import forms
from django.utils.translation import gettext_lazy as _

from workforce.models import Education, LevelRules, Post, Qualification, Skill
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


class ProfileForm(forms.Form):
    """A worker's profile as a manager writes it; the service checks the band and the rest."""

    post = forms.ChoiceField(label=_("Post"), choices=Post.choices)
    level = forms.IntegerField(label=_("Level"), min_value=1, max_value=18)
    date_joined = forms.DateField(label=_("Date joined"), widget=forms.DateInput(attrs={"type": "date"}))
    education = forms.ChoiceField(label=_("Education"), choices=Education.choices)
    qualification = forms.ChoiceField(
        label=_("Professional qualification"), choices=Qualification.choices, required=False
    )
    skills = forms.MultipleChoiceField(
        label=_("Skills"), choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.CharField(label=_("Languages and dialects"), max_length=200, required=False)
    work_phone = forms.CharField(label=_("Work phone (residents see it)"), max_length=20, required=False)
    personal_phone = forms.CharField(
        label=_("Personal phone"), max_length=20, required=False, help_text=_("Leave empty to keep the one on file.")
    )
    is_head = forms.BooleanField(label=_("Heads the community"), required=False)

    def __init__(self, *args, worker=None, may_set_head=False, **kwargs):
        super().__init__(*args, **kwargs)
        if worker is not None:
            self.fields["worker"] = forms.ModelChoiceField(
                label=_("Worker"), queryset=worker, empty_label=_("Choose a worker")
            )
            self.order_fields(["worker"])
        if not may_set_head:
            del self.fields["is_head"]
