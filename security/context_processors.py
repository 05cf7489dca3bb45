from .middleware import idle_timeout_seconds


def idle(request):
    """Idle sign-out settings for static/js/idle.js (read from <meta> tags in base.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from django.conf import settings

    return {
        "idle_timeout_seconds": idle_timeout_seconds(),
        "idle_warning_seconds": getattr(settings, "IDLE_WARNING_SECONDS", 120),
    }
