from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "findings"
    verbose_name = "Findings"

    def ready(self):
        from audits.signals import verification_failed

        from . import checks  # noqa: F401  (registers the daily hygiene check)
        from .services import on_audit_verification_failed

        # The audit layer announces a failed verification; it never imports findings (invariant 15).
        verification_failed.connect(on_audit_verification_failed, dispatch_uid="findings.audit_verification_failed")
