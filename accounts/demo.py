"""Demo helpers the lead's seed_demo command calls (the demo stays one command)."""

from django.db import transaction
from django.utils import timezone

from .mfa import demo_secret
from .models import TOTPDevice


@transaction.atomic
def ensure_demo_mfa(user) -> str:
    """Give `user` a confirmed authenticator with the fixed demo secret; return that secret (base32).

    Demo data only: anyone who reads this repository can compute the codes. Add the secret to
    an authenticator app, or print a current code with
    `python manage.py demo_totp <email>`.
    """
    secret = demo_secret()
    TOTPDevice.objects.filter(user=user).exclude(confirmed=True).delete()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        TOTPDevice.objects.create(
            user=user, name="Demo authenticator", secret=secret, confirmed=True, confirmed_at=timezone.now()
        )
    elif device.secret != secret:
        device.secret = secret
        device.save(update_fields=["secret"])
    return secret
