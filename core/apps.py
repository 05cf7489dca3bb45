from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "PortalGov core"

    def ready(self):
        from django.core.checks import Tags, register

        from portalgov.secret_checks import check_secrets

        from . import lookups  # noqa: F401 (registers `in` for integer columns: core/lookups.py)

        # `check --deploy` reports a missing or malformed secret too (settings.py already stops on one).
        register(check_secrets, Tags.security, deploy=True)
