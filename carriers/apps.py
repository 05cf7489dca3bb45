from django.apps import AppConfig


class CarriersConfig(AppConfig):
    name = "carriers"
    verbose_name = "Carriers and portals"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .functions import ensure_portal_functions

        post_migrate.connect(ensure_portal_functions, sender=self)
