from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "findings"
    verbose_name = "Findings"

    def ready(self):
        from . import checks  # noqa: F401  (registers the daily hygiene check)
