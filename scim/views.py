"""SCIM 2.0 endpoints (RFC 7644) at /scim/v2/, for identity providers (Okta, Microsoft Entra ID,
JumpCloud, Google Workspace) and HR systems. The organization is the credential's own: an identity
provider is configured with the base URL and a token whose credential carries the "scim" scope.

Every call made with a valid credential is an audit event (scim.<operation>) acting as "api:<name>",
refused ones included (warning severity), written after the change's own transaction.
"""

from __future__ import annotations

from django.db import transaction
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from audits.models import AuditEvent
from audits.services import record_event
from core.context import acting_as
from integrations.authentication import ApiCredentialAuthentication
from integrations.models import ApiCredential
from integrations.services import SCIM_SCOPE, credential_actor
from integrations.throttling import AddressFirstMixin

from . import filters, schemas, services
from .errors import ScimError

SCIM_MEDIA = "application/scim+json"
MAX_COUNT = 200


class ScimParser(JSONParser):
    media_type = SCIM_MEDIA


class ScimRenderer(JSONRenderer):
    media_type = SCIM_MEDIA
    charset = None


class AlwaysScim(BaseContentNegotiation):
    """Answer application/scim+json whatever Accept says (RFC 7644 3.1 lets clients send application/json)."""

    def select_parser(self, request, parsers):
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        for parser in parsers:
            if parser.media_type == content_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _error_response(err: ScimError) -> Response:
    response = Response(err.body(), status=err.status, headers=err.headers)
    return response


class ScimView(AddressFirstMixin, APIView):
    schema = None  # SCIM describes itself (/Schemas, /ResourceTypes); it is not part of the OpenAPI document
    authentication_classes = [ApiCredentialAuthentication]
    permission_classes = []
    parser_classes = [ScimParser, JSONParser]
    renderer_classes = [ScimRenderer]
    content_negotiation_class = AlwaysScim
    operation = "read"
    _acting = None

    def perform_authentication(self, request):
        super().perform_authentication(request)
        credential = request.auth if isinstance(request.auth, ApiCredential) else None
        if credential is None:
            raise ScimError(401, None, "Send the API credential's token: Authorization: Bearer pgv_...",
                            headers={"WWW-Authenticate": 'Bearer realm="PortalGov SCIM"'})
        self._credential = credential
        self._acting = acting_as(credential_actor(credential))
        self._acting.__enter__()
        if SCIM_SCOPE not in credential.permissions:
            raise ScimError(403, None, f"The credential api:{credential.name} does not carry the scim scope; "
                                       "create one with it (Integrations page or create_api_credential --scope scim).")
        self.organization = credential.organization
        self.base_url = request.build_absolute_uri("/scim/v2").rstrip("/")

    def handle_exception(self, exc):
        if isinstance(exc, ScimError):
            return _error_response(exc)
        if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
            return _error_response(ScimError(401, None, str(exc.detail),
                                             headers={"WWW-Authenticate": 'Bearer realm="PortalGov SCIM"'}))
        if isinstance(exc, exceptions.Throttled):
            wait = str(int(exc.wait or 1) or 1)
            return _error_response(ScimError(429, None, f"Too many requests; retry in {wait} seconds.",
                                             headers={"Retry-After": wait}))
        if isinstance(exc, exceptions.ParseError):
            return _error_response(ScimError(400, "invalidSyntax", f"The body is not valid JSON: {exc.detail}"))
        if isinstance(exc, exceptions.UnsupportedMediaType):
            return _error_response(ScimError(415, None, f"Send {SCIM_MEDIA} (or application/json)."))
        if isinstance(exc, exceptions.MethodNotAllowed):
            return _error_response(ScimError(405, None, str(exc.detail)))
        if isinstance(exc, exceptions.APIException):
            return _error_response(ScimError(exc.status_code, None, str(exc.detail)))
        raise exc

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        try:
            self._audit(request, response)
        finally:
            if self._acting is not None:
                self._acting.__exit__(None, None, None)
                self._acting = None
        return response

    def _audit(self, request, response):
        credential = getattr(self, "_credential", None)
        if credential is None:
            return  # no valid credential: failed authentication is integrations' own audit event
        target = getattr(self, "audit_target", None)
        ok = response.status_code < 400
        detail = "" if ok else f": {response.data.get('detail', '')}" if isinstance(response.data, dict) else ""
        query = request.META.get("QUERY_STRING", "")
        record_event(
            f"scim.{self.operation}", organization=credential.organization_id, target=target,
            object_type="" if target else "scim", object_label="" if target else request.path[:255],
            changes=getattr(self, "audit_changes", None) or {},
            message=f"{request.method} {request.path}{'?' + query[:300] if query else ''} -> {response.status_code}{detail}"[:1000],
            severity=AuditEvent.Severity.INFO if ok else AuditEvent.Severity.WARNING,
        )

    def body(self, request):
        try:
            return request.data
        except exceptions.ParseError as exc:
            raise ScimError(400, "invalidSyntax", f"The body is not valid JSON: {exc.detail}")


class ServiceProviderConfig(ScimView):
    def get(self, request):
        return Response(schemas.service_provider_config(self.base_url, MAX_COUNT))


class Schemas(ScimView):
    def get(self, request, schema_id=None):
        if schema_id is None:
            return Response(schemas.list_response(schemas.all_schemas(self.base_url)))
        found = schemas.schema(schema_id, self.base_url)
        if found is None:
            raise ScimError(404, "noTarget", f"No schema {schema_id!r}.")
        return Response(found)


class ResourceTypes(ScimView):
    def get(self, request, type_id=None):
        types = schemas.resource_types(self.base_url)
        if type_id is None:
            return Response(schemas.list_response(types))
        found = [t for t in types if t["id"] == type_id]
        if not found:
            raise ScimError(404, "noTarget", f"No resource type {type_id!r} (PortalGov provisions Users only).")
        return Response(found[0])


def _int_param(params, name, default, low, high):
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if not raw.lstrip("-").isdigit() or len(raw) > 30:
        raise ScimError(400, "invalidValue", f"{name} must be an integer.")
    return max(low, min(high, int(raw)))  # RFC 7644 3.4.2.4: out-of-range values are clamped, not refused


class Users(ScimView):
    def get(self, request):
        params = request.query_params
        start = _int_param(params, "startIndex", 1, 1, 10**9)
        count = _int_param(params, "count", 100, 0, MAX_COUNT)
        qs = services.users_queryset(self.organization)
        if (text := params.get("filter")) is not None:
            qs = qs.filter(filters.to_q(filters.parse(text)))
        total = qs.count()
        rows = list(qs[start - 1:start - 1 + count]) if count else []
        return Response({"schemas": [services.LIST_RESPONSE], "totalResults": total, "startIndex": start,
                         "itemsPerPage": len(rows), "Resources": [services.represent(s, self.base_url) for s in rows]})

    def post(self, request):
        self.operation = "create"
        state = services.state_from_resource(self.body(request))
        staff, self.audit_changes = services.user_create(organization=self.organization, state=state)
        self.audit_target = staff
        body = services.represent(staff, self.base_url)
        return Response(body, status=201, headers={"Location": body["meta"]["location"]})


class UserDetail(ScimView):
    def get(self, request, scim_id):
        staff = services.get_user(self.organization, scim_id)
        self.audit_target = staff
        return Response(services.represent(staff, self.base_url))

    def put(self, request, scim_id):
        return self._change(request, scim_id, "replace",
                            lambda body, current: services.state_from_resource(body, base=current))

    def patch(self, request, scim_id):
        return self._change(request, scim_id, "patch", services.state_from_patch)

    def _change(self, request, scim_id, operation: str, new_state):
        """PUT and PATCH: the same user, audit target and apply; only how the new state is read differs."""
        self.operation = operation
        staff = services.get_user(self.organization, scim_id)
        self.audit_target = staff
        state = new_state(self.body(request), services.state_of(staff))
        staff, self.audit_changes = services.user_apply(staff=staff, state=state)
        return Response(services.represent(staff, self.base_url))

    def delete(self, request, scim_id):
        self.operation = "delete"
        staff = services.get_user(self.organization, scim_id)
        self.audit_target = staff
        with transaction.atomic():
            self.audit_changes = services.user_delete(staff=staff)
        return Response(status=204)


class Unsupported(ScimView):
    """Groups and Bulk: PortalGov maps job roles from the User's title, so it has no Groups."""

    def _refuse(self, request, *args, **kwargs):
        raise ScimError(404, "noTarget", "PortalGov provisions Users only: job roles come from each User's title "
                                         "(mapped per practice), not from Groups. Bulk is not supported.")

    get = post = put = patch = delete = _refuse


class NoSuchEndpoint(ScimView):
    def _refuse(self, request, *args, **kwargs):
        raise ScimError(404, "noTarget", "No SCIM endpoint here: see /scim/v2/ResourceTypes.")

    get = post = put = patch = delete = _refuse
