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

        from . import bridge, checks, rules  # noqa: F401  (hooks, the daily check, finding rules)

        bridge.install()
