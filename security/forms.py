"""The auditor's desk: its search form, which turns the query string into a validated search."""

from __future__ import annotations

import ipaddress
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from directory.models import Area
from security.audit_actions import action_choices
from security.selectors import AuditSearch, audit_object_types, audit_reach

ACTION_CODE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=_("Actor (user name)"), max_length=150, required=False)
    action = forms.CharField(label=_("Action"), max_length=64, required=False, widget=forms.Select)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    object_text = forms.CharField(label=_("Object contains"), max_length=100, required=False)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False)
    address = forms.CharField(
        label=_("Address (IP or prefix)"),
        max_length=49,
        required=False,
        help_text=_("For example 10.0.0.7 or 10.0.0.0/24"),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].widget.choices = [("", _("All actions")), *action_choices()]
        self.fields["object_type"].choices = [("", _("Any type")), *((t, t) for t in audit_object_types())]
        # Areas to narrow to: the reader's own subtree, down to communities (grids would make the
        # list too long to choose from; a community's events include its grids').
        areas = Area.objects.exclude(kind=Area.Kind.GRID).order_by("path")
        reach = audit_reach(user)
        condition = reach.condition("path")
        self.fields["area"].queryset = areas if condition is None else areas.filter(condition)

    def clean_actor(self) -> str:
        return self.cleaned_data["actor"].strip()

    def clean_action(self) -> str:
        code = self.cleaned_data["action"].strip()
        if code and not ACTION_CODE.fullmatch(code):
            raise ValidationError(_("Choose an action from the list."))
        if code and code not in dict(self.fields["action"].widget.choices):
            # A code no label names yet (or one recorded by older code) can still be searched for.
            self.fields["action"].widget.choices.append((code, code))
        return code

    def clean_object_id(self) -> str:
        return self.cleaned_data["object_id"].strip()

    def clean_object_text(self) -> str:
        return self.cleaned_data["object_text"].strip()

    def clean_address(self):
        text = self.cleaned_data["address"].strip()
        if not text:
            return None
        try:
            return ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValidationError(_("Enter an IP address such as 10.0.0.7 or a prefix such as 10.0.0.0/24.")) from None

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def search(self) -> AuditSearch:
        data = self.cleaned_data
        return AuditSearch(
            actor=data["actor"],
            action=data["action"],
            object_type=data["object_type"],
            object_id=data["object_id"],
            object_text=data["object_text"],
            area=data["area"],
            address=data["address"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
