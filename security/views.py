"""Session keep-alive / status for the idle warning, and the organization's security page."""

import math
import time

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .middleware import LAST_ACTIVITY_KEY, idle_timeout_seconds


def _remaining(request) -> int:
    last = request.session.get(LAST_ACTIVITY_KEY) or time.time()
    return max(0, math.ceil(idle_timeout_seconds() - (time.time() - last)))


@never_cache
@require_POST
def session_keepalive(request):
    """"Stay signed in": any request counts as activity; this one just answers how long is left."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    request.session[LAST_ACTIVITY_KEY] = time.time()
    return JsonResponse({"signed_in": True, "remaining": idle_timeout_seconds()})


@never_cache
@require_GET
def session_status(request):
    """How long until idle sign-out; does not count as activity (another tab may be busy)."""
    request.idle_passive = True
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    return JsonResponse({"signed_in": True, "remaining": _remaining(request)})

