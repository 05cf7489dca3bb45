"""The eleven portal functions every database must have (policies, accounts and reviews refer to them).

Migration 0002 creates them once; this post_migrate handler puts back any that are missing, e.g. after
a test database flush, without touching rows load_directory has updated.
"""

FUNCTIONS = [
    ("eligibility_benefits", "Eligibility & benefits", "standard"),
    ("claim_status", "Claim status", "standard"),
    ("claim_submission", "Claim submission & correction", "standard"),
    ("prior_authorization", "Prior authorization & referrals", "standard"),
    ("remittance_era", "Remittance / ERA", "financial"),
    ("payments_eft", "Payments / EFT", "financial"),
    ("fee_schedules", "Fee schedules", "financial"),
    ("coordination_of_benefits", "Coordination of benefits", "standard"),
    ("appeals", "Appeals & reopenings", "standard"),
    ("provider_data_maintenance", "Provider data maintenance", "administrative"),
    ("portal_user_administration", "Portal user administration", "administrative"),
]


def ensure_portal_functions(sender=None, using="default", **kwargs):
    from .models import PortalFunction

    existing = set(PortalFunction.objects.using(using).values_list("code", flat=True))
    PortalFunction.objects.using(using).bulk_create([
        PortalFunction(code=code, name=name, sensitivity=sensitivity, sort_order=order * 10)
        for order, (code, name, sensitivity) in enumerate(FUNCTIONS, start=1)
        if code not in existing
    ])
