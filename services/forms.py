"""Forms parse what a person typed; `services.services` decides whether it is acceptable."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Area, Organisation
from services.models import Channel, RequestStatus, Service, ServiceAttribute

ATTRIBUTE_PREFIX = "attr_"
PHOTO_TYPES = "image/jpeg,image/png,image/webp"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several files in one field; whether each is a real photo is `services.photos`' to decide."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": PHOTO_TYPES}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultiplePhotoField, self).clean(item, initial) for item in files]


class RequestForm(forms.Form):
    # Required-ness and limits are the service's to check, so every error comes back at once.
    description = forms.CharField(
        label=_("What is wrong?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 4000}),
        help_text=_("Say what, where exactly, and since when. At most 4,000 characters."),
    )
    grid = forms.TypedChoiceField(label=_("Where?"), coerce=int, required=False, empty_value=None)
    address = forms.CharField(label=_("Address or landmark"), max_length=255, required=False)
    lat = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=9, decimal_places=6)
    lng = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=9, decimal_places=6)
    photos = MultiplePhotoField(label=_("Photos (optional)"), help_text=_("Up to 6 photos, 10 MB each."))
    # Private unless the resident chooses otherwise (issue 16): a box ticked for them is not a choice.
    is_public = forms.BooleanField(
        label=_("Neighbours may see this request (never your name or phone)"), required=False, initial=False
    )
    submission_key = forms.CharField(widget=forms.HiddenInput)
    # Set once the resident has seen similar requests nearby and still wants to file their own.
    confirm_new = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, service: Service, grids: list, on_behalf: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.fields["grid"].choices = [("", _("— choose your community and grid —")), *grids]
        self.fields["submission_key"].initial = uuid.uuid4().hex
        for attribute in service.attributes.all():
            if attribute.variable:
                self.fields[ATTRIBUTE_PREFIX + attribute.code] = _attribute_field(attribute)
        if on_behalf:
            self.fields["channel"] = forms.ChoiceField(
                label=_("How did the resident reach you?"),
                choices=[(Channel.PHONE, Channel.PHONE.label), (Channel.WALK_IN, Channel.WALK_IN.label)],
            )
            self.fields["contact_name"] = forms.CharField(label=_("Resident's name"), max_length=100)
            self.fields["contact_phone"] = forms.CharField(
                label=_("Resident's mobile number"), max_length=20, required=False
            )

    def attribute_fields(self):
        return [self[name] for name in self.fields if name.startswith(ATTRIBUTE_PREFIX)]

    def answers(self) -> dict:
        """The raw answers keyed by attribute code, as the service validates them."""
        return {
            name[len(ATTRIBUTE_PREFIX) :]: value
            for name, value in self.cleaned_data.items()
            if name.startswith(ATTRIBUTE_PREFIX)
        }

    def add_service_errors(self, message_dict: dict) -> None:
        """Show each error of `services.request_file` beside the field it is about."""
        for key, messages in message_dict.items():
            field = {"location": "grid", "service": None}.get(key, key)
            if field not in self.fields and ATTRIBUTE_PREFIX + key in self.fields:
                field = ATTRIBUTE_PREFIX + key
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


def _attribute_field(attribute: ServiceAttribute) -> forms.Field:
    # Every field is optional here: required answers are checked by the service, so the
    # message is the same whichever way a request arrives (browser, API, Open311).
    common = {"label": attribute.question, "help_text": attribute.help, "required": False}
    kind = ServiceAttribute.Datatype
    if attribute.datatype == kind.SINGLEVALUELIST:
        return forms.ChoiceField(choices=attribute.choices(), widget=forms.RadioSelect, **common)
    if attribute.datatype == kind.MULTIVALUELIST:
        return forms.MultipleChoiceField(choices=attribute.choices(), widget=forms.CheckboxSelectMultiple, **common)
    if attribute.datatype == kind.TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if attribute.datatype == kind.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if attribute.datatype == kind.DATETIME:
        return forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common)
    return forms.CharField(**common)


class PhotosForm(forms.Form):
    photos = MultiplePhotoField(label=_("Photos"))


class AssignForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.filter(is_active=True), required=False
    )
    assignee = forms.ModelChoiceField(label=_("Person"), queryset=None, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
        self.fields["assignee"].label_from_instance = lambda user: user.first_name or user.username


class QueueFilterForm(forms.Form):
    STATUS_CHOICES = [("", _("Not finished")), ("all", _("All")), *RequestStatus.choices]

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.all(), required=False, empty_label=_("All services")
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    area = forms.ModelChoiceField(label=_("Community"), queryset=None, required=False, empty_label=_("All communities"))
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    q = forms.CharField(label=_("Number or words"), required=False, max_length=100)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        # A grid worker's or a community's staff have one community or none in scope: nothing to
        # choose between, so no list (it showed empty for a grid worker).
        if len(communities[:2]) < 2:
            del self.fields["area"]
        else:
            self.fields["area"].queryset = communities

    @property
    def is_set(self) -> bool:
        """Whether any filter narrows the queue (the filters then show open)."""
        return self.is_bound and any(self.data.get(name) for name in self.fields)


class PublicRequestFilterForm(forms.Form):
    """The public list's filters: by community, service and status. Anything else is a clear error."""

    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Area.objects.filter(kind=Area.Kind.COMMUNITY).order_by("path"),
        required=False,
        empty_label=_("All communities"),
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True).order_by("group", "order", "code"),
        to_field_name="code",
        required=False,
        empty_label=_("All services"),
    )
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *RequestStatus.choices], required=False)
