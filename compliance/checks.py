from django.utils import timezone

from hygiene.services import register_hygiene_check

from .services import snapshot_take


@register_hygiene_check("compliance_snapshot")
def compliance_snapshot_check(organization, now) -> dict:
    # Registered after the findings check (apps load in INSTALLED_APPS order), so today's figures
    # include what this run found.
    snapshot_take(organization=organization, day=timezone.localdate(now))
    return {"snapshots": 1}
