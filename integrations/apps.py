from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations (API credentials)"

    def ready(self):
        from . import schema  # noqa: F401 (registers the bearer scheme with drf-spectacular)
