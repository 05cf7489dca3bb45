from django.apps import AppConfig


class HygieneConfig(AppConfig):
    name = "hygiene"
    verbose_name = "Scheduled jobs and account hygiene"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .schedules import ensure_default_schedules

        post_migrate.connect(ensure_default_schedules, sender=self)
