"""The practice's computed portal directory and its gaps."""

import datetime

import pytest

from carriers.models import PortalEnrollment
from carriers.selectors import directory_gaps, filter_directory, practice_directory
from carriers.services import custom_portal_create

from .conftest import add_admin, carrier, contract, enroll, staff_available

needs_staff = pytest.mark.skipif(not staff_available(), reason="staff.EnrollmentAdministrator not installed")


def by_key(entries):
    return {e.portal.reference_key or e.portal.name: e for e in entries}


@pytest.fixture
def wa_or_practice(directory, world):
    org = world.org  # bills in WA and OR, located in WA
    contract(org, "medicare-ab", lob="medicare")
    contract(org, "aetna")
    contract(org, "premera")
    contract(org, "uhc")
    contract(org, "cigna", start=datetime.date(2020, 1, 1), end_date=datetime.date(2021, 12, 31))  # ended
    return org


def test_directory_for_commercial_and_medicare_contracts_in_two_states(wa_or_practice):
    entries = by_key(practice_directory(wa_or_practice))
    assert set(entries) == {"noridian-nmp", "availity", "uhc-provider-portal", "optum-pay"}
    nmp = entries["noridian-nmp"]
    assert any("WA → JF" in r for r in nmp.reasons) and any("OR → JF" in r for r in nmp.reasons)
    assert nmp.portal.url == "https://www.noridianmedicare.com/web/nmp/home"
    availity = entries["availity"]
    assert {c.name for c in availity.carriers.values()} == {"Aetna", "Premera Blue Cross"}
    assert {"eligibility_benefits", "prior_authorization"} <= availity.function_codes
    assert [f.code for f in entries["optum-pay"].functions] == ["remittance_era", "payments_eft"]
    assert not any(e.registered for e in entries.values())
    assert all(e.downtime_protocol for e in entries.values())


def test_medicare_in_a_fairfax_county_practice_goes_to_novitas_jl(directory, world):
    org = world.org
    org.billing_states, org.practice_state, org.practice_county = ["VA", "WA"], "VA", "Fairfax County"
    org.save()
    contract(org, "medicare-ab", lob="medicare")
    entries = by_key(practice_directory(org))
    assert set(entries) == {"novitasphere", "noridian-nmp"}
    assert "VA (Fairfax County) → JL" in entries["novitasphere"].reasons[0]


def test_medicare_in_richmond_goes_to_palmetto_jm(directory, world):
    org = world.org
    org.billing_states, org.practice_state, org.practice_county = ["VA"], "VA", "Richmond city"
    org.save()
    contract(org, "medicare-ab", lob="medicare")
    assert set(by_key(practice_directory(org))) == {"palmetto-eservices"}


def test_registration_custom_portals_and_other_practices(wa_or_practice, world):
    enroll(wa_or_practice, "availity", downtime_protocol="Call Aetna, then Premera.")
    custom_portal_create(organization=wa_or_practice, actor=world.alice, name="Regional IPA", architecture="standalone",
                         url="https://ipa.example.org", carriers=[carrier("aetna")])
    custom_portal_create(organization=world.other_org, actor=world.oscar, name="Other's portal", architecture="standalone",
                         url="https://other.example.org")
    entries = by_key(practice_directory(wa_or_practice))
    assert entries["availity"].registered and entries["availity"].downtime_protocol == "Call Aetna, then Premera."
    assert "Regional IPA" in entries and "Other's portal" not in entries
    assert "Aetna" in entries["Regional IPA"].reasons[0]


def test_filters(wa_or_practice):
    entries = practice_directory(wa_or_practice)
    assert {e.portal.reference_key for e in filter_directory(entries, architecture="mac")} == {"noridian-nmp"}
    assert {e.portal.reference_key for e in filter_directory(entries, function="payments_eft")} >= {"optum-pay"}
    assert {e.portal.reference_key for e in filter_directory(entries, q="premera")} == {"availity"}
    uhc = carrier("uhc").pk
    assert {e.portal.reference_key for e in filter_directory(entries, carrier=str(uhc))} == {"uhc-provider-portal", "optum-pay"}


def test_gap_contract_without_registered_portal(wa_or_practice):
    enroll(wa_or_practice, "availity")
    enroll(wa_or_practice, "uhc-provider-portal", status="in_progress")
    gaps = directory_gaps(wa_or_practice)
    missing = {c.carrier.reference_key for c, _ in gaps.contracts_without_portal}
    assert missing == {"medicare-ab", "uhc"}  # aetna and premera are covered by Availity


@needs_staff
def test_gap_enrollments_short_of_administrators_and_limits_exceeded(wa_or_practice):
    availity = enroll(wa_or_practice, "availity")
    add_admin(availity, "Pat Primary")
    add_admin(availity, "Tess Terminated", role="backup", status="terminated")
    uhc = enroll(wa_or_practice, "uhc-provider-portal")
    add_admin(uhc, "Uma One")
    add_admin(uhc, "Uri Two")  # UHC: exactly one Primary Access Administrator
    nmp = enroll(wa_or_practice, "noridian-nmp")
    for i in range(6):  # Noridian: at most 5 per TIN
        add_admin(nmp, f"Nora {i}", role="backup")
    gaps = directory_gaps(wa_or_practice)
    assert [(e.portal.reference_key, n) for e, n in gaps.enrollments_short_of_administrators] == [("availity", 1)]
    exceeded = {(e.portal.reference_key, rule.kind, n) for e, rule, n in gaps.administrator_limits_exceeded}
    assert exceeded == {("uhc-provider-portal", "max_primary_administrators", 2), ("noridian-nmp", "max_administrators", 6)}


def test_without_any_administrator_every_registered_enrollment_is_short(wa_or_practice):
    enroll(wa_or_practice, "availity")
    enroll(wa_or_practice, "optum-pay", status="suspended")
    gaps = directory_gaps(wa_or_practice)
    assert [(e.portal.reference_key, n) for e, n in gaps.enrollments_short_of_administrators] == [("availity", 0)]


def test_directory_query_count_is_flat_as_portals_grow(wa_or_practice, world, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            p = custom_portal_create(organization=wa_or_practice, actor=world.alice, name=f"Plan portal {n}-{i}",
                                     architecture="standalone", url=f"https://p{n}-{i}.example.org", carriers=[carrier("aetna")])
            PortalEnrollment.objects.create(organization=wa_or_practice, portal=p, status="registered",
                                            registered_on=datetime.date(2024, 1, 1))

    grow(2)
    with django_assert_max_num_queries(11):
        small = practice_directory(wa_or_practice)
    grow(20)
    with django_assert_max_num_queries(11):
        large = practice_directory(wa_or_practice)
    assert len(large) == len(small) + 20


# --- practice locations (issue 16): each office's county picks its Medicare contractor ---------------
def _add_location(org, name, state, county=""):
    from accounts.models import PracticeLocation

    return PracticeLocation.objects.create(organization=org, name=name, state=state, county=county)


def test_a_texas_practice_with_a_northern_virginia_office_gets_novitas_jl_for_virginia(directory, world):
    org = world.org
    org.billing_states, org.practice_state, org.practice_county = ["TX", "VA"], "TX", "Harris"
    org.save()
    _add_location(org, "Fairfax office", "VA", "Fairfax County")
    contract(org, "medicare-ab", lob="medicare")
    entries = by_key(practice_directory(org))
    assert set(entries) == {"novitasphere"}  # TX -> JH and Fairfax VA -> JL, both Novitasphere
    reasons = " | ".join(entries["novitasphere"].reasons)
    assert "VA (Fairfax County) → JL" in reasons and "TX (Harris) → JH" in reasons
    assert "JM" not in reasons


def test_offices_in_both_halves_of_virginia_need_both_contractors(directory, world):
    org = world.org
    org.billing_states, org.practice_state, org.practice_county = ["VA"], "TX", ""
    org.save()
    _add_location(org, "Arlington office", "VA", "Arlington County")
    _add_location(org, "Richmond office", "VA", "Richmond city")
    contract(org, "medicare-ab", lob="medicare")
    entries = by_key(practice_directory(org))
    assert set(entries) == {"novitasphere", "palmetto-eservices"}
    assert "VA (Richmond city) → JM" in entries["palmetto-eservices"].reasons[0]


def test_location_states_count_when_the_practice_lists_no_billing_states(directory, world):
    org = world.org
    org.billing_states, org.practice_state, org.practice_county = [], "WA", "King"
    org.save()
    _add_location(org, "Portland office", "OR")
    _add_location(org, "Austin office", "TX")
    contract(org, "medicare-ab", lob="medicare")
    entries = by_key(practice_directory(org))
    assert set(entries) == {"noridian-nmp", "novitasphere"}


def test_administrators_add_and_remove_locations_with_audit_events_and_field_errors(directory, world, client_for):
    from accounts.models import PracticeLocation
    from audits.models import AuditEvent

    client = client_for(world.alice)
    url = f"/o/{world.org.slug}/organization/"
    response = client.post(url, {"form": "location", "name": "Fairfax office", "state": "VA", "county": "Fairfax County"})
    assert response.status_code == 302
    location = PracticeLocation.objects.get(organization=world.org)
    assert AuditEvent.objects.filter(action="organization.location_added", organization_id=world.org.pk).count() == 1
    page = client.get(url).content.decode()
    assert "Fairfax office" in page
    # Bad input: unknown state, duplicate name -> field errors, nothing added.
    response = client.post(url, {"form": "location", "name": "Fairfax office", "state": "XX", "county": ""})
    assert response.status_code == 200
    form = response.context["location_form"]
    assert "state" in form.errors and "name" in form.errors
    assert PracticeLocation.objects.count() == 1
    # Staff and other practices cannot change locations.
    assert client_for(world.dave).post(url, {"form": "location", "name": "X", "state": "VA"}).status_code == 403
    remove = f"/o/{world.org.slug}/organization/location/{location.pk}/remove/"
    assert client_for(world.oscar).post(remove).status_code in (403, 404)
    assert client_for(world.alice).post(remove).status_code == 302
    assert not PracticeLocation.objects.exists()
    assert AuditEvent.objects.filter(action="organization.location_removed").count() == 1
