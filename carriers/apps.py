from django.apps import AppConfig


class CarriersConfig(AppConfig):
    name = "carriers"
    verbose_name = "Carriers and portals"
