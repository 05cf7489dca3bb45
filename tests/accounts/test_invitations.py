"""Adding a login to a practice is an invitation its owner accepts; the administrator's page never
tells whether an e-mail already has a PortalGov login."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership
from accounts.services import login_managed_by_organization
from audits.models import AuditEvent


def _invite(client, org, email, role="administrator", full_name="Some One"):
    response = client.post(reverse("members", args=[org.slug]), {"email": email, "full_name": full_name, "role": role},
                           follow=True)
    assert response.redirect_chain, response.content.decode()[:500]
    return [str(m) for m in response.context["messages"]]


def test_another_practices_administrator_is_invited_not_added(world, client_for, mailoutbox,
                                                             django_capture_on_commit_callbacks):
    admin = client_for(world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin, world.org, world.oscar.email, full_name="Oscar Other")
    assert not Membership.objects.filter(organization=world.org, user=world.oscar).exists()
    assert not world.oscar.has_perm("accounts.manage_members", world.org)
    # The other practice still manages its own administrator: nothing was taken from it.
    login_managed_by_organization(user=world.oscar, acting_user=world.alice, organization=world.other_org)
    invitation = Invitation.objects.get(user=world.oscar, organization=world.org)
    assert invitation.is_open and invitation.role == "administrator" and invitation.invited_by == world.alice
    assert "Sign in to PortalGov and accept or decline" in mailoutbox[0].body
    assert "/accounts/reset/" not in mailoutbox[0].body  # he has a password already
    page = admin.get(reverse("members", args=[world.org.slug])).content.decode()
    assert "Invitations waiting for an answer" in page and world.oscar.email in page

    # Nobody else can see or answer it.
    for other in (world.alice, world.eve):
        assert client_for(other).get(reverse("invitation", args=[invitation.pk])).status_code == 404
        assert client_for(other).post(reverse("invitation", args=[invitation.pk]), {"answer": "accept"}).status_code == 404
    assert not Membership.objects.filter(organization=world.org, user=world.oscar).exists()

    oscar = client_for(world.oscar)
    assert "Invitation to Cascade Family Medicine" in oscar.get(reverse("invitation", args=[invitation.pk])).content.decode()
    oscar.post(reverse("invitation", args=[invitation.pk]), {"answer": "accept"})
    assert Membership.objects.get(organization=world.org, user=world.oscar).role == "administrator"
    event = AuditEvent.objects.get(action="invitation.accepted")
    assert event.actor_label == world.oscar.email and event.organization_id == world.org.pk
    assert event.object_label == world.oscar.email and event.remote_addr == "127.0.0.1"
    # Answered once: a second answer changes nothing.
    oscar.post(reverse("invitation", args=[invitation.pk]), {"answer": "decline"})
    assert Membership.objects.filter(organization=world.org, user=world.oscar).exists()


def test_the_message_and_the_event_are_the_same_whether_the_email_has_a_login(world, client_for):
    admin = client_for(world.alice)
    existing = _invite(admin, world.org, world.eve.email, role="auditor")
    unknown = _invite(admin, world.org, "nobody.yet@cascade.example", role="auditor")
    assert existing == [m.replace("nobody.yet@cascade.example", world.eve.email) for m in unknown]
    assert "invitation" in existing[0] and "accept" in existing[0]
    events = list(AuditEvent.objects.filter(action="login.invited").order_by("id"))
    assert [e.action for e in events] == ["login.invited", "login.invited"]
    assert events[0].changes.keys() == events[1].changes.keys()
    # The form asks for a full name in both cases, with the same words.
    for email in (world.eve.email, "someone.else@cascade.example"):
        response = admin.post(reverse("members", args=[world.org.slug]), {"email": email, "role": "staff"})
        assert response.status_code == 200 and "Give the person&#x27;s full name." in response.content.decode()


def test_an_existing_member_changes_role_at_once(world, client_for):
    messages = _invite(client_for(world.alice), world.org, world.dave.email, role="billing_manager")
    assert messages == [f"{world.dave} is now billing manager."]
    assert Membership.objects.get(organization=world.org, user=world.dave).role == "billing_manager"
    assert not Invitation.objects.exists()


def test_declined_expired_and_withdrawn_invitations_give_no_role(world, client_for):
    admin = client_for(world.alice)
    _invite(admin, world.org, world.eve.email, role="staff")
    invitation = Invitation.objects.get(user=world.eve)
    eve = client_for(world.eve)
    eve.post(reverse("invitation", args=[invitation.pk]), {"answer": "decline"})
    assert not Membership.objects.filter(user=world.eve).exists()
    assert AuditEvent.objects.filter(action="invitation.declined", actor_label=world.eve.email).exists()

    admin = client_for(world.alice)
    _invite(admin, world.org, world.eve.email, role="staff")
    invitation = Invitation.objects.get(user=world.eve, answered_at__isnull=True)
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        eve = client_for(world.eve)
        response = eve.post(reverse("invitation", args=[invitation.pk]), {"answer": "accept"}, follow=True)
        assert "already answered, withdrawn or has expired" in response.content.decode()
    assert not Membership.objects.filter(user=world.eve).exists()

    admin = client_for(world.alice)
    _invite(admin, world.org, world.eve.email, role="staff")  # the open one is renewed, not duplicated
    invitation = Invitation.objects.get(user=world.eve, answered_at__isnull=True)
    admin.post(reverse("invitation_withdraw", args=[world.org.slug, invitation.pk]))
    assert AuditEvent.objects.filter(action="invitation.withdrawn", actor_label=world.alice.email).exists()
    eve = client_for(world.eve)
    eve.post(reverse("invitation", args=[invitation.pk]), {"answer": "accept"})
    assert not Membership.objects.filter(user=world.eve).exists()


def test_another_organization_cannot_withdraw_our_invitation(world, client_for):
    _invite(client_for(world.alice), world.org, world.eve.email, role="staff")
    invitation = Invitation.objects.get(user=world.eve)
    oscar = client_for(world.oscar)
    assert oscar.post(reverse("invitation_withdraw", args=[world.other_org.slug, invitation.pk])).status_code == 404
    assert oscar.post(reverse("invitation_withdraw", args=[world.org.slug, invitation.pk])).status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_open


@pytest.mark.parametrize("answer", ["", "maybe"])
def test_a_bad_answer_changes_nothing(world, client_for, answer):
    _invite(client_for(world.alice), world.org, world.eve.email, role="staff")
    invitation = Invitation.objects.get(user=world.eve)
    response = client_for(world.eve).post(reverse("invitation", args=[invitation.pk]), {"answer": answer}, follow=True)
    assert response.status_code == 200 and "Choose accept or decline" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.is_open and not Membership.objects.filter(user=world.eve).exists()


def test_the_invitation_email_names_the_practice_and_the_role(world, client_for, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client_for(world.alice), world.org, world.eve.email, role="auditor")
    body = mailoutbox[0].body
    assert "Cascade Family Medicine" in body and "auditor" in body and "starts only if you accept" in body
    assert re.search(r"/accounts/invitations/\d+/", body)


def test_the_members_page_lists_invitations_in_a_fixed_number_of_queries(world, client_for,
                                                                          django_assert_max_num_queries):
    from accounts.services import member_invite

    def invite(n):
        for i in range(n):
            member_invite(organization=world.org, email=f"person{len(Invitation.objects.all())}-{i}@x.example",
                          full_name=f"Person {i}", role="staff", acting_user=world.alice)

    admin = client_for(world.alice)
    url = reverse("members", args=[world.org.slug])
    invite(2)
    admin.get(url)  # warm the session and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert admin.get(url).status_code == 200
    invite(25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin.get(url).content.decode()
    assert page.count("Withdraw") == 27
