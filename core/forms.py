"""Showing a service's refusal on the form that asked for it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def form_add_service_errors(
    form: forms.Form, error: ValidationError, *, field_names: dict[str, str] | None = None
) -> None:
    """Put each message of a service's ValidationError beside the field it names (`field_names` maps a
    service's argument to the form field that asked for it, where they differ), and the rest at the
    top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        field = (field_names or {}).get(key, key)
        form.add_error(field if field in form.fields else None, messages)
