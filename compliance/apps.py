from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"
    verbose_name = "Compliance over time"

    def ready(self):
        from . import checks  # noqa: F401  (the daily hygiene run takes each organization's snapshot)
