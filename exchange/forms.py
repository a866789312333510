"""Forms parse what an officer typed; `exchange.services` decides whether it is acceptable."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Area
from exchange.models import Dataset, Delivery, Frequency, PayloadFormat


class AgreementForm(forms.Form):
    consumer = forms.TypedChoiceField(label=_("Receiving department"), coerce=int)
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the data will be used for, e.g. “home visits to elderly people living alone”."),
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The law, regulation or decision that allows this sharing."),
    )
    fields = forms.MultipleChoiceField(label=_("Fields asked for"), widget=forms.CheckboxSelectMultiple)
    masked_fields = forms.MultipleChoiceField(
        label=_("Send masked"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Ask for the masked form wherever the full value is not needed."),
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas"), queryset=Area.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices)
    payload_format = forms.ChoiceField(label=_("Format"), choices=PayloadFormat.choices)
    delivery = forms.ChoiceField(label=_("Delivery"), choices=Delivery.choices)
    push_url = forms.CharField(
        label=_("Push endpoint"), max_length=500, required=False, help_text=_("Only for pushed delivery: https://…")
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, dataset: Dataset, consumers, **kwargs):
        super().__init__(*args, **kwargs)
        self.consumers = {organisation.pk: organisation for organisation in consumers}
        self.fields["consumer"].choices = [(pk, o.name) for pk, o in self.consumers.items()]
        if len(self.consumers) == 1:
            # An officer of one department asks for it; nothing to choose.
            self.fields["consumer"].widget = forms.HiddenInput()
            self.fields["consumer"].initial = next(iter(self.consumers))
            self.fields["consumer"].required = False
        dataset_fields = list(dataset.fields.all())
        self.fields["fields"].choices = [(f.code, f"{f.name} ({f.get_sensitivity_display()})") for f in dataset_fields]
        self.fields["masked_fields"].choices = [(f.code, f.name) for f in dataset_fields if f.maskable]
        provider_area = dataset.provider.area
        self.fields["areas"].queryset = Area.objects.filter(
            path__startswith=provider_area.path,
            kind__in=[Area.Kind.DISTRICT, Area.Kind.SUBDISTRICT, Area.Kind.COMMUNITY],
        ).order_by("path")
        today = timezone.localdate()
        self.fields["valid_from"].initial = today
        self.fields["valid_to"].initial = today + timedelta(days=365)

    def clean_consumer(self):
        value = self.cleaned_data.get("consumer")
        if value in (None, "") and len(self.consumers) == 1:
            return next(iter(self.consumers))
        if value not in self.consumers:
            raise forms.ValidationError(_("Choose your department."))
        return value

    def moment(self, name: str, *, end: bool = False) -> datetime:
        """A date as the start of that day (local time); the end date counts whole."""
        day = self.cleaned_data[name] + (timedelta(days=1) if end else timedelta(0))
        return timezone.make_aware(datetime.combine(day, time.min))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
