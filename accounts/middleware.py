"""Second-factor enforcement: a login that must use MFA reaches nothing but the MFA pages
(and sign-out) until this session passed it; one that has not enrolled is sent to enrolment."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect

from . import mfa

NOT_NEEDED_KEY = "_portalgov_mfa_not_needed"
RECHECK_SECONDS = 60

# Pages open to a signed-in user whose session has not passed MFA yet.
OPEN_URL_NAMES = frozenset({
    "login", "logout", "mfa_enroll", "mfa_verify", "mfa_recovery", "session_keepalive",
    "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
    "healthz",
})  # fmt: skip


class MFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or mfa.session_is_verified(request):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in OPEN_URL_NAMES:
            return None
        # A login that needs no second factor would cost two queries per request; the answer is
        # kept in the session for a minute, so a policy change still takes effect quickly.
        checked = request.session.get(NOT_NEEDED_KEY)
        if isinstance(checked, list) and checked[0] == str(user.pk) and time.time() - checked[1] < RECHECK_SECONDS:
            return None
        enrolled = mfa.is_enrolled(user)
        if not enrolled and not mfa.mfa_required(user):
            request.session[NOT_NEEDED_KEY] = [str(user.pk), time.time()]
            return None  # MFA is optional for this login and they have not turned it on
        request.session.pop(NOT_NEEDED_KEY, None)
        target = "mfa_verify" if enrolled else "mfa_enroll"
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Multi-factor sign-in required: finish it in the browser first."}, status=403
            )
        url = redirect(target).url
        if request.method == "GET" and not request.path.startswith(settings.STATIC_URL):
            url += "?" + urlencode({"next": request.get_full_path()})
        response = redirect(url)
        if request.headers.get("HX-Request"):
            response["HX-Redirect"] = url  # a whole-page move, not a fragment swap
        return response
