"""Reads for the directory: MAC lookup, a practice's computed portal directory and its gaps.

The directory is computed in a fixed number of queries (contracts, reach, MAC coverage,
enrollments, portals + functions, administrators), however many portals there are.
"""

import datetime
import logging
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Prefetch, Q
from django.utils import timezone

from .models import (
    Carrier,
    Contract,
    MacCoverage,
    MacType,
    Portal,
    PortalAccountRule,
    PortalEnrollment,
    PortalFunction,
    PortalReach,
)

log = logging.getLogger(__name__)

MIN_ACTIVE_ADMINISTRATORS = 2  # a primary and a backup: losing one must not lock the practice out


# --- MAC jurisdictions -----------------------------------------------------------------------------

def normalize_county(name: str) -> str:
    """'Fairfax County' / 'City of Fairfax' / 'fairfax city' -> 'fairfax' (both are JL in Virginia)."""
    words = re.sub(r"[^a-z ]", " ", (name or "").lower()).split()
    return " ".join(w for w in words if w not in {"county", "city", "of", "the"})


def _resolve(coverage: list[MacCoverage], state: str, mac_type: str, county: str = "", part: str = "B"):
    """Pick the jurisdiction for one state from preloaded coverage rows (county rows win)."""
    state = state.upper()
    rows = [c for c in coverage if c.jurisdiction.jurisdiction_type == mac_type and (c.state == state or c.jurisdiction.nationwide)]
    wanted = normalize_county(county)
    if wanted:
        for c in rows:
            if c.counties and c.part in ("", part) and wanted in {normalize_county(x) for x in c.counties}:
                return c.jurisdiction
    whole = [c for c in rows if not c.counties and c.part in ("", part)]
    if whole:
        return whole[0].jurisdiction
    nationwide = [c.jurisdiction for c in rows if c.jurisdiction.nationwide]
    return nationwide[0] if nationwide else None


def _coverage_rows(mac_types=None) -> list[MacCoverage]:
    qs = MacCoverage.objects.select_related("jurisdiction", "jurisdiction__portal")
    if mac_types:
        qs = qs.filter(jurisdiction__jurisdiction_type__in=mac_types)
    rows = list(qs)
    # Railroad Medicare is nationwide: it has a jurisdiction but no per-state rows.
    from .models import MacJurisdiction

    for mac in MacJurisdiction.objects.filter(nationwide=True).select_related("portal"):
        if not mac_types or mac.jurisdiction_type in mac_types:
            rows.append(MacCoverage(jurisdiction=mac, state="", part="", counties=[]))
    return rows


def mac_for(state: str, mac_type: str = MacType.AB, *, county: str = "", part: str = "B"):
    """The MAC jurisdiction for a state (Virginia Part B: by county)."""
    return _resolve(_coverage_rows([mac_type]), state, mac_type, county, part)


def ab_jurisdictions_by_state() -> dict[str, list[str]]:
    """state -> codes of the whole-state A/B jurisdictions (each list should have exactly one)."""
    out: dict[str, list[str]] = {}
    for c in MacCoverage.objects.filter(jurisdiction__jurisdiction_type=MacType.AB, counties=[]).select_related("jurisdiction"):
        out.setdefault(c.state, []).append(c.jurisdiction.code)
    return out


# --- administrators (kept in the staff app) --------------------------------------------------------

def _administrator_model():
    try:
        return apps.get_model("staff", "EnrollmentAdministrator")
    except LookupError:
        return None


def enrollment_administrators(enrollment_ids) -> dict[int, list[dict]]:
    """enrollment id -> [{name, role, active}] in one query; empty when the staff app has none."""
    model = _administrator_model()
    ids = list(enrollment_ids)
    if model is None or not ids:
        return {}
    try:
        rows = model.objects.filter(enrollment_id__in=ids).values(
            "enrollment_id", "role", "staff_member__full_name", "staff_member__employment_status"
        ).order_by("enrollment_id", "role", "staff_member__full_name")
        out: dict[int, list[dict]] = {}
        for r in rows:
            out.setdefault(r["enrollment_id"], []).append({
                "name": r["staff_member__full_name"], "role": r["role"],
                "active": r["staff_member__employment_status"] == "active",
            })
        return out
    except Exception:  # the staff app changed shape under us: count nobody rather than crash a page
        log.exception("Could not read staff.EnrollmentAdministrator; treating administrators as none.")
        return {}


def active_administrator_counts(enrollment_ids) -> dict[int, dict[str, int]]:
    """enrollment id -> {"total": n, "primary": n} of administrators whose employment is active."""
    counts = {}
    for eid, admins in enrollment_administrators(enrollment_ids).items():
        active = [a for a in admins if a["active"]]
        counts[eid] = {"total": len(active), "primary": sum(1 for a in active if a["role"] == "primary")}
    return counts


# --- the practice's directory ----------------------------------------------------------------------

@dataclass
class DirectoryEntry:
    portal: Portal
    reasons: list = field(default_factory=list)  # human sentences: why the practice needs it
    contracts: list = field(default_factory=list)
    carriers: dict = field(default_factory=dict)  # carrier id -> Carrier
    function_codes: set = field(default_factory=set)
    functions: list = field(default_factory=list)
    enrollments: list = field(default_factory=list)
    administrators: list = field(default_factory=list)

    @property
    def registered(self) -> bool:
        return any(e.is_active for e in self.enrollments)

    @property
    def status_label(self) -> str:
        if self.registered:
            return "Registered"
        if self.enrollments:
            return self.enrollments[0].get_status_display()
        return "Not registered"

    @property
    def active_administrators(self) -> list:
        return [a for a in self.administrators if a["active"]]

    @property
    def downtime_protocol(self) -> str:
        own = next((e.downtime_protocol for e in self.enrollments if e.downtime_protocol), "")
        return own or self.portal.downtime_protocol

    @property
    def support_phone(self) -> str:
        return next((e.support_phone for e in self.enrollments if e.support_phone), "") or self.portal.support_phone

    @property
    def fallback_phones(self) -> list[tuple[str, str]]:
        """Each carrier's provider-services line (the contract's, else the carrier's): the last resort."""
        phones = {}
        for contract in self.contracts:
            phone = contract.provider_services_phone or contract.carrier.provider_services_phone
            if phone:
                phones.setdefault(contract.carrier.name, phone)
        for c in self.carriers.values():
            if c.provider_services_phone:
                phones.setdefault(c.name, c.provider_services_phone)
        return sorted(phones.items())


def current_contracts(organization, on: datetime.date | None = None):
    on = on or timezone.localdate()
    return (
        Contract.objects.filter(organization=organization, effective_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .select_related("carrier")
    )


def practice_locations(organization) -> dict[str, set[str]]:
    """state -> counties of the practice's offices there (the main location and every other one);
    an office with no county counts as '' (the state's default contractor)."""
    where: dict[str, set[str]] = {}
    if organization.practice_state:
        where.setdefault(organization.practice_state.upper(), set()).add(organization.practice_county or "")
    for state, county in organization.locations.values_list("state", "county"):
        where.setdefault(state.upper(), set()).add(county or "")
    return where


def contract_states(contract: Contract, organization, locations: dict[str, set[str]] | None = None) -> list[str]:
    if locations is None:
        locations = practice_locations(organization)
    states = contract.states or organization.billing_states or list(locations)
    return sorted({s.upper() for s in states})


def _contract_portals(organization, contracts):
    """contract -> [(portal_id, reason, function codes)] plus the preloaded reach rows."""
    carrier_ids = {c.carrier_id for c in contracts}
    reaches = list(
        PortalReach.objects.filter(carrier_id__in=carrier_ids)
        .filter(Q(organization__isnull=True) | Q(organization=organization))
        .select_related("portal").prefetch_related("functions")
    )
    mac_types = {c.carrier.mac_type for c in contracts if c.carrier.mac_type}
    coverage = _coverage_rows(mac_types) if mac_types else []
    by_carrier: dict[int, list[PortalReach]] = {}
    for r in reaches:
        by_carrier.setdefault(r.carrier_id, []).append(r)

    locations = practice_locations(organization)
    mapping = {}
    for contract in contracts:
        carrier = contract.carrier
        states = contract_states(contract, organization, locations)
        targets = []
        reach_by_portal = {r.portal_id: r for r in by_carrier.get(carrier.pk, [])}
        if carrier.mac_type:
            for state in states:
                # Each office in the state can have its own contractor (Virginia Part B splits by county).
                for county in sorted(locations.get(state) or {""}):
                    mac = _resolve(coverage, state, carrier.mac_type, county)
                    if mac is None or mac.portal_id is None:
                        continue
                    reach = reach_by_portal.get(mac.portal_id)
                    codes = {f.code for f in reach.functions.all()} if reach else set()
                    where = "nationwide" if mac.nationwide else state + (f" ({county})" if county else "")
                    target = (mac.portal_id, f"{carrier.name} in {where} → {mac.code} ({mac.contractor})", codes)
                    if target[:2] not in {t[:2] for t in targets}:
                        targets.append(target)
        else:
            for reach in by_carrier.get(carrier.pk, []):
                portal = reach.portal
                if not portal.is_active:
                    continue
                if reach.lines_of_business and contract.line_of_business not in reach.lines_of_business:
                    continue
                if portal.states and not set(portal.states) & set(states):
                    continue
                codes = {f.code for f in reach.functions.all()}
                targets.append((portal.pk, f"{carrier.name} ({contract.get_line_of_business_display()} contract)", codes))
        mapping[contract.pk] = targets
    return mapping


def practice_directory(organization, *, on: datetime.date | None = None,
                       catalog: list[PortalFunction] | None = None) -> list[DirectoryEntry]:
    """Every portal the practice needs (from its contracts and states), plus the ones it enrolled
    in or added itself, with why, functions, registration, administrators and downtime steps.

    catalog: portal_functions_catalog() when the caller already read it (the directory page shows it too)."""
    contracts = list(current_contracts(organization, on))
    mapping = _contract_portals(organization, contracts)
    enrollments = list(PortalEnrollment.objects.filter(organization=organization).exclude(status=PortalEnrollment.Status.CLOSED))

    needed: dict[int, dict] = {}
    for contract in contracts:
        for portal_id, reason, codes in mapping[contract.pk]:
            slot = needed.setdefault(portal_id, {"reasons": [], "contracts": [], "codes": set(), "carriers": {}})
            if reason not in slot["reasons"]:
                slot["reasons"].append(reason)
            if contract not in slot["contracts"]:
                slot["contracts"].append(contract)
            slot["codes"] |= codes
            slot["carriers"][contract.carrier_id] = contract.carrier

    portal_ids = set(needed) | {e.portal_id for e in enrollments}
    portals = list(
        Portal.objects.filter(Q(pk__in=portal_ids) | Q(organization=organization, is_active=True))
        .prefetch_related(Prefetch("functions", queryset=PortalFunction.objects.order_by("sort_order")))
    )
    enrollments_by_portal: dict[int, list] = {}
    for e in enrollments:
        enrollments_by_portal.setdefault(e.portal_id, []).append(e)
    admins = enrollment_administrators(e.pk for e in enrollments)
    entries = []
    for portal in portals:
        slot = needed.get(portal.pk)
        portal_functions = list(portal.functions.all())
        entry = DirectoryEntry(portal=portal)
        if slot:
            entry.reasons, entry.contracts, entry.carriers = slot["reasons"], slot["contracts"], slot["carriers"]
            entry.function_codes = slot["codes"] or {f.code for f in portal_functions}
        else:
            entry.reasons = ["Your own portal" if portal.organization_id else "Enrolled; no current contract needs it"]
            entry.function_codes = {f.code for f in portal_functions}
        entry.enrollments = list(enrollments_by_portal.get(portal.pk, []))
        entry.enrollments.sort(key=lambda e: (not e.is_active, e.pk))
        for e in entry.enrollments:
            entry.administrators.extend(admins.get(e.pk, []))
        entries.append(entry)
    fn_order = {f.code: f for f in (portal_functions_catalog() if catalog is None else catalog)} if entries else {}
    for entry in entries:
        entry.functions = [fn_order[c] for c in fn_order if c in entry.function_codes]
    entries.sort(key=lambda e: (bool(not e.contracts), e.portal.name.lower()))
    return entries


def portal_functions_catalog() -> list[PortalFunction]:
    return list(PortalFunction.objects.order_by("sort_order", "name"))


def filter_directory(entries, *, q: str = "", architecture: str = "", function: str = "", carrier: str = "", registered: str = ""):
    q = (q or "").strip().lower()
    out = []
    for e in entries:
        if architecture and e.portal.architecture != architecture:
            continue
        if function and function not in e.function_codes:
            continue
        if carrier and not any(str(cid) == str(carrier) for cid in e.carriers):
            continue
        if registered == "yes" and not e.registered or registered == "no" and e.registered:
            continue
        if q:
            hay = " ".join([e.portal.name, e.portal.operator, *(c.name for c in e.carriers.values()), *e.reasons]).lower()
            if q not in hay:
                continue
        out.append(e)
    return out


# --- gaps ------------------------------------------------------------------------------------------

@dataclass
class Gaps:
    contracts_without_portal: list = field(default_factory=list)  # (contract, reason)
    enrollments_short_of_administrators: list = field(default_factory=list)  # (enrollment, active count)
    administrator_limits_exceeded: list = field(default_factory=list)  # (enrollment, rule, count)

    @property
    def total(self) -> int:
        return len(self.contracts_without_portal) + len(self.enrollments_short_of_administrators) + len(self.administrator_limits_exceeded)


def directory_gaps(organization, *, on: datetime.date | None = None) -> Gaps:
    gaps = Gaps()
    contracts = list(current_contracts(organization, on))
    mapping = _contract_portals(organization, contracts)
    enrollments = list(
        PortalEnrollment.objects.filter(organization=organization).exclude(status=PortalEnrollment.Status.CLOSED)
        .select_related("portal")
    )
    registered_portals = {e.portal_id for e in enrollments if e.is_active}
    for contract in contracts:
        targets = mapping[contract.pk]
        if not targets:
            gaps.contracts_without_portal.append((contract, "No portal in the directory reaches this carrier; add a custom portal."))
        elif not {pid for pid, _, _ in targets} & registered_portals:
            gaps.contracts_without_portal.append((contract, "Not registered on any portal that serves it."))

    counts = active_administrator_counts(e.pk for e in enrollments)
    rules: dict[int, list[PortalAccountRule]] = {}
    for rule in PortalAccountRule.objects.filter(
        portal_id__in={e.portal_id for e in enrollments},
        kind__in=[PortalAccountRule.Kind.MAX_ADMINISTRATORS, PortalAccountRule.Kind.MAX_PRIMARY_ADMINISTRATORS],
        number__isnull=False,
    ):
        rules.setdefault(rule.portal_id, []).append(rule)
    for e in enrollments:
        c = counts.get(e.pk, {"total": 0, "primary": 0})
        if e.is_active and c["total"] < MIN_ACTIVE_ADMINISTRATORS:
            gaps.enrollments_short_of_administrators.append((e, c["total"]))
        for rule in rules.get(e.portal_id, []):
            n = c["primary"] if rule.kind == PortalAccountRule.Kind.MAX_PRIMARY_ADMINISTRATORS else c["total"]
            if n > rule.number:
                gaps.administrator_limits_exceeded.append((e, rule, n))
    return gaps


# --- lists -----------------------------------------------------------------------------------------

def visible_portals(organization):
    """Reference portals plus this practice's own (never another practice's)."""
    return Portal.objects.filter(Q(organization__isnull=True, is_active=True) | Q(organization=organization))


def visible_carriers(organization):
    return Carrier.objects.filter(Q(organization__isnull=True, is_active=True) | Q(organization=organization))


def directory_cards(organization) -> list[dict]:
    """Dashboard cards, one query each; every role may read the directory."""
    registered = PortalEnrollment.objects.filter(organization=organization, status=PortalEnrollment.Status.REGISTERED).count()
    contracts = current_contracts(organization).count()
    return [
        {"label": "Portals registered", "value": registered, "url_name": "directory", "tone": "" if registered else "bad"},
        {"label": "Current contracts", "value": contracts, "url_name": "directory_contracts"},
    ]
