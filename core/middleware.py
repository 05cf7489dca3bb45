import uuid

from django.conf import settings

from .context import RequestMeta, reset_request_meta, set_request_meta


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the address our own trusted proxies recorded.

    A client can put anything in X-Forwarded-For, so it is read only when TRUSTED_PROXY_COUNT
    proxies we run append to it, and then from the right, skipping exactly those proxies.
    """
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    """Gives each request an id (echoed as X-Request-ID) and records where it came from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        token = set_request_meta(
            RequestMeta(
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
                request_id=request.request_id,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            reset_request_meta(token)
        response["X-Request-ID"] = request.request_id
        return response
