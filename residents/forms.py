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
