from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reconciliation"
    verbose_name = "Portal user-list reconciliation"

    def ready(self):
        from . import findings_hook  # noqa: F401  (registers the unresolved-difference rule)
