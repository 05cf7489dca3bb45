"""Directory pages: who may read and edit, bad input, audit events, exports, query budget."""

import datetime

import pytest
from django.urls import reverse

from audits.models import AuditEvent
from carriers.models import Contract, Portal, PortalEnrollment
from carriers.services import custom_portal_create

from .conftest import carrier, contract, enroll, portal


@pytest.fixture
def directory(module_directory):
    """Every test here reads the reference directory: loaded once for the module (tests/carriers/conftest.py)."""

READ_PAGES = ["directory", "directory_csv", "directory_binder", "directory_gaps", "directory_contracts",
              "directory_carriers", "directory_custom_portals"]


def url(name, org="cascade", **kw):
    return reverse(name, kwargs={"org_slug": org, **kw})


@pytest.mark.parametrize("name", READ_PAGES)
@pytest.mark.parametrize("who, status", [("administrator", 200), ("billing_manager", 200), ("auditor", 200),
                                          ("staff", 200), ("other_org_administrator", 403), ("no_role", 403)])
def test_read_pages_by_role(directory, world, client_for, name, who, status):
    contract(world.org, "aetna")
    assert client_for(world.by_role()[who]).get(url(name)).status_code == status


def test_unknown_organization_is_404(directory, world, client_for):
    assert client_for(world.alice).get(url("directory", org="nope")).status_code == 404


@pytest.mark.parametrize("who", ["billing_manager", "auditor", "staff"])
def test_only_administrators_edit(directory, world, client_for, who):
    client = client_for(world.by_role()[who])
    post = {"carrier": carrier("aetna").pk, "line_of_business": "commercial", "effective_date": "2025-01-01"}
    assert client.post(url("directory_contracts"), post).status_code == 403
    assert client.post(url("directory_custom_portals"), {"name": "X", "architecture": "hub", "url": "https://x.example"}).status_code == 403
    assert client.post(url("directory_portal", pk=portal("availity").pk), {"portal": portal("availity").pk, "status": "not_started"}).status_code == 403
    assert not Contract.objects.exists() and not PortalEnrollment.objects.exists()
    c = contract(world.org, "uhc")
    assert client.get(url("directory_contract_edit", pk=c.pk)).status_code == 403
    assert client.post(url("directory_contract_delete", pk=c.pk)).status_code == 403
    assert Contract.objects.filter(pk=c.pk).exists()


def test_administrator_adds_a_contract_and_it_is_audited(directory, world, client_for):
    response = client_for(world.alice).post(url("directory_contracts"), {
        "carrier": carrier("aetna").pk, "line_of_business": "commercial", "effective_date": "2025-01-01", "states": ["WA"],
    })
    assert response.status_code == 302
    c = Contract.objects.get(organization=world.org)
    assert c.states == ["WA"]
    event = AuditEvent.objects.get(action="contract.created")
    assert event.organization_id == world.org.pk and event.actor_label == world.alice.email
    assert event.changes["carrier"] == "Aetna"


def _assert_refused(response, field, text):
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and text in " ".join(errors[field]), errors


def test_bad_contract_input_gets_field_errors_and_saves_nothing(directory, world, client_for):
    client = client_for(world.alice)
    base = {"carrier": carrier("aetna").pk, "line_of_business": "commercial", "effective_date": "2025-01-01"}
    _assert_refused(client.post(url("directory_contracts"), {**base, "end_date": "2024-12-31"}), "end_date", "before the effective date")
    _assert_refused(client.post(url("directory_contracts"), {**base, "states": ["WA", "XX"]}), "states", "XX is not a US state")
    assert not Contract.objects.exists()
    contract(world.org, "aetna", start=datetime.date(2024, 1, 1))
    events = AuditEvent.objects.count()
    _assert_refused(client.post(url("directory_contracts"), base), "carrier", "already has a Commercial contract with Aetna")
    assert Contract.objects.count() == 1 and AuditEvent.objects.count() == events


def test_malformed_portal_url_is_refused(directory, world, client_for):
    response = client_for(world.alice).post(url("directory_custom_portals"), {
        "name": "County workers' comp", "architecture": "workers_comp", "url": "htp:/broken portal"})
    _assert_refused(response, "url", "full web address")
    assert not Portal.objects.filter(organization=world.org).exists()


def test_administrator_adds_a_custom_portal_that_stays_the_practices_own(directory, world, client_for):
    response = client_for(world.alice).post(url("directory_custom_portals"), {
        "name": "Regence regional", "architecture": "standalone", "url": "https://regional.example.org/login",
        "states": ["WA"], "functions": ["eligibility_benefits"], "carriers": [carrier("aetna").pk]})
    assert response.status_code == 302
    own = Portal.objects.get(organization=world.org)
    assert AuditEvent.objects.filter(action="portal.custom_created", object_id=str(own.pk)).exists()
    # another practice cannot see it; reference portals cannot be edited through the custom form
    assert client_for(world.oscar).get(url("directory_portal", org="other", pk=own.pk)).status_code == 404
    assert client_for(world.alice).get(url("directory_custom_portal_edit", pk=portal("availity").pk)).status_code == 404


def test_enrollment_recorded_and_status_change_audited(directory, world, client_for):
    client = client_for(world.alice)
    availity = portal("availity")
    response = client.post(url("directory_portal", pk=availity.pk), {
        "portal": availity.pk, "tin": "91-4567812", "status": "in_progress", "started_on": "2025-01-02"})
    assert response.status_code == 302
    e = PortalEnrollment.objects.get(organization=world.org)
    response = client.post(url("directory_enrollment_edit", pk=e.pk), {
        "portal": availity.pk, "tin": "914567812", "status": "registered", "started_on": "2025-01-02",
        "registered_on": "2025-01-10", "downtime_protocol": "Call the payer."})
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.is_active and e.downtime_protocol == "Call the payer."
    change = AuditEvent.objects.get(action="enrollment.status_changed")
    assert change.changes["status"] == ["in_progress", "registered"]


def test_registered_without_a_date_and_bad_npi_are_refused(directory, world, client_for):
    availity = portal("availity")
    response = client_for(world.alice).post(url("directory_portal", pk=availity.pk), {
        "portal": availity.pk, "status": "registered", "npi": "1234567890"})
    errors = response.context["form"].errors
    assert "registered_on" in errors or "npi" in errors
    assert not PortalEnrollment.objects.exists()


def test_other_practices_rows_are_404(directory, world, client_for):
    theirs = contract(world.other_org, "aetna")
    their_portal = custom_portal_create(organization=world.other_org, actor=world.oscar, name="Theirs",
                                        architecture="hub", url="https://theirs.example.org")
    their_enrollment = enroll(world.other_org, "availity")
    client = client_for(world.alice)
    assert client.get(url("directory_contract_edit", pk=theirs.pk)).status_code == 404
    assert client.post(url("directory_contract_delete", pk=theirs.pk)).status_code == 404
    assert client.get(url("directory_portal", pk=their_portal.pk)).status_code == 404
    assert client.get(url("directory_enrollment_edit", pk=their_enrollment.pk)).status_code == 404
    assert Contract.objects.filter(pk=theirs.pk).exists()


def test_directory_page_shows_portals_with_new_tab_links(directory, world, client_for):
    contract(world.org, "medicare-ab", lob="medicare")
    contract(world.org, "aetna")
    body = client_for(world.carol).get(url("directory")).content.decode()
    assert "Noridian Medicare Portal (NMP)" in body and "Availity Essentials" in body
    assert 'href="https://www.availity.com" target="_blank" rel="noopener noreferrer"' in body
    filtered = client_for(world.carol).get(url("directory"), {"architecture": "mac"}).content.decode()
    assert "Noridian" in filtered and "Availity Essentials" not in filtered


def test_directory_page_query_count_is_flat(directory, world, client_for, django_assert_max_num_queries):
    contract(world.org, "medicare-ab", lob="medicare")
    client = client_for(world.alice)

    def grow(n, tag):
        for i in range(n):
            p = custom_portal_create(organization=world.org, actor=world.alice, name=f"Portal {tag}{i}", architecture="hub",
                                     url=f"https://{tag}{i}.example.org", carriers=[carrier("aetna")])
            PortalEnrollment.objects.create(organization=world.org, portal=p, status="registered", registered_on=datetime.date(2024, 1, 1))

    grow(3, "a")
    client.get(url("directory"))  # warm caches (sessions, permissions)
    with django_assert_max_num_queries(25) as small:
        client.get(url("directory"))
    grow(22, "b")
    with django_assert_max_num_queries(25) as large:
        response = client.get(url("directory"))
    assert response.context["total"] == 26
    assert len(large.captured_queries) == len(small.captured_queries)


def test_csv_export(directory, world, client_for):
    contract(world.org, "aetna")
    custom_portal_create(organization=world.org, actor=world.alice, name="=HYPERLINK(\"x\")", architecture="hub",
                         url="https://evil.example.org")
    response = client_for(world.carol).get(url("directory_csv"))
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("portal,architecture,operator,url,why")
    assert any(line.startswith("Availity Essentials,") for line in lines)
    assert any(line.startswith("\"'=HYPERLINK") for line in lines)


def test_downtime_binder_lists_every_portal_with_url_phone_and_steps(directory, world, client_for):
    contract(world.org, "aetna")
    contract(world.org, "uhc")
    enroll(world.org, "availity", downtime_protocol="Phone Aetna provider services.", support_phone="800-555-0101")
    body = client_for(world.dave).get(url("directory_binder")).content.decode()
    for name in ("Availity Essentials", "UnitedHealthcare Provider Portal", "Optum Pay"):
        assert name in body
    assert "Phone Aetna provider services." in body and "800-555-0101" in body and "https://www.uhcprovider.com" in body
    assert "carriers/binder.css" in body


def test_gaps_page(directory, world, client_for):
    contract(world.org, "aetna")
    enroll(world.org, "uhc-provider-portal")
    body = client_for(world.bob).get(url("directory_gaps")).content.decode()
    assert "Contracts with no registered portal (1)" in body and "Aetna" in body
    assert "fewer than 2 active administrators (1)" in body


def test_portal_and_carrier_detail_pages(directory, world, client_for):
    client = client_for(world.carol)
    body = client.get(url("directory_portal", pk=portal("noridian-nmp").pk)).content.decode()
    assert "At most 5 Provider Administrators per TIN" in body and "Disabled after 60 days" in body
    body = client.get(url("directory_carrier", pk=carrier("aetna").pk)).content.decode()
    assert "Availity Essentials" in body


def test_contract_phone_is_the_fallback_in_directory_binder_and_csv(directory, world, client_for):
    client = client_for(world.alice)
    response = client.post(url("directory_contracts"), {
        "carrier": carrier("uhc").pk, "line_of_business": "commercial", "effective_date": "2025-01-01",
        "provider_services_phone": "877-555-0142"})
    assert response.status_code == 302
    for name in ("directory", "directory_binder", "directory_csv"):
        assert "UnitedHealthcare: 877-555-0142" in client.get(url(name)).content.decode(), name


def test_a_carrier_id_beyond_64_bits_is_a_field_error_not_a_500(directory, world, client_for):
    """The fuzzer's case (tests/core/test_form_posts.py): on SQLite `id IN (99999999999999999999)` was an
    OverflowError in the driver; core.lookups drops the impossible id, so it is just not a choice."""
    response = client_for(world.alice).post(url("directory_custom_portals"), {
        "name": "Regence regional", "architecture": "standalone", "url": "https://regional.example.org/login",
        "carriers": ["99999999999999999999"]})
    _assert_refused(response, "carriers", "99999999999999999999 is not one of the available choices")
    assert not Portal.objects.filter(organization=world.org).exists()
