"""The eleven portal functions, so every database (and every test) has them after migrate.

load_directory keeps them up to date from reference_data/functions.csv afterwards.
"""

from django.db import migrations

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


def add_functions(apps, schema_editor):
    PortalFunction = apps.get_model("carriers", "PortalFunction")
    for order, (code, name, sensitivity) in enumerate(FUNCTIONS, start=1):
        PortalFunction.objects.get_or_create(
            code=code, defaults={"name": name, "sensitivity": sensitivity, "sort_order": order * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("carriers", "0001_initial")]
    operations = [migrations.RunPython(add_functions, migrations.RunPython.noop)]
