"""Issue 13 in access: the provisioning proposal names the portal administrator who then gets the task (one
rule: enrollment_task_assignee), and people see function names, never codes."""

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
