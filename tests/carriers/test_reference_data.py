"""The sourced reference directory: MAC mapping, idempotent all-or-nothing loading."""

import shutil

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.validators import US_STATES
from audits.models import AuditEvent
from carriers.loader import DirectoryDataError
from carriers.models import (
    Carrier,
    MacCoverage,
    MacJurisdiction,
    Portal,
    PortalAccountRule,
    PortalEnrollment,
    PortalReach,
)
from carriers.selectors import ab_jurisdictions_by_state, mac_for
from carriers.services import custom_portal_create, load_reference_directory

from .conftest import carrier, contract, enroll, portal

MODELS = [Carrier, Portal, PortalReach, PortalAccountRule, MacJurisdiction, MacCoverage]


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def test_every_state_dc_and_territory_maps_to_exactly_one_ab_jurisdiction(directory):
    mapping = ab_jurisdictions_by_state()
    assert set(mapping) == set(US_STATES)
    assert {s: codes for s, codes in mapping.items() if len(codes) != 1} == {}
    assert mapping["WA"] == ["JF"] and mapping["CA"] == ["JE"] and mapping["TX"] == ["JH"] and mapping["PR"] == ["JN"]


@pytest.mark.parametrize("mac_type", ["dme", "hhh"])
def test_every_state_has_exactly_one_dme_and_home_health_jurisdiction(directory, mac_type):
    for state in US_STATES:
        rows = MacCoverage.objects.filter(state=state, jurisdiction__jurisdiction_type=mac_type)
        assert rows.count() == 1, state


@pytest.mark.parametrize(
    "county, part, expected",
    [
        ("Fairfax County", "B", "JL"),
        ("City of Fairfax", "B", "JL"),
        ("Arlington", "B", "JL"),
        ("City of Alexandria", "B", "JL"),
        ("Falls Church", "B", "JL"),
        ("Richmond", "B", "JM"),
        ("", "B", "JM"),
        ("Fairfax County", "A", "JM"),  # the split is Part B only
    ],
)
def test_virginia_part_b_splits_by_county(directory, county, part, expected):
    assert mac_for("VA", county=county, part=part).code == expected


def test_washington_part_b_is_noridian_jf_and_its_portal_is_nmp(directory):
    jf = mac_for("WA")
    assert jf.code == "JF" and jf.portal.reference_key == "noridian-nmp"


def test_railroad_medicare_is_palmetto_everywhere(directory):
    for state in ("WA", "FL", "GU"):
        assert mac_for(state, "railroad").code == "RRB"


def test_dme_follows_its_own_map(directory):
    assert mac_for("WA", "dme").code == "DME-D"
    assert mac_for("NY", "dme").code == "DME-A"


def test_every_reference_row_keeps_its_source_and_verification(directory):
    for model in (Carrier, Portal, PortalReach, PortalAccountRule, MacJurisdiction):
        assert not model.objects.filter(source="").exists(), model
    assert Portal.objects.get(reference_key="change-healthcare").verification == "unverified"
    assert MacJurisdiction.objects.get(code="JL").verification == "verified"


def test_account_rules_are_data_with_value_source_and_date(directory):
    noridian = PortalAccountRule.objects.get(portal__reference_key="noridian-nmp", kind="max_administrators")
    assert noridian.number == 5 and noridian.scope == "per TIN" and noridian.source.startswith("https://")
    uhc = PortalAccountRule.objects.get(portal__reference_key="uhc-provider-portal", kind="max_primary_administrators")
    assert uhc.number == 1 and uhc.as_of is not None
    recert = dict(
        PortalAccountRule.objects.filter(kind="recert_interval_days").values_list("portal__reference_key", "number")
    )
    assert recert["palmetto-eservices"] == 360 and recert["mycgs"] == 360 and recert["ngsconnex"] == 365
    assert PortalAccountRule.objects.get(portal__reference_key="noridian-nmp", kind="recert_window_days").number == 45


def test_second_load_changes_nothing(directory, world):
    contract(world.org, "aetna")
    own = custom_portal_create(organization=world.org, actor=world.alice, name="Regional IPA portal",
                               architecture="standalone", url="https://ipa.example.org")
    before, events = counts(), AuditEvent.objects.count()
    result = load_reference_directory()
    assert not result.changed
    assert counts() == before
    assert AuditEvent.objects.count() == events  # nothing changed, nothing to record
    own.refresh_from_db()
    assert own.organization == world.org and own.name == "Regional IPA portal"


def test_command_reports_nothing_changed_on_second_run(directory, capsys):
    call_command("load_directory")
    assert "nothing changed" in capsys.readouterr().out


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(settings.PORTALGOV_SHARED_DATA_DIR, target)
    return target


def _rewrite(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_updated_dataset_updates_reference_rows_but_not_the_practices_own(directory, world, data_copy):
    nmp = portal("noridian-nmp")
    own_enrollment = enroll(world.org, "noridian-nmp", downtime_protocol="Call Jo at the billing office first.",
                            support_phone="555-0100")
    own_portal = custom_portal_create(organization=world.org, actor=world.alice, name="L&I backup portal",
                                      architecture="workers_comp", url="https://own.example.org/login")
    _rewrite(data_copy / "portals.csv", "https://www.noridianmedicare.com/web/nmp/home", "https://www.noridianmedicareportal.com/web/nmp")
    _rewrite(data_copy / "account_rules.csv", "At most 5 Provider Administrators per TIN (25 TINs per administrator),5",
             "At most 6 Provider Administrators per TIN,6")
    before = counts()

    result = load_reference_directory(directory=data_copy)

    assert result.updated == {"portals": 1, "account rules": 1}
    assert counts() == before
    nmp.refresh_from_db()
    assert nmp.url == "https://www.noridianmedicareportal.com/web/nmp"
    assert PortalAccountRule.objects.get(portal=nmp, kind="max_administrators").number == 6
    own_enrollment.refresh_from_db()
    assert own_enrollment.downtime_protocol == "Call Jo at the billing office first." and own_enrollment.support_phone == "555-0100"
    own_portal.refresh_from_db()
    assert own_portal.url == "https://own.example.org/login" and own_portal.organization == world.org
    assert AuditEvent.objects.filter(action="directory.reference_loaded").count() == 2


def test_dropped_reference_portal_is_retired_not_deleted(directory, data_copy):
    lines = (data_copy / "portals.csv").read_text().splitlines(keepends=True)
    (data_copy / "portals.csv").write_text("".join(line for line in lines if not line.startswith("ga-gammis,")))
    lines = (data_copy / "reach.csv").read_text().splitlines(keepends=True)
    (data_copy / "reach.csv").write_text("".join(line for line in lines if ",ga-gammis," not in line))
    lines = (data_copy / "account_rules.csv").read_text().splitlines(keepends=True)
    (data_copy / "account_rules.csv").write_text("".join(line for line in lines if not line.startswith("ga-gammis,")))
    result = load_reference_directory(directory=data_copy)
    assert result.retired == {"portals": 1, "reach": 1, "account rules": 1}
    assert Portal.objects.get(reference_key="ga-gammis").is_active is False


@pytest.mark.parametrize(
    "filename, old, new, message",
    [
        ("account_rules.csv", "noridian-nmp,max_administrators", "noridian-nmp,max_admins",
         "account_rules.csv, line 3: kind 'max_admins' is not one of"),
        ("portals.csv", "https://www.novitasphere.com", "not a url", "portals.csv, line 3: url 'not a url'"),
        ("mac_jurisdictions.csv", "CA;HI;NV;AS;GU;MP", "CA;HI;NV;AS;GU;XX", "mac_jurisdictions.csv, line 2: unknown state code XX"),
        ("reach.csv", "medicare-ab,noridian-nmp", "medicare-zz,noridian-nmp", "reach.csv, line 2: carrier_key 'medicare-zz'"),
        ("carriers.csv", "medicare-dme,", "medicare-ab,", "carriers.csv, line 3: duplicate carrier key medicare-ab"),
        ("functions.csv", "code,name,sensitivity,description", "code,name,sensitivity", "functions.csv, line 1: expected columns"),
    ],
)
def test_corrupt_file_is_refused_with_file_and_line_and_loads_nothing(db, data_copy, filename, old, new, message):
    _rewrite(data_copy / filename, old, new)
    with pytest.raises(DirectoryDataError) as exc:
        load_reference_directory(directory=data_copy)
    assert message in str(exc.value)
    assert counts() == {m.__name__: 0 for m in MODELS}
    assert not AuditEvent.objects.filter(action="directory.reference_loaded").exists()


def test_corrupt_file_after_a_good_load_changes_nothing(directory, data_copy):
    _rewrite(data_copy / "portals.csv", "https://www.noridianmedicare.com/web/nmp/home", "https://www.example.org/new")
    with (data_copy / "account_rules.csv").open("a") as fh:
        fh.write('noridian-nmp,other,"unterminated\n')
    before = counts()
    with pytest.raises(DirectoryDataError, match="account_rules.csv, line"):
        load_reference_directory(directory=data_copy)
    assert counts() == before
    assert portal("noridian-nmp").url == "https://www.noridianmedicare.com/web/nmp/home"


def test_command_refuses_a_corrupt_file_naming_it(db, data_copy):
    _rewrite(data_copy / "portals.csv", ",hub,", ",hubb,")
    with pytest.raises(CommandError, match=r"Nothing loaded\. portals\.csv, line \d+: architecture 'hubb'"):
        call_command("load_directory", data_dir=str(data_copy))
    assert Carrier.objects.count() == 0


def test_reference_carrier_lookup_helper(directory):
    assert carrier("medicare-ab").mac_type == "ab"
    assert PortalEnrollment.objects.count() == 0


def test_every_shipped_rule_has_a_source_and_a_checked_date_and_every_portal_has_rules():
    """Reference completeness (issue 16): fails for a rule without source or date, or a portal without rules."""
    import csv

    from django.conf import settings

    directory = settings.PORTALGOV_SHARED_DATA_DIR
    rules = list(csv.DictReader((directory / "account_rules.csv").open(encoding="utf-8")))
    portals = {r["key"] for r in csv.DictReader((directory / "portals.csv").open(encoding="utf-8"))}
    for rule in rules:
        where = f"{rule['portal_key']} {rule['kind']}"
        assert rule["source"].strip(), f"{where}: no source"
        assert rule["last_checked"] or rule["as_of"], f"{where}: neither as-of nor checked date"
    assert portals <= {r["portal_key"] for r in rules}, "portals without rules or a not_published row"


def test_loader_refuses_a_rule_without_source_or_checked_date(db, data_copy):
    import pytest as _pytest

    from carriers.loader import DirectoryDataError, read_dataset

    path = data_copy / "account_rules.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",2026-11-27,", ",,", 1), encoding="utf-8")
    with _pytest.raises(DirectoryDataError, match=r"account_rules.csv, line 2: last_checked is required"):
        read_dataset(data_copy)


def test_loader_refuses_a_portal_with_no_rules(db, data_copy):
    import pytest as _pytest

    from carriers.loader import DirectoryDataError, read_dataset

    path = data_copy / "account_rules.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("optum-pay,")), encoding="utf-8")
    with _pytest.raises(DirectoryDataError, match="portal 'optum-pay' has no account rules"):
        read_dataset(data_copy)


def test_portal_page_shows_each_rules_age_and_says_when_none_are_published(directory, world, client_for):
    from carriers.models import Portal

    optum = Portal.objects.get(reference_key="optum-pay")
    nmp = Portal.objects.get(reference_key="noridian-nmp")
    client = client_for(world.alice)
    page = client.get(f"/o/{world.org.slug}/directory/portals/{optum.pk}/").content.decode()
    assert "No rules published" in page and "checked 2026-12-03" in page and "source undated" in page
    page = client.get(f"/o/{world.org.slug}/directory/portals/{nmp.pk}/").content.decode()
    assert "as of 2023-12-01" in page and "old)" in page
