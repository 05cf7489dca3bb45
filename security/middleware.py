"""Idle sign-out, enforced by the server: a session with no request for IDLE_TIMEOUT_SECONDS is
signed out at its next request (the page's warning in static/js/idle.js is only a courtesy)."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import resolve_url

from audits.services import record_event

LAST_ACTIVITY_KEY = "_portalgov_last_activity"
# Writing the session on every request would be wasteful; a few seconds of slack is harmless.
TOUCH_EVERY_SECONDS = 5


def idle_timeout_seconds() -> int:
    return int(getattr(settings, "IDLE_TIMEOUT_SECONDS", 15 * 60))


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        now = time.time()
        last = request.session.get(LAST_ACTIVITY_KEY)
        timeout = idle_timeout_seconds()
        if isinstance(last, int | float) and now - last > timeout:
            return self._sign_out(request, user, idle_seconds=int(now - last))
        response = self.get_response(request)
        # A status poll (request.idle_passive) must not count as activity.
        if (
            not getattr(request, "idle_passive", False)
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
            and (not isinstance(last, int | float) or now - last >= TOUCH_EVERY_SECONDS)
        ):
            request.session[LAST_ACTIVITY_KEY] = now
        return response

    def _sign_out(self, request, user, *, idle_seconds):
        record_event(
            "auth.idle_logout", actor=user, target=user, organization=user.last_organization_id,
            changes={"idle_seconds": idle_seconds, "limit_seconds": idle_timeout_seconds()},
        )
        logout(request)
        minutes = max(1, idle_timeout_seconds() // 60)
        if request.path.startswith("/api/") or request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"detail": "Signed out after inactivity.", "idle_logout": True}, status=401)
        messages.info(request, f"You were signed out after {minutes} minutes without activity.")
        login_url = resolve_url(settings.LOGIN_URL)
        target = login_url + "?" + urlencode({"next": request.get_full_path()}) if request.method == "GET" else login_url
        from django.http import HttpResponseRedirect

        response = HttpResponseRedirect(target)
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = target
        return response
