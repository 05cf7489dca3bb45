from django import forms
from django.core.exceptions import ValidationError


def apply_validation_error(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has one, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


class IsoDateInput(forms.DateInput):
    """The one date format of the product, typed and shown as YYYY-MM-DD (a browser's type="date" shows the
    reader's locale, mm/dd/yyyy in the US, while every table shows ISO dates)."""

    input_type = "text"

    def __init__(self, attrs=None):
        base = {"placeholder": "YYYY-MM-DD", "pattern": r"\d{4}-\d{2}-\d{2}", "inputmode": "numeric",
                "autocomplete": "off", "size": "10"}
        super().__init__({**base, **(attrs or {})}, format="%Y-%m-%d")
