"""Demo contracts, enrollments and a custom portal for a demo practice (called by seed_demo).

Idempotent: each row is created through the services (so it is audited once) only when it is
missing; a second run creates nothing."""

import datetime

from core.context import Actor, acting_as

from . import services
from .models import Carrier, Contract, Portal, PortalEnrollment

START = datetime.date(2024, 1, 1)

# practice state -> (contracts [(carrier key, line of business, states)], enrollments [(portal key, status)])
PLANS = {
    "WA": (
        [("medicare-ab", "medicare", []), ("aetna", "commercial", []), ("premera", "commercial", ["WA"]),
         ("uhc", "commercial", []), ("uhc", "medicare_advantage", []), ("wa-lni", "workers_comp", ["WA"])],
        [("noridian-nmp", "registered"), ("availity", "registered"), ("uhc-provider-portal", "in_progress"),
         ("optum-pay", "not_started")],
    ),
    "VA": (
        [("medicare-ab", "medicare", []), ("anthem", "commercial", []), ("cigna", "commercial", []),
         ("tricare-east", "tricare", []), ("aetna", "medicare_advantage", [])],
        [("novitasphere", "registered"), ("availity", "registered"), ("cignaforhcp", "in_progress")],
    ),
}
CUSTOM_PORTAL = {
    "WA": {"name": "Puget Sound Regional IPA portal", "architecture": "standalone",
           "url": "https://ipa-portal.example.org/login", "states": ["WA"],
           "downtime_protocol": "Call the IPA's provider line and note the reference number."},
}


def seed_demo_directory(organization) -> dict:
    if not Portal.objects.filter(organization__isnull=True).exists():
        services.load_reference_directory()
    contracts, enrollments = PLANS.get((organization.practice_state or "WA").upper(), PLANS["WA"])
    made = {"contracts": 0, "enrollments": 0, "portals": 0}
    ptan = organization.ptans.first()
    npi = organization.group_npis.first()
    with acting_as(Actor.job("seed_demo")):
        for key, lob, states in contracts:
            carrier = Carrier.objects.filter(organization__isnull=True, reference_key=key).first()
            if carrier is None or Contract.objects.filter(organization=organization, carrier=carrier, line_of_business=lob).exists():
                continue
            services.contract_create(organization=organization, actor=None, carrier=carrier, line_of_business=lob,
                                     effective_date=START, states=states)
            made["contracts"] += 1
        for key, status in enrollments:
            portal = Portal.objects.filter(organization__isnull=True, reference_key=key).first()
            if portal is None or PortalEnrollment.objects.filter(organization=organization, portal=portal).exists():
                continue
            is_mac = portal.architecture == Portal.Architecture.MAC
            services.enrollment_create(
                organization=organization, actor=None, portal=portal, tin=organization.tin, status=status,
                npi=npi.npi if (npi and is_mac) else "", ptan=ptan.ptan if (ptan and is_mac) else "",
                started_on=START if status != "not_started" else None,
                registered_on=datetime.date(2024, 2, 1) if status == "registered" else None,
            )
            made["enrollments"] += 1
        spec = CUSTOM_PORTAL.get((organization.practice_state or "").upper())
        if spec and not Portal.objects.filter(organization=organization, name=spec["name"]).exists():
            aetna = Carrier.objects.filter(organization__isnull=True, reference_key="aetna").first()
            services.custom_portal_create(organization=organization, actor=None, carriers=[aetna] if aetna else [], **spec)
            made["portals"] += 1
    return made
