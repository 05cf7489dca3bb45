from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("carriers", "0003_portal_url_optional")]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="provider_services_phone",
            field=models.CharField(
                blank=True, max_length=40,
                help_text="The carrier's provider-services line for this contract: the fallback when portals are down.",
            ),
        ),
    ]
