"""Ids and addresses that arrive in forms are checked, never handed to the database or the browser as they are."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("name, field", [("provision_start", "existing"), ("credentials", "rotate"), ("jobs", "task_id")])
def test_a_non_numeric_posted_id_is_404_not_a_server_error(world, client_for, name, field):
    world.alice.is_staff = True  # the Jobs page's form is for platform operators
    world.alice.save()
    response = client_for(world.alice).post(reverse(name, args=[world.org.slug]), {field: "abc"})
    assert response.status_code == 404


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example/"])
def test_bulk_review_decisions_never_redirect_off_site(world, client_for, target):
    response = client_for(world.bob).post(reverse("reviews_bulk_decide", args=[world.org.slug]), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews_queue", args=[world.org.slug])
