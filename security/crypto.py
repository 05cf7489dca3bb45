"""Field encryption keys: a MultiFernet built from settings.FIELD_ENCRYPTION_KEYS.

The first key encrypts; every key decrypts. Rotating keys without downtime:
  1. put a new key FIRST in FIELD_ENCRYPTION_KEYS and keep the old ones after it; deploy
     (new writes use the new key, old ciphertexts still read);
  2. run `python manage.py rotate_keys` (re-encrypts every value with the new key);
  3. remove the old key from FIELD_ENCRYPTION_KEYS; deploy.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = ["InvalidToken", "decrypt", "encrypt", "fernet", "rotate"]


@lru_cache(maxsize=1)
def fernet() -> MultiFernet:
    keys = [k for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", []) if k]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set it in the environment.")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds a malformed Fernet key: {exc}") from exc


@receiver(setting_changed)
def _forget_keys(setting, **kwargs):
    if setting == "FIELD_ENCRYPTION_KEYS":
        fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode("ascii")).decode("utf-8")


def rotate(token: str) -> str:
    """The same plaintext, encrypted with the primary key (raises InvalidToken if no key reads it)."""
    return fernet().rotate(token.encode("ascii")).decode("ascii")
