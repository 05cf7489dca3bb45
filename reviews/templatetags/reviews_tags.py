from django import template

from reviews.models import FLAG_LABELS

register = template.Library()


@register.filter
def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag.replace("_", " ").capitalize())


@register.filter
def account_status_label(code: str) -> str:
    """An account status by its name ("deactivation_pending" -> "Deactivation pending")."""
    from access.models import AccountStatus

    try:
        return AccountStatus(code).label
    except ValueError:
        return str(code or "").replace("_", " ").capitalize()
