from django.apps import AppConfig


class OffboardingConfig(AppConfig):
    name = "offboarding"
    verbose_name = "Offboarding and account hygiene"

    def ready(self):
        from audits.registry import govern

        govern(self.get_model("OffboardingSettings"), exclude_fields=["updated_at"])
        govern(self.get_model("OffboardingCase"))
        govern(self.get_model("ChecklistItem"))
        govern(self.get_model("ExternalRecertification"), exclude_fields=["updated_at"])

        from . import checks, hooks, rules  # noqa: F401  (the daily check, hooks, finding rules)

        hooks.install()
