from accounts.models import MedicarePTAN
from carriers.demo import seed_demo_directory
from carriers.models import Contract, Portal, PortalEnrollment
from carriers.selectors import practice_directory


def test_demo_directory_is_idempotent_and_loads_reference_data_if_needed(world):
    MedicarePTAN.objects.create(organization=world.org, ptan="WA1234567", state="WA")
    first = seed_demo_directory(world.org)
    assert first["contracts"] == 6 and first["enrollments"] == 4 and first["portals"] == 1
    counts = (Contract.objects.count(), PortalEnrollment.objects.count(), Portal.objects.count())
    assert seed_demo_directory(world.org) == {"contracts": 0, "enrollments": 0, "portals": 0}
    assert (Contract.objects.count(), PortalEnrollment.objects.count(), Portal.objects.count()) == counts
    nmp = PortalEnrollment.objects.get(organization=world.org, portal__reference_key="noridian-nmp")
    assert nmp.ptan == "WA1234567" and nmp.is_active
    names = {e.portal.name for e in practice_directory(world.org)}
    assert {"Noridian Medicare Portal (NMP)", "Availity Essentials", "Provider Express Billing (Washington L&I)"} <= names


def test_demo_for_a_virginia_practice(world):
    org = world.other_org
    org.practice_state, org.practice_county, org.billing_states = "VA", "Fairfax", ["DC", "MD", "VA"]
    org.save()
    seed_demo_directory(org)
    keys = {e.portal.reference_key for e in practice_directory(org)}
    assert "novitasphere" in keys and "palmetto-eservices" not in keys
