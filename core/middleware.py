import json
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


# C0 controls, DEL and C1 controls. Tab, CR and LF are allowed in posted text (multi-line fields such as notes),
# never in a query string (a search or filter is one line).
_CONTROL = "".join(chr(c) for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)])
_CONTROL_MULTILINE = _CONTROL.replace("\t", "").replace("\n", "").replace("\r", "")
_MAX_JSON_SCAN = 1_000_000


def _bad_char(text: str, forbidden: str) -> str | None:
    for ch in text:
        if ch in forbidden:
            return f"U+{ord(ch):04X}"
    return None


def _scan_json(value, path="body"):
    """(field path, character) of the first control character in a parsed JSON document, or None."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if bad := _bad_char(item, _CONTROL_MULTILINE):
                return where, bad
        elif isinstance(item, dict):
            for k, v in item.items():
                if bad := _bad_char(str(k), _CONTROL):
                    return f"{where}.{k!r}", bad
                stack.append((str(k) if where == "body" else f"{where}.{k}", v))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", v) for i, v in enumerate(item))
    return None


class ControlCharacterMiddleware:
    """One place that refuses NUL and other control characters in text input, on every page and API
    call: query strings, form posts and JSON bodies. A 400 that names the field, before any view runs
    (PostgreSQL refuses NUL in text, which would otherwise be a 500), in the shape the caller reads:
    the API's error shape, a SCIM error, or the 400 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = self._find(request)
        if found is None:
            return self.get_response(request)
        field, char = found
        detail = (f"{field} contains a control character ({char}); text may not contain NUL or other control "
                  "characters (tab and line breaks only in multi-line fields). Nothing was changed.")
        return self._refuse(request, field, detail)

    def _find(self, request):
        for key, values in request.GET.lists():
            if bad := _bad_char(key, _CONTROL):
                return "a query parameter name", bad
            for value in values:
                if bad := _bad_char(value, _CONTROL):
                    return key, bad
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        content_type = (request.content_type or "").lower()
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            # Too large or too many fields raise here, and Django answers 400 as it would have anyway.
            items = list(request.POST.lists())
            for key, values in items:
                if bad := _bad_char(key, _CONTROL):
                    return "a form field name", bad
                for value in values:
                    if bad := _bad_char(value, _CONTROL_MULTILINE):
                        return key, bad
        elif content_type.endswith("json"):
            body = request.body
            if len(body) > _MAX_JSON_SCAN:
                return None
            try:
                document = json.loads(body)
            except ValueError:
                return None  # unreadable JSON: the view answers its own parse error
            return _scan_json(document)
        return None

    def _refuse(self, request, field, detail):
        from django.http import JsonResponse
        from django.shortcuts import render

        if request.path.startswith("/scim/"):
            return JsonResponse({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400",
                                 "scimType": "invalidValue", "detail": detail}, status=400,
                                content_type="application/scim+json")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail, "code": "invalid", "errors": {field: [detail]}}, status=400)
        return render(request, "400.html", {"reason": detail}, status=400)
