from django import forms
from django.utils.translation import gettext_lazy as _


class PreferenceForm(forms.Form):
    """The fields of the preferences page; the service checks the number and how they fit together."""

    email = forms.BooleanField(label=_("E-mail"), required=False)
    sms = forms.BooleanField(label=_("Text messages"), required=False)
    sms_phone = forms.CharField(
        label=_("Mobile number for text messages"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    urgent_notice_sms = forms.BooleanField(label=_("Urgent notices by text message"), required=False)


class AreaFollowForm(forms.Form):
    """Which community or grid to follow; the service checks it is one."""

    area = forms.TypedChoiceField(label=_("Community or grid"), coerce=int)

    def __init__(self, *args, area_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("Choose…")), *area_choices]


class AreaAlertSettingForm(forms.Form):
    mode = forms.ChoiceField(label=_("How often"), widget=forms.RadioSelect)
    follows_own_grid = forms.BooleanField(label=_("Follow my own grid"), required=False)
    service_codes = forms.MultipleChoiceField(
        label=_("Service categories of requests"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none to hear of requests of every category. Notices are not filtered."),
    )

    def __init__(self, *args, service_choices=(), **kwargs):
        from notifications.models import AlertMode

        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = AlertMode.choices
        self.fields["service_codes"].choices = list(service_choices)
