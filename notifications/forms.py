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
