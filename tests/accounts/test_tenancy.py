"""Organization isolation and role refusals on the foundation's pages."""

import pytest
from django.urls import reverse

from accounts.models import Membership, Organization
from audits.models import AuditEvent

ORG_PAGES = ["dashboard", "organization_profile", "members"]


@pytest.mark.parametrize("page", ORG_PAGES)
def test_a_user_of_another_organization_gets_403_on_every_page(world, client_for, page):
    client = client_for(world.oscar)
    response = client.get(reverse(page, args=[world.org.slug]))
    assert response.status_code == 403
    assert world.org.legal_name not in response.content.decode()


@pytest.mark.parametrize("page", ORG_PAGES)
def test_an_unknown_organization_is_404(world, client_for, page):
    response = client_for(world.alice).get(reverse(page, args=["no-such-practice"]))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    response = client.get(reverse("dashboard", args=[world.org.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_only_administrators_manage_members(world, client_for):
    url = reverse("members", args=[world.org.slug])
    for user in (world.bob, world.carol, world.dave):
        assert client_for(user).get(url).status_code == 403
    assert client_for(world.alice).get(url).status_code == 200


def test_granting_a_role_is_audited(world, client_for):
    client = client_for(world.alice)
    url = reverse("members", args=[world.org.slug])

    response = client.post(url, {"email": world.eve.email, "full_name": "Eve Outsider", "role": "auditor"})
    assert response.status_code == 302
    assert not world.eve.has_perm("accounts.view_audit_log", world.org)  # not before she accepts
    from accounts.models import Invitation
    from accounts.services import invitation_answer

    invitation_answer(invitation=Invitation.objects.get(user=world.eve), user=world.eve, accept=True)
    assert world.eve.has_perm("accounts.view_audit_log", world.org)
    invited = AuditEvent.objects.get(action="login.invited")
    assert invited.actor_label == world.alice.email and invited.organization_id == world.org.pk
    event = AuditEvent.objects.get(action="membership.granted", object_label__contains="Eve")
    assert event.actor_label == world.eve.email  # she accepted it
    assert event.organization_id == world.org.pk


def test_removing_a_role_takes_the_grants_away(world, client_for):
    membership = Membership.objects.get(organization=world.org, user=world.carol)
    client_for(world.alice).post(reverse("member_remove", args=[world.org.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()
    carol = type(world.carol).objects.get(pk=world.carol.pk)  # fresh permission cache
    assert not carol.has_perm("accounts.view_audit_log", world.org)
    assert AuditEvent.objects.filter(action="membership.revoked").count() == 1


def test_an_administrator_cannot_remove_a_membership_of_another_org(world, client_for):
    membership = Membership.objects.get(organization=world.other_org, user=world.oscar)
    response = client_for(world.alice).post(reverse("member_remove", args=[world.org.slug, membership.pk]))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_invalid_tin_and_npi_get_field_errors_that_name_the_rule(world, client_for):
    client = client_for(world.alice)
    url = reverse("organization_profile", args=[world.org.slug])
    response = client.post(url, {"form": "profile", "legal_name": "X", "tin": "12-34", "billing_states": ["WA"]})
    assert "A TIN (EIN) has exactly 9 digits" in response.content.decode()
    assert Organization.objects.get(pk=world.org.pk).legal_name == world.org.legal_name

    response = client.post(url, {"form": "npi", "npi": "1234567890"})
    assert "fails the check digit" in response.content.decode()
    assert not world.org.group_npis.exists()

    response = client.post(url, {"form": "npi", "npi": "1234567893", "label": "Main"})
    assert response.status_code == 302
    assert list(world.org.group_npis.values_list("npi", flat=True)) == ["1234567893"]
    assert AuditEvent.objects.filter(action="organization.npi_added").exists()


def test_non_administrators_cannot_edit_the_practice(world, client_for):
    url = reverse("organization_profile", args=[world.org.slug])
    response = client_for(world.bob).post(url, {"form": "npi", "npi": "1234567893"})
    assert response.status_code == 403
    assert not world.org.group_npis.exists()


def test_switcher_lists_every_organization_of_the_user(world, client_for):
    from accounts.services import membership_grant

    membership_grant(organization=world.other_org, user=world.alice, role="auditor")
    html = client_for(world.alice).get(reverse("dashboard", args=[world.org.slug])).content.decode()
    assert "Other Practice, LLC" in html and "Switch organization" in html


def test_the_page_and_its_switcher_read_the_memberships_once(world, client_for):
    """resolve_organization and the practice switcher share one read of the person's memberships."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.services import membership_grant

    membership_grant(organization=world.other_org, user=world.alice, role="auditor")
    client = client_for(world.alice)
    url = reverse("organization_profile", args=[world.org.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    assert "Other Practice, LLC" in html and "Switch organization" in html
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_membership"' in q["sql"]]
    assert len(reads) == 1, reads


def test_a_membership_changed_during_the_request_is_read_again(world, rf):
    """The request's copy of the memberships is dropped when one is saved or deleted (or an organization
    is): the switcher never lists a practice the person just lost, nor misses one just granted."""
    from accounts.services import membership_grant
    from accounts.tenancy import request_memberships, resolve_organization

    request = rf.get("/")
    request.user = world.alice
    resolve_organization(request, world.org.slug)
    before = request_memberships(request)
    assert [m.organization_id for m in before] == [world.org.pk]
    membership_grant(organization=world.other_org, user=world.alice, role="auditor")
    assert request_memberships(request) is None  # stale: the context processor reads again
    resolve_organization(request, world.org.slug)
    assert {m.organization_id for m in request_memberships(request)} == {world.org.pk, world.other_org.pk}
    world.other_org.legal_name = "Renamed Practice"
    world.other_org.save()
    assert request_memberships(request) is None


def test_a_role_removed_is_refused_on_the_next_request(world, client_for):
    client = client_for(world.carol)
    url = reverse("dashboard", args=[world.org.slug])
    assert client.get(url).status_code == 200
    Membership.objects.filter(organization=world.org, user=world.carol).delete()
    assert client.get(url).status_code == 403


def test_sign_in_and_failed_sign_in_are_audited(world, client):
    client.post(reverse("login"), {"username": world.alice.email, "password": "wrong"})
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_label=world.alice.email).exists()
    response = client.post(reverse("login"), {"username": world.alice.email, "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor_label=world.alice.email).exists()


def test_api_refuses_another_organization(world, client_for):
    client = client_for(world.oscar)
    assert client.get(f"/api/v1/o/{world.org.slug}/").status_code == 403
    assert client.get("/api/v1/o/nope/").status_code == 404
    data = client.get("/api/v1/organizations/").json()
    assert [o["slug"] for o in data["results"]] == ["other"]


def test_org_view_with_several_permissions_opens_to_any_of_them(world, rf):
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from accounts import roles
    from accounts.tenancy import org_view

    @org_view(roles.RUN_ACCESS_REVIEWS, roles.VIEW_AUDIT_LOG)
    def page(request):
        return HttpResponse("ok")

    assert page.required_permission == (roles.RUN_ACCESS_REVIEWS, roles.VIEW_AUDIT_LOG)
    for user, opens in ((world.bob, True), (world.carol, True), (world.dave, False), (world.oscar, False)):
        request = rf.get("/")
        SessionMiddleware(lambda r: None).process_request(request)
        request.user = user
        if opens:
            assert page(request, org_slug=world.org.slug).status_code == 200
        else:
            with pytest.raises(PermissionDenied):
                page(request, org_slug=world.org.slug)


def test_someone_without_a_login_is_invited_and_sets_a_password_through_the_link(
    world, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    import re

    from accounts.models import User

    client = client_for(world.alice)
    url = reverse("members", args=[world.org.slug])
    response = client.post(url, {"email": "New.Hire@Cascade.example", "role": "billing_manager"})
    assert "Give the person&#x27;s full name." in response.content.decode()
    assert not User.objects.filter(email="new.hire@cascade.example").exists()
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes once the invitation is committed
        response = client.post(url, {"email": "New.Hire@Cascade.example", "full_name": "Nina Hire",
                                     "role": "billing_manager"})
    assert response.status_code == 302
    nina = User.objects.get(email="new.hire@cascade.example")
    assert not nina.has_usable_password()
    assert not Membership.objects.filter(organization=world.org, user=nina).exists()  # until she accepts
    assert AuditEvent.objects.filter(action="login.invited", organization_id=world.org.pk,
                                     actor_label=world.alice.email).exists()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new.hire@cascade.example"]

    link = re.search(r"(/accounts/reset/\S+)", mailoutbox[0].body).group(1)
    client.logout()
    response = client.get(link, follow=True)
    assert response.status_code == 200 and "Choose a new password" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "a long new passphrase 42", "new_password2": "a long new passphrase 42"})
    assert response.status_code == 302
    nina.refresh_from_db()
    assert nina.check_password("a long new passphrase 42")
    event = AuditEvent.objects.get(action="password_reset.completed")
    assert event.actor_label == nina.email and event.changes == {"first_password": True}

    # She signs in and accepts the invitation from the same e-mail: only then has she the role.
    answer = re.search(r"(/accounts/invitations/\d+/)", mailoutbox[0].body).group(1)
    client.force_login(nina)
    assert "Invitations waiting for your answer" in client.get(reverse("home")).content.decode()
    response = client.post(answer, {"answer": "accept"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard", args=[world.org.slug])
    assert Membership.objects.get(organization=world.org, user=nina).role == "billing_manager"
    accepted = AuditEvent.objects.get(action="invitation.accepted")
    assert accepted.actor_label == nina.email and accepted.organization_id == world.org.pk
    assert accepted.changes["invited_by"] == world.alice.email and accepted.remote_addr == "127.0.0.1"
