"""Documents the bearer scheme in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiCredentialScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.ApiCredentialAuthentication"
    name = "apiCredential"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization's API credential (Integrations page): `Authorization: Bearer pgv_...`. "
                           "It carries only the permissions chosen for it, in its own organization.",
        }


NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"

ERROR_COMPONENT = {
    "type": "object",
    "description": "Every error answer of the API has this shape.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, in words."},
        "code": {"type": "string", "description": "A machine code: invalid, not_authenticated, "
                                                  "authentication_failed, permission_denied, not_found, throttled..."},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "description": "On 400 only: the messages for each field (non_field_errors for the whole input)."},
    },
    "required": ["detail", "code"],
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the answers it can give besides its
    success (400, 401, 403, 404, 405, 409, 415, 429) with the one error shape, and 429's Retry-After."""
    from .errors import ERROR_STATUSES

    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    ref = {"$ref": "#/components/schemas/Error"}
    extra = {**ERROR_STATUSES,
             405: "The method is not allowed on this path.",
             406: "The Accept header asks for a format the API does not answer in.",
             415: "The body's Content-Type is not one the API reads (send application/json)."}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for param in operation.get("parameters", []):
                schema = param.get("schema", {})
                if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
                    # core.middleware.ControlCharacterMiddleware refuses control characters in a query string.
                    schema.setdefault("pattern", NO_CONTROL_CHARACTERS)
            codes = dict(extra)
            if method in ("post", "put", "patch"):
                codes[409] = "The change conflicts with one made at the same moment; send it again."
            for code, description in codes.items():
                response = {"description": description, "content": {"application/json": {"schema": ref}}}
                if code == 429:
                    response["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                           "description": "Seconds to wait before retrying."}}
                if code == 401:
                    response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
                operation["responses"].setdefault(str(code), response)
    return result
