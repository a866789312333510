"""Forms parse what a person typed; `participation.notices` decides whether it is acceptable."""

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Area
from participation.models import NoticeAudience, NoticeCategory, NoticeStatus

ATTACHMENT_TYPES = "image/jpeg,image/png,image/webp,application/pdf"
_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=_DATETIME_LOCAL, **kwargs)


class NoticeForm(forms.Form):
    # Required-ness and limits are the service's to check, so every error comes back at once.
    area = forms.TypedChoiceField(label=_("Who is it for (area)"), coerce=int, empty_value=None)
    title = forms.CharField(label=_("Title"), required=False, widget=forms.TextInput(attrs={"maxlength": 120}))
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": 5000}),
        help_text=_("At most 5,000 characters."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=NoticeCategory.choices)
    audience = forms.ChoiceField(
        label=_("Audience"), choices=NoticeAudience.choices, initial=NoticeAudience.EVERYONE, widget=forms.RadioSelect
    )
    is_urgent = forms.BooleanField(
        label=_("Urgent (shown first; sent by SMS to residents who have not opted out)"), required=False
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("Leave empty to publish as soon as it is sent."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at (optional)"),
        required=False,
        widget=DateTimeLocalInput(),
        help_text=_("After this time residents no longer see the notice."),
    )
    attachment = forms.FileField(
        label=_("Attachment (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_TYPES}),
        help_text=_("One photo (JPEG, PNG, WebP) or PDF file."),
    )
    remove_attachment = forms.BooleanField(label=_("Remove the current attachment"), required=False)

    def __init__(self, *args, areas: list[tuple[Area, bool]], **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {area.pk: area for area, _needs_approval in areas}
        self.fields["area"].choices = [("", _("— choose —"))] + [
            (area.pk, f"{area.get_kind_display()} · {area.name}" + (f" ({_('needs approval')})" if needs else ""))
            for area, needs in areas
        ]

    def chosen_area(self) -> Area | None:
        return self.areas.get(self.cleaned_data.get("area"))

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "area": self.chosen_area(),
            "title": data["title"],
            "body": data["body"],
            "category": data["category"],
            "audience": data["audience"],
            "is_urgent": data["is_urgent"],
            "publish_at": data["publish_at"],
            "expires_at": data["expires_at"],
            "attachment": data["attachment"] or None,
        }


class ReasonForm(forms.Form):
    """A refusal's or a withdrawal's reason: the service decides whether it is given."""

    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000})
    )


class NoticeFilterForm(forms.Form):
    """The notices page's filter by community. Anything else is a clear error."""

    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Area.objects.filter(kind=Area.Kind.COMMUNITY).order_by("path"),
        required=False,
        empty_label=_("My area"),
    )


class ManageFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *NoticeStatus.choices], required=False)
