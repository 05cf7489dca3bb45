"""Issue 13 in access: the provisioning proposal names the portal administrator who then gets the task (one
rule: enrollment_task_assignee), and people see function names, never codes."""

from html import unescape

from django.urls import reverse

from access.models import ProvisioningTask
from access.services import provisioning_plan_apply
from staff.models import EnrollmentAdministrator, JobRole

from ..staff.factories import make_enrollment, make_portal, make_staff


def test_the_proposal_names_the_administrator_who_gets_the_task(world, client_for):
    backup = make_staff(world.org, "Ben Backup", job_role=JobRole.PRACTICE_MANAGER)
    primary = make_staff(world.org, "Paula Primary", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    availity = make_enrollment(world.org, make_portal("Availity Essentials"))
    # The backup was recorded first (lower id): the old page named whoever came first.
    EnrollmentAdministrator.objects.create(enrollment=availity, staff_member=backup, role="backup")
    EnrollmentAdministrator.objects.create(enrollment=availity, staff_member=primary, role="primary")
    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    html = client_for(world.alice).get(reverse("provision_plan", args=["cascade", tom.pk])).content.decode()
    assert "task goes to the portal administrator: Paula Primary" in html and "Ben Backup" not in html
    tasks = provisioning_plan_apply(staff=tom, acting_user=world.alice, selections=[(availity, ["eligibility_benefits"])])
    assert [t.assignee for t in tasks] == [primary]
    assert ProvisioningTask.objects.get().assignee == primary


def test_my_portal_accounts_shows_a_shared_login_and_the_findings_about_it(world, client_for,
                                                                          django_assert_max_num_queries):
    from access.models import AccountStatus, PortalAccount
    from findings.services import findings_evaluate_organization

    admin = make_staff(world.org, "Maria Admin", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    enrollment = make_enrollment(world.org, make_portal("Availity Essentials"), admin=admin)
    jenny = make_staff(world.org, "Jenny Lindqvist", job_role=JobRole.FRONT_DESK, user=world.dave)
    carlos = make_staff(world.org, "Carlos Ruiz", job_role=JobRole.FRONT_DESK)
    carlos_acct = PortalAccount.objects.create(organization=world.org, staff_member=carlos, enrollment=enrollment,
                                               portal_user_id="JLINDQVIST", status=AccountStatus.ACTIVE)
    PortalAccount.objects.create(organization=world.org, staff_member=jenny, enrollment=enrollment,
                                 portal_user_id="jlindqvist", status=AccountStatus.ACTIVE)
    findings_evaluate_organization(organization=world.org)
    client = client_for(world.dave)
    client.get(reverse("my_accounts", args=["cascade"]))
    with django_assert_max_num_queries(16):
        html = client.get(reverse("my_accounts", args=["cascade"])).content.decode()
    assert "Shared login</span> also recorded for Carlos Ruiz: a critical finding" in html
    assert "is shared by Carlos Ruiz, Jenny Lindqvist" in html  # the critical finding itself
    PortalAccount.objects.filter(pk=carlos_acct.pk).update(status=AccountStatus.DEACTIVATED)
    assert "Shared login" not in client.get(reverse("my_accounts", args=["cascade"])).content.decode()


def test_deactivating_an_account_first_says_what_will_happen_then_asks_to_confirm(world, client_for):
    from access.models import AccountStatus, PortalAccount
    from audits.models import AuditEvent

    primary = make_staff(world.org, "Paula Primary", job_role=JobRole.PRACTICE_MANAGER, user=world.alice)
    availity = make_enrollment(world.org, make_portal("Availity Essentials"), admin=primary)
    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    acct = PortalAccount.objects.create(organization=world.org, staff_member=tom, enrollment=availity,
                                        portal_user_id="treed", status=AccountStatus.ACTIVE)
    page = reverse("account_detail", args=["cascade", acct.pk])
    body = {"form": "transition", "to_status": "deactivation_pending", "reason": "moved to coding"}
    client = client_for(world.alice)
    events = AuditEvent.objects.count()
    html = unescape(client.post(page, body).content.decode())
    assert "Make Tom Reed's Availity Essentials account deactivation pending?" in html
    assert "Tom Reed's Availity Essentials account (user ID treed) moves to deactivation pending" in html
    assert "A deactivation task goes to Paula Primary, due" in html and "This cannot be undone" in html
    assert 'name="reason" value="moved to coding"' in html and 'name="confirm" value="yes"' in html
    acct.refresh_from_db()
    assert acct.status == AccountStatus.ACTIVE and not ProvisioningTask.objects.exists()
    assert AuditEvent.objects.count() == events  # looking changes nothing
    response = client.post(page, {**body, "confirm": "yes"})
    assert response.status_code == 302
    acct.refresh_from_db()
    task = ProvisioningTask.objects.get()
    assert acct.status == AccountStatus.DEACTIVATION_PENDING
    assert (task.kind, task.assignee, task.notes) == ("deactivate", primary, "moved to coding")
    assert AuditEvent.objects.filter(action="portal_account.status_changed", object_pk=str(acct.pk)).count() == 1
    # Deactivated by hand is refused while the task is open (its confirmation is recorded on the task).
    html = client.post(page, {"form": "transition", "to_status": "deactivated", "confirm": "yes"}).content.decode()
    assert "Record the open deactivation task as done" in html
    acct.refresh_from_db()
    assert acct.status == AccountStatus.DEACTIVATION_PENDING


def test_withdrawing_a_request_is_confirmed_and_an_unknown_status_is_a_field_error(world, client_for):
    from access.models import AccountStatus, PortalAccount

    tom = make_staff(world.org, "Tom Reed", job_role=JobRole.FRONT_DESK)
    acct = PortalAccount.objects.create(organization=world.org, staff_member=tom,
                                        enrollment=make_enrollment(world.org, make_portal("Availity Essentials")),
                                        status=AccountStatus.REQUESTED)
    page = reverse("account_detail", args=["cascade", acct.pk])
    client = client_for(world.alice)
    html = unescape(client.post(page, {"form": "transition", "to_status": "deactivated"}).content.decode())
    assert "The request for a Availity Essentials account for Tom Reed is withdrawn." in html
    assert "This is final" in html
    html = client.post(page, {"form": "transition", "to_status": "not-a-status", "confirm": "yes"}).content.decode()
    assert "Select a valid choice" in html
    client.post(page, {"form": "transition", "to_status": "deactivated", "confirm": "yes"})
    acct.refresh_from_db()
    assert acct.status == AccountStatus.DEACTIVATED
