from django import forms
from django.utils.translation import gettext_lazy as _

from residents.models import CorrectionRequest, RevealPurpose
from residents.services import PURPOSE_NOTE_MAX


class RevealForm(forms.Form):
    """Why a member of staff needs a resident's full ID-card number and phone."""

    purpose = forms.ChoiceField(
        label=_("Why do you need them?"), choices=[("", "—")] + list(RevealPurpose.choices), required=False
    )
    purpose_note = forms.CharField(
        label=_("Details (required for “Other”)"), max_length=PURPOSE_NOTE_MAX, required=False
    )

    def arguments(self) -> dict:
        """The service's arguments, valid or not: the service checks them and says what is wrong."""
        return {
            "purpose": str(self.data.get("purpose", "")),
            "purpose_note": str(self.data.get("purpose_note", ""))[: PURPOSE_NOTE_MAX + 1],
        }


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("What is wrong?"), choices=[("", "—")] + list(CorrectionRequest.Field.choices))
    explanation = forms.CharField(label=_("What is wrong with it?"), widget=forms.Textarea(attrs={"rows": 3}))
    proposed_value = forms.CharField(
        label=_("What should it be?"),
        required=False,
        help_text=_("Not needed for yes/no questions such as “lives alone”."),
    )


class CorrectionDecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (required when not correcting)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AccountDeleteForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False, widget=forms.PasswordInput)
    confirm = forms.BooleanField(label=_("I understand that my account cannot be restored."))


class VerificationCodeForm(forms.Form):
    household_code = forms.CharField(label=_("Household number (户编号)"), max_length=64, required=False)
    id_number = forms.CharField(
        label=_("Your ID-card number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class VerificationInPersonForm(forms.Form):
    community = forms.TypedChoiceField(label=_("Your community"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(
        label=_("Note for the community office (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", "—"), *((c.pk, c.name) for c in communities)]


class GridChoiceMixin:
    """A form with a `grid` field offering only `grids` (those the staff member may register in);
    chosen_grid() is the grid chosen, or None for anything else sent."""

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.grids = list(grids)
        self.fields["grid"].choices = [("", "—"), *((grid.pk, grid.name) for grid in self.grids)]
        # One grid to choose from: it is the answer.
        if len(self.grids) == 1:
            self.fields["grid"].initial = self.grids[0].pk

    def chosen_grid(self):
        return next((grid for grid in self.grids if grid.pk == self.cleaned_data.get("grid")), None)


class VerificationDecisionForm(GridChoiceMixin, forms.Form):
    """Approve with the ID-card number checked at the desk (finds the register entry), register a
    person not yet in the register (in an existing household, or in a new one), or refuse with a
    reason. `grids` are those the staff member may register a new household in."""

    id_number = forms.CharField(label=_("ID-card number checked"), max_length=32, required=False)
    full_name = forms.CharField(label=_("Full name (new resident)"), max_length=100, required=False)
    phone = forms.CharField(label=_("Mobile number (new resident, optional)"), max_length=20, required=False)
    household_code = forms.CharField(
        label=_("Household number (to register a new resident in an existing household)"), max_length=64, required=False
    )
    address = forms.CharField(label=_("Address of the new household"), max_length=255, required=False)
    grid = forms.TypedChoiceField(label=_("Grid of the new household"), coerce=int, required=False, empty_value=None)
    new_household_code = forms.CharField(
        label=_("Household number of the new household (optional)"), max_length=64, required=False
    )
    reason = forms.CharField(
        label=_("Reason (required when refusing)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- the register, kept by the grid's staff ------------------------------------------------------
ELDERLY_CHOICES = [
    ("", _("From the date of birth (60 or over)")),
    ("yes", _("Yes")),
    ("no", _("No")),
]


class ResidentForm(forms.Form):
    """A person moving in or born into a household. The service validates the numbers."""

    full_name = forms.CharField(label=_("Full name"), max_length=100, required=False)
    id_card_number = forms.CharField(
        label=_("ID-card number"),
        max_length=32,
        required=False,
        help_text=_("The year and month of birth are read from it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    birth_year = forms.IntegerField(label=_("Year of birth (only without an ID-card number)"), required=False)
    birth_month = forms.IntegerField(label=_("Month of birth (1–12)"), required=False)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    elderly = forms.ChoiceField(label=_("Elderly"), choices=ELDERLY_CHOICES, required=False)
    lives_alone = forms.BooleanField(label=_("Lives alone"), required=False)

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "full_name": data["full_name"],
            "id_card_number": data["id_card_number"],
            "birth_year": data["birth_year"],
            "birth_month": data["birth_month"],
            "phone": data["phone"],
            "is_elderly": {"yes": True, "no": False}.get(data["elderly"]),
            "lives_alone": data["lives_alone"],
        }


class MoveInForm(GridChoiceMixin, ResidentForm):
    """A household that moved in, with its first resident."""

    grid = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False, empty_value=None)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    household_code = forms.CharField(label=_("Household number (optional)"), max_length=64, required=False)

    field_order = ["grid", "address", "household_code"]


class ResidentEditForm(forms.Form):
    """Staff change a resident's record; an empty number keeps the one registered."""

    full_name = forms.CharField(label=_("Full name"), max_length=100, required=False)
    id_card_number = forms.CharField(
        label=_("New ID-card number (empty: keep it)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    birth_year = forms.IntegerField(label=_("Year of birth (only without an ID-card number)"), required=False)
    birth_month = forms.IntegerField(label=_("Month of birth (1–12)"), required=False)
    phone = forms.CharField(label=_("New mobile number (empty: keep it)"), max_length=20, required=False)
    is_elderly = forms.BooleanField(label=_("Elderly (60 or over)"), required=False)
    lives_alone = forms.BooleanField(label=_("Lives alone"), required=False)

    @classmethod
    def for_profile(cls, profile, data=None):
        initial = {
            "full_name": profile.full_name,
            "birth_year": profile.birth_year,
            "birth_month": profile.birth_month,
            "is_elderly": profile.is_elderly,
            "lives_alone": profile.lives_alone,
        }
        return cls(data, initial=initial)


class RegisterDateForm(forms.Form):
    """The date someone moved out or died."""

    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
