"""Request context for the audit log (replaces django-auditlog's middleware).

django-auditlog's own middleware takes the client's IP from the left-most X-Forwarded-For entry,
which any client can forge. This one uses core.middleware.client_ip (REMOTE_ADDR, or what our own
trusted proxies appended, per TRUSTED_PROXY_COUNT) for both business events and auditlog diffs, and
makes the signed-in user the acting identity for record_event too.
"""

from auditlog.cid import set_cid
from auditlog.context import auditlog_value, set_extra_data

from core.context import Actor, acting_as
from core.middleware import client_ip


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        set_cid(request)
        user = getattr(request, "user", None)
        signed_in = user if user is not None and user.is_authenticated else None
        context = {"actor": signed_in, "remote_addr": client_ip(request), "remote_port": None}
        token = auditlog_value.set({})  # auditlog never resets its context variable; we do, after the request
        try:
            with set_extra_data(context_data=context):
                if signed_in is None:
                    return self.get_response(request)
                with acting_as(Actor.for_user(signed_in)):
                    return self.get_response(request)
        finally:
            auditlog_value.reset(token)
