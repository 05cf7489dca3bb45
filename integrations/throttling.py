"""Rate limits for the API and SCIM, kept in the cache (Redis in production): per client address
(checked first, before the token is even looked at, so guessing tokens is limited too) and per
credential. A refused call answers 429 with Retry-After."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from core.middleware import client_ip


class _SettingsRate(SimpleRateThrottle):
    def get_rate(self):
        # Read at each call (not at import) so settings overrides apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class ClientAddressThrottle(_SettingsRate):
    scope = "api_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


class CredentialThrottle(_SettingsRate):
    scope = "api_credential"

    def get_cache_key(self, request, view):
        key_id = getattr(request.auth, "key_id", None)
        if not key_id:
            return None  # a signed-in person is limited by address
        return self.cache_format % {"scope": self.scope, "ident": key_id}


class AddressFirstMixin:
    """For APIView subclasses: the address limit before authentication, the credential limit after."""

    throttle_classes = [CredentialThrottle]

    def initial(self, request, *args, **kwargs):
        throttle = ClientAddressThrottle()
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())
        super().initial(request, *args, **kwargs)
