"""The demo roster: idempotent, and the findings page has something to show."""

from access.models import PortalAccount, ProvisioningTask
from carriers.demo import seed_demo_directory
from findings.models import Finding
from staff.demo import seed_demo_staff
from staff.models import StaffMember


def test_seed_demo_staff_is_idempotent_and_shows_findings(world):
    seed_demo_directory(world.org)
    first = seed_demo_staff(world.org)
    assert first["staff"] == 8 and first["accounts"] > 0
    counts = (StaffMember.objects.count(), PortalAccount.objects.count(), ProvisioningTask.objects.count(),
              Finding.objects.count())
    again = seed_demo_staff(world.org)
    assert again == {"staff": 0, "accounts": 0}
    assert (StaffMember.objects.count(), PortalAccount.objects.count(), ProvisioningTask.objects.count(),
            Finding.objects.count()) == counts
    rules = set(Finding.objects.filter(resolved_at__isnull=True).values_list("rule", flat=True))
    assert {"shared_credential", "beyond_policy"} <= rules
    assert ProvisioningTask.objects.filter(status="open").exists()
