from django.apps import AppConfig


class HygieneConfig(AppConfig):
    name = "hygiene"
    verbose_name = "Scheduled jobs and account hygiene"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .schedules import ensure_default_schedules

        post_migrate.connect(ensure_default_schedules, sender=self)

        from audits.signals import daily_verification_finished

        from .services import record_audit_verification_run

        daily_verification_finished.connect(record_audit_verification_run, dispatch_uid="hygiene.audit_verify_run")
