import pytest
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.fixture
def password_login(client):
    """password_login(user) -> the client after the real sign-in form (no MFA step yet)."""

    def _login(user, password=PASSWORD):
        response = client.post(reverse("login"), {"username": user.email, "password": password})
        return response

    return _login
