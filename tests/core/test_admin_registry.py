"""Django admin is for fix-ups only, but every PortalGov model must be reachable there."""

import pytest
from django.apps import apps
from django.contrib import admin

PORTALGOV_APPS = {"accounts", "audits", "core", "carriers", "hygiene", "staff", "access", "findings", "reviews",
                  "security", "training", "offboarding", "integrations"}


def test_every_portalgov_model_is_registered_in_the_admin():
    missing = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in PORTALGOV_APPS and not model._meta.auto_created
        and not admin.site.is_registered(model)
    ]
    assert missing == []


def test_the_admin_answers_for_every_registered_model(db, client, django_user_model):
    operator = django_user_model.objects.create_superuser(email="ops@example.org", password="x", full_name="Ops")
    client.force_login(operator)
    for model in admin.site._registry:
        if model._meta.app_label not in PORTALGOV_APPS:
            continue
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url


EVIDENCE = ["offboarding/offboardingcase", "offboarding/checklistitem", "offboarding/notice",
            "offboarding/rolewatermark", "hygiene/jobrun"]


@pytest.mark.parametrize("model", EVIDENCE)
def test_evidence_is_read_only_in_the_admin(db, client, django_user_model, model):
    """Every field of these is read-only: their add page saved an empty row, which failed on its first required
    column (a 500 for the offboarding ones, found by tests/core/test_form_posts.py); now adding and changing
    are refused."""
    operator = django_user_model.objects.create_superuser(email="ops@example.org", password="x", full_name="Ops")
    client.force_login(operator)
    assert client.post(f"/admin/{model}/add/", {}).status_code == 403
    assert client.get(f"/admin/{model}/").status_code == 200  # still shown


@pytest.mark.parametrize("states", ["-1", '"WA"', '{"WA": 1}', "99999999999999999999"])
def test_billing_states_that_are_not_a_list_are_a_field_error_in_the_admin(db, rf, django_user_model, states):
    """JSON that parses to a number, a string or an object was iterated by Organization.clean (TypeError: 500)."""
    from accounts.models import Organization

    request = rf.post("/admin/accounts/organization/add/")
    request.user = django_user_model.objects.create_superuser(email="ops@example.org", password="x", full_name="O")
    form_class = admin.site._registry[Organization].get_form(request)
    form = form_class({"legal_name": "Practice, PLLC", "slug": "practice", "tin": "911234567",
                       "billing_states": states, "practice_state": "WA"})
    assert not form.is_valid()
    assert "A list of state codes" in " ".join(form.errors["billing_states"])
