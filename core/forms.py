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
