"""A service's refusal shown on the form that asked for it."""

from django import forms
from django.core.exceptions import ValidationError

from core.forms import form_add_service_errors


class KeyForm(forms.Form):
    name = forms.CharField()
    expires_on = forms.DateField()


def bound_form() -> KeyForm:
    form = KeyForm({"name": "x", "expires_on": "2026-12-31"})
    assert form.is_valid()
    return form


def test_each_message_goes_beside_its_field_or_to_the_top():
    form = bound_form()
    error = ValidationError({"name": ["太长了。"], "expires_at": ["已过期。"], "other": ["别的问题。"]})
    form_add_service_errors(form, error, field_names={"expires_at": "expires_on"})
    assert form.errors["name"] == ["太长了。"]
    assert form.errors["expires_on"] == ["已过期。"]
    assert form.non_field_errors() == ["别的问题。"]


def test_a_message_without_a_field_goes_to_the_top():
    form = bound_form()
    form_add_service_errors(form, ValidationError("不能这样做。"))
    assert form.non_field_errors() == ["不能这样做。"] and not form.has_error("name")
