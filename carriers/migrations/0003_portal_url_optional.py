from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("carriers", "0002_portal_functions")]

    operations = [
        migrations.AlterField(
            model_name="portal",
            name="url",
            field=models.URLField(
                blank=True, help_text="Blank only for reference rows whose URL is unconfirmed.", max_length=500,
                verbose_name="direct URL",
            ),
        ),
    ]
