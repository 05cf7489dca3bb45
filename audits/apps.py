from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Audit log"

    def ready(self):
        from django.apps import apps

        from . import registry  # noqa: F401  (registers the system check)
        from .registry import govern

        # The tenancy models are governance data: their diffs belong in the audit trail.
        govern(apps.get_model("accounts", "Organization"))
        govern(apps.get_model("accounts", "Membership"))
        govern(apps.get_model("accounts", "GroupNPI"))
        govern(apps.get_model("accounts", "MedicarePTAN"))
