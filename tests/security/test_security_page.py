"""The practice's Sign-in security page: MFA policy, MFA status and lock-outs of every member."""

from django.urls import reverse

from accounts.demo import ensure_demo_mfa
from accounts.models import Organization, Role
from audits.models import AuditEvent
from tests.factories import member


def test_the_page_shows_who_has_mfa_and_who_must_set_it_up(world, client_for):
    ensure_demo_mfa(world.carol)
    html = client_for(world.alice).get(reverse("security_overview", args=[world.org.slug])).content.decode()
    assert "Carol Auditor" in html and "Required, not set up" in html and "Oscar" not in html


def test_an_administrator_turns_on_mfa_for_every_role_and_it_is_audited(world, client_for):
    response = client_for(world.alice).post(
        reverse("security_mfa_policy", args=[world.org.slug]), {"mfa_required_for_all": "on"}
    )
    assert response.status_code == 302
    assert Organization.objects.get(pk=world.org.pk).mfa_required_for_all
    # The service's event and the row's diff share the canonical name (issue 13); the service's names the change.
    events = AuditEvent.objects.filter(action="organization.updated")
    assert any(e.changes == {"mfa_required_for_all": [False, True]} for e in events)


def test_the_page_stays_flat_as_members_grow(world, client_for, django_assert_max_num_queries):
    client = client_for(world.alice)
    url = reverse("security_overview", args=[world.org.slug])
    client.get(url)
    for i in range(15):
        user = member(world.org, Role.STAFF, email=f"s{i}@cascade.example")
        if i % 2:
            ensure_demo_mfa(user)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


def test_the_dashboard_counts_missing_mfa_and_locked_logins_for_administrators(world, client_for, client):
    from django.conf import settings as dj_settings

    ensure_demo_mfa(world.alice)
    for _ in range(dj_settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": world.dave.email, "password": "wrong wrong wrong"})
    cards = {c["label"]: c for c in client_for(world.alice).get(
        reverse("dashboard", args=[world.org.slug])).context["cards"]}
    assert cards["Logins that must set up MFA"]["value"] == 1  # carol, the auditor
    assert cards["Locked-out logins"]["value"] == 1
    assert "Logins that must set up MFA" not in {
        c["label"] for c in client_for(world.bob).get(reverse("dashboard", args=[world.org.slug])).context["cards"]
    }


def test_an_administrator_cannot_reset_mfa_or_unlock_a_login_other_organizations_share(world, client_for):
    """A login attached to two practices: neither practice's administrator may weaken it for both."""
    from accounts.models import Membership, TOTPDevice
    from accounts.services import membership_grant

    TOTPDevice.objects.create(user=world.oscar, name="phone", confirmed=True)
    membership = membership_grant(organization=world.org, user=world.oscar, role="staff")
    client = client_for(world.alice)
    response = client.post(f"/o/{world.org.slug}/security/members/{membership.pk}/mfa-reset/")
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=world.oscar).exists()
    response = client.post(f"/o/{world.org.slug}/security/members/{membership.pk}/unlock/")
    assert response.status_code == 403
    assert Membership.objects.filter(user=world.oscar).count() == 2
