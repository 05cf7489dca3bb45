"""Bearer-token authentication for integrations, and the principal a credential acts as.

The principal is no login: accounts.tenancy asks it for its permissions in the organization of
the URL, and it has some only in its own organization (see tenancy.resolve_organization).
"""

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from .services import credential_authenticate


class ApiPrincipal:
    """request.user for a call made with an API credential."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_api_credential = True
    pk = id = None

    def __init__(self, credential):
        self.credential = credential
        self.organization_id = credential.organization_id

    def permissions_in(self, organization) -> frozenset:
        if organization.pk != self.credential.organization_id:
            return frozenset()
        return frozenset(self.credential.permissions)

    def __str__(self):
        return f"api:{self.credential.name}"


def _audit_failure(request, token: str) -> None:
    """A failed API authentication is an audit event (one per burst, see security.access_audit),
    naming the key id tried (the public part of the token), never the secret."""
    from core.context import Actor
    from core.middleware import client_ip
    from security.access_audit import API_AUTH_FAILED, RECORDED_FLAG, record_refusal

    parts = token.split("_", 2)
    key_id = parts[1][:64] if len(parts) == 3 and parts[0] == "pgv" else ""
    raw = getattr(request, "_request", request)
    record_refusal(action=API_AUTH_FAILED, actor=Actor(kind="anonymous", label="anonymous"), address=client_ip(raw),
                   status=401, path=raw.get_full_path(), method=raw.method, object_type="integrations.apicredential",
                   object_id=key_id, object_label=f"key id {key_id}" if key_id else "(no readable key id)")
    setattr(raw, RECORDED_FLAG, True)


class ApiCredentialAuthentication(BaseAuthentication):
    """Authorization: Bearer pgv_<key id>_<secret>."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # not ours: the session may still authenticate
        if len(parts) != 2:
            _audit_failure(request, "")
            raise AuthenticationFailed("Send the token as: Authorization: Bearer <token>.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            _audit_failure(request, "")
            raise AuthenticationFailed("The token is not valid.")
        credential = credential_authenticate(token)
        if credential is None:
            _audit_failure(request, token)
            raise AuthenticationFailed("The token is not valid, has expired or was revoked.")
        return ApiPrincipal(credential), credential

    def authenticate_header(self, request):
        return 'Bearer realm="PortalGov API"'
