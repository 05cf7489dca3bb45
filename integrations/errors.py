"""One error shape for the whole REST API:

    {"detail": "<what went wrong, in words>", "code": "<machine code>", "errors": {"<field>": ["..."]}}

`errors` is present on 400 answers with field errors only. Every status the API answers with
(400, 401, 403, 404, 405, 409, 415, 429) uses it, and the schema documents it as `Error`.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback


def _flatten(detail):
    if isinstance(detail, dict):
        return {str(k): _messages(v) for k, v in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value) -> list[str]:
    if isinstance(value, list | tuple):
        out = []
        for v in value:
            out.extend(_messages(v) if isinstance(v, list | tuple | dict) else [str(v)])
        return out
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _messages(v)]
    return [str(value)]


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) and "matches the given query" not in str(exc) else None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None  # a real server error: Django's 500 handling
    headers = {}
    if auth := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait) or 1)
    if isinstance(exc, exceptions.ValidationError):
        body = {"detail": "The request has invalid input; nothing was changed.", "code": "invalid",
                "errors": _flatten(exc.detail)}
    else:
        detail = exc.detail
        code = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        body = {"detail": " ".join(_messages(detail)), "code": code if isinstance(code, str) else "error"}
    if isinstance(exc, exceptions.Throttled):
        body["detail"] = (f"Too many requests from this credential or address; retry in {headers['Retry-After']} "
                          "seconds (see Retry-After).") if "Retry-After" in headers else "Too many requests."
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


ERROR_STATUSES = {
    status.HTTP_400_BAD_REQUEST: "Invalid input (field errors under `errors`); nothing was changed.",
    status.HTTP_401_UNAUTHORIZED: "No credential, or a malformed, unknown, expired or revoked token.",
    status.HTTP_403_FORBIDDEN: "The credential (or person) lacks the permission, or the organization is another's.",
    status.HTTP_404_NOT_FOUND: "No such organization, or no such object in it.",
    status.HTTP_429_TOO_MANY_REQUESTS: "Rate limit reached; retry after the Retry-After seconds.",
}
