import pytest

from integrations.services import credential_create


@pytest.fixture
def make_token(world):
    def _make(*perms, name=None):
        _, token = credential_create(organization=world.org, acting_user=world.alice,
                                     name=name or "-".join(perms)[:100], permissions=perms)
        return token

    return _make
