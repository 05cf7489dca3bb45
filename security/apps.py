from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Security (encryption, sessions, lock-out)"

    def ready(self):
        from . import signals  # noqa: F401
