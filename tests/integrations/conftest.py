import pytest

from accounts import roles
from integrations.services import credential_create


@pytest.fixture
def make_credential(world):
    """make_credential(*perms, org=None, name=...) -> (credential, token)."""

    def _make(*perms, org=None, name=None, expires_at=None):
        org = org or world.org
        return credential_create(organization=org, acting_user=world.alice if org == world.org else world.oscar,
                                 name=name or f"cred {len(perms)} {'-'.join(perms)}"[:100],
                                 permissions=perms or (roles.VIEW_STAFF,), expires_at=expires_at)

    return _make


@pytest.fixture
def api(client):
    """api(token) -> a client that sends Authorization: Bearer <token> (and no session)."""

    class Api:
        def __init__(self, token):
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        def get(self, url, data=None):
            return client.get(url, data or {}, **self.headers)

        def post(self, url, data=None):
            return client.post(url, data or {}, content_type="application/json", **self.headers)

    return Api
