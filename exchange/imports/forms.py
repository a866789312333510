"""The upload form: which dataset, which file. `exchange.imports.services` decides whether the
file and the person are acceptable."""

from django import forms
from django.utils.translation import gettext_lazy as _

from exchange.models import PayloadFormat


class ImportUploadForm(forms.Form):
    target = forms.TypedChoiceField(label=_("Dataset"), coerce=int)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV with a header row, or JSON Lines (one object a line). Columns: household_code, address, "
            "grid_code, full_name, id_card_number, phone, is_elderly, lives_alone (or their Chinese names)."
        ),
    )
    file_format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("From the file name"))] + list(PayloadFormat.choices),
    )

    def __init__(self, *args, targets, **kwargs):
        """`targets`: the (dataset, department) pairs the officer may import, from the selector."""
        super().__init__(*args, **kwargs)
        self.targets = {dataset.pk: (dataset, organisation) for dataset, organisation in targets}
        self.fields["target"].choices = [
            (pk, f"{dataset.name} — {organisation.name}") for pk, (dataset, organisation) in self.targets.items()
        ]
        # With one choice the field is hidden and the page names the dataset instead.
        self.single_target = next(iter(self.targets.values())) if len(self.targets) == 1 else None
        if self.single_target is not None:
            self.fields["target"].widget = forms.HiddenInput()
            self.fields["target"].initial = next(iter(self.targets))

    def add_service_errors(self, messages: list[str]) -> None:
        for message in messages:
            self.add_error("file", message)
