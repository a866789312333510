"""Forms parse what a partner operator or department officer typed; `security.api_keys` decides
whether it is acceptable."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from security.api_keys import allowed_scopes
from security.models import ApiScope

DEFAULT_KEY_LIFETIME = timedelta(days=90)


class ApiKeyForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    name = forms.CharField(
        label=pgettext_lazy("API key", "Name"),
        max_length=100,
        required=False,
        help_text=_("Which system will use it, e.g. “repair dispatch system”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Permissions"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("At most one year from today. Make a new key before this one expires."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {organisation.pk: organisation for organisation in organisations}
        self.fields["organisation"].choices = [(pk, o.name) for pk, o in self.organisations.items()]
        # Offer only the scopes the user's kinds of organisation may hold (partners: the partner
        # API; departments: the data exchange).
        offered = {scope for o in self.organisations.values() for scope in allowed_scopes(o)}
        self.fields["scopes"].choices = [(value, label) for value, label in ApiScope.choices if value in offered]
        if len(self.organisations) == 1:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = next(iter(self.organisations))
        self.fields["expires_on"].initial = timezone.localdate() + DEFAULT_KEY_LIFETIME

    def expires_at(self) -> datetime:
        """The key stops working as the chosen day begins (local time)."""
        return timezone.make_aware(datetime.combine(self.cleaned_data["expires_on"], time.min))
