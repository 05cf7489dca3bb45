from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Portal training"

    def ready(self):
        from audits.registry import govern

        from . import findings_hook  # noqa: F401  (adds the untrained-holder finding to the rules engine)

        govern(self.get_model("TrainingModule"), exclude_fields=["updated_at"])
        govern(self.get_model("TrainingCompletion"))
