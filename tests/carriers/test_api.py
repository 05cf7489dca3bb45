import pytest
from django.urls import reverse

from audits.models import AuditEvent
from carriers.models import Contract

from .conftest import carrier, contract


@pytest.fixture
def directory(module_directory):
    """Every test here reads the reference directory: loaded once for the module (tests/carriers/conftest.py)."""


def api(name, org="cascade"):
    return reverse(name, kwargs={"org_slug": org})


def test_directory_api_lists_the_computed_directory(directory, world, client_for):
    contract(world.org, "medicare-ab", lob="medicare")
    data = client_for(world.carol).get(api("api-directory"), {"architecture": "mac"}).json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["name"] == "Noridian Medicare Portal (NMP)" and row["registered"] is False
    assert any("JF" in r for r in row["reasons"])


@pytest.mark.parametrize("who, status", [("other_org_administrator", 403), ("no_role", 403)])
def test_directory_api_refuses_outsiders(directory, world, client_for, who, status):
    assert client_for(world.by_role()[who]).get(api("api-directory")).status_code == status


def test_contract_api_create_is_audited_and_refuses_bad_input(directory, world, client_for):
    client = client_for(world.alice)
    ok = client.post(api("api-contracts"), {"carrier": carrier("aetna").pk, "line_of_business": "commercial",
                                            "effective_date": "2025-01-01", "states": ["WA"]}, content_type="application/json")
    assert ok.status_code == 201, ok.content
    assert AuditEvent.objects.filter(action="contract.created").count() == 1
    dup = client.post(api("api-contracts"), {"carrier": carrier("aetna").pk, "line_of_business": "commercial",
                                             "effective_date": "2025-06-01"}, content_type="application/json")
    assert dup.status_code == 400 and "carrier" in dup.json()["errors"]
    bad = client.post(api("api-contracts"), {"carrier": carrier("uhc").pk, "line_of_business": "commercial",
                                             "effective_date": "2025-06-01", "end_date": "2025-01-01", "states": ["ZZ"]},
                      content_type="application/json")
    assert bad.status_code == 400 and "states" in bad.json()["errors"]
    assert Contract.objects.count() == 1


def test_contract_api_write_needs_an_administrator(directory, world, client_for):
    response = client_for(world.bob).post(api("api-contracts"), {"carrier": carrier("aetna").pk, "line_of_business": "commercial",
                                                                 "effective_date": "2025-01-01"}, content_type="application/json")
    assert response.status_code == 403 and not Contract.objects.exists()
    assert client_for(world.bob).get(api("api-contracts")).status_code == 200


def test_contract_api_cannot_use_another_practices_carrier(directory, world, client_for):
    from carriers.services import custom_carrier_create

    theirs = custom_carrier_create(organization=world.other_org, actor=world.oscar, name="Their local plan")
    response = client_for(world.alice).post(api("api-contracts"), {"carrier": theirs.pk, "line_of_business": "commercial",
                                                                   "effective_date": "2025-01-01"}, content_type="application/json")
    assert response.status_code == 400 and not Contract.objects.exists()


def test_dashboard_shows_directory_cards(directory, world, client_for):
    contract(world.org, "aetna")
    body = client_for(world.bob).get(reverse("dashboard", kwargs={"org_slug": "cascade"})).content.decode()
    assert "Portals registered" in body and "Current contracts" in body
    # A staff member's dashboard is about her own access, not the practice's figures (issue 13).
    body = client_for(world.dave).get(reverse("dashboard", kwargs={"org_slug": "cascade"})).content.decode()
    assert "Portals registered" not in body and "Current contracts" not in body
