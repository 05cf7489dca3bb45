"""Build a believable demo practice. Safe to run twice: every step finds what exists before creating."""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import GroupNPI, MedicarePTAN, Organization, Role, User
from accounts.services import membership_grant
from core.demo_guard import ensure_demo_allowed

DEMO_PASSWORD = "portalgov-demo-2026"  # noqa: S105  (printed for the local demo; never a production login)

DEMO_ORGS = [
    {
        "slug": "cascade-family", "legal_name": "Cascade Family Medicine, PLLC", "tin": "914567812",
        "billing_states": ["OR", "WA"], "practice_state": "WA", "practice_county": "King",
        "npis": [("1245319599", "Cascade Family Medicine (group)")], "ptans": [("WA1234567", "WA")],
    },
    {
        "slug": "potomac-ortho", "legal_name": "Potomac Orthopedic Associates, PC", "tin": "541234567",
        "billing_states": ["DC", "MD", "VA"], "practice_state": "VA", "practice_county": "Fairfax",
        "npis": [("1003000126", "Potomac Orthopedic Associates")], "ptans": [("VA7654321", "VA")],
    },
]

DEMO_USERS = [
    # email, name, {org slug: role}, platform operator
    ("admin@demo.portalgov.test", "Maria Alvarez", {"cascade-family": Role.ADMINISTRATOR, "potomac-ortho": Role.ADMINISTRATOR}, True),
    ("billing@demo.portalgov.test", "Derek Okafor", {"cascade-family": Role.BILLING_MANAGER}, False),
    ("auditor@demo.portalgov.test", "Priya Raman", {"cascade-family": Role.AUDITOR, "potomac-ortho": Role.AUDITOR}, False),
    ("staff@demo.portalgov.test", "Jenny Lindqvist", {"cascade-family": Role.STAFF}, False),
]


def _optional(module: str, func: str):
    """Steps other apps contribute (directory, staff, MFA); absent while an app is not installed."""
    try:
        return getattr(importlib.import_module(module), func)
    except (ImportError, AttributeError):
        return None


class Command(BaseCommand):
    help = "Create or refresh the demo practices, their logins, staff, portals and accounts (idempotent)."

    def handle(self, *args, **options):
        ensure_demo_allowed("seed_demo")
        load_directory = _optional("carriers.services", "load_reference_directory")
        if load_directory:
            load_directory()
        with transaction.atomic():
            orgs = {spec["slug"]: self._organization(spec) for spec in DEMO_ORGS}
            users = [self._user(email, name, roles, operator, orgs) for email, name, roles, operator in DEMO_USERS]
        for step in (("carriers.demo", "seed_demo_directory"), ("staff.demo", "seed_demo_staff"),
                     ("training.demo", "seed_demo_training"), ("reviews.demo", "seed_demo_review"),
                     ("reconciliation.demo", "seed_demo_reconciliation"), ("compliance.demo", "seed_demo_trends")):
            func = _optional(*step)
            for org in orgs.values():
                if func:
                    func(org)
        ensure_mfa = _optional("accounts.demo", "ensure_demo_mfa")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        site = getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000"
        self.stdout.write(f"Sign in at {site}/ with:")
        for user, (email, _name, roles, _op) in zip(users, DEMO_USERS, strict=True):
            what = ", ".join(f"{r.label.lower()} of {slug}" for slug, r in roles.items())
            line = f"  {email:<30} password {DEMO_PASSWORD}   ({what})"
            secret = ensure_mfa(user) if ensure_mfa else None
            if secret:
                line += f"\n  {'':<30} TOTP secret {secret} (add it to an authenticator app, or run: DEBUG=1 .venv/bin/python manage.py demo_totp {email})"
            self.stdout.write(line)

    def _organization(self, spec):
        org, _ = Organization.objects.get_or_create(
            slug=spec["slug"],
            defaults={k: spec[k] for k in ("legal_name", "tin", "billing_states", "practice_state", "practice_county")},
        )
        for npi, label in spec["npis"]:
            GroupNPI.objects.get_or_create(organization=org, npi=npi, defaults={"label": label})
        for ptan, state in spec["ptans"]:
            MedicarePTAN.objects.get_or_create(organization=org, ptan=ptan, defaults={"state": state})
        return org

    def _user(self, email, name, roles, operator, orgs):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name, is_staff=operator)
        for slug, role in roles.items():
            membership_grant(organization=orgs[slug], user=user, role=role)
        return user
