"""EncryptedTextField: a text column stored as a Fernet token (see security/crypto.py).

Use it for values that would hurt if a database dump or backup leaked: TOTP secrets,
recovery codes, portal user IDs. The ciphertext is random per write, so the column can be
neither searched nor indexed nor made unique; keep a separate keyed hash if a lookup is needed.
"""

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest (Fernet / MultiFernet)"

    def __init__(self, *args, **kwargs):
        for forbidden in ("unique", "db_index", "primary_key"):
            if kwargs.get(forbidden):
                raise ValueError(f"EncryptedTextField cannot be {forbidden}: its ciphertext is random.")
        super().__init__(*args, **kwargs)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value  # blank stays blank so "not set" is visible without a key
        return crypto.encrypt(str(value))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_lookup(self, lookup_name):
        # Only "is null" / exact-empty checks make sense on ciphertext; anything else would
        # silently compare a fresh random token and match nothing.
        if lookup_name not in ("isnull", "exact", "in"):
            raise NotImplementedError(f"EncryptedTextField does not support the {lookup_name!r} lookup.")
        return super().get_lookup(lookup_name)


def encrypted_fields():
    """Every (model, field) pair in the project that uses EncryptedTextField."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field
