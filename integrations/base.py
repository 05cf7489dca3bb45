"""What every REST API view shares: bearer credentials or a signed-in session, the credential acting as
"api:<name>" for the whole request, rate limits (address first, then credential), one error shape
(integrations.errors) and bounded pages."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.pagination import LimitOffsetPagination

from accounts.tenancy import HasOrganizationPermission
from core.context import acting_as

from .authentication import ApiCredentialAuthentication
from .models import ApiCredential
from .services import credential_actor
from .throttling import AddressFirstMixin

MAX_PAGE = 200
MAX_OFFSET = 2**31 - 1  # far beyond any roster; keeps OFFSET inside PostgreSQL's bigint
MAX_ID = 2**63 - 1  # PostgreSQL bigint: a larger id can name nothing
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def query_choice(params, name, choices) -> str:
    """A filter with fixed values: absent is no filter; anything else (an empty value too) must be one of them."""
    value = params.get(name)
    if value is None:
        return ""
    if value not in choices:
        raise APIValidationError({name: [f"Not one of: {', '.join(choices)}."]})
    return value


def query_id(params, name) -> int | None:
    """An id filter: absent is no filter; otherwise a whole number from 1 to the largest id."""
    raw = params.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 19 or not 1 <= int(raw) <= MAX_ID:
        raise APIValidationError({name: [f"Not an id (a whole number from 1 to {MAX_ID})."]})
    return int(raw)


class BoundedPagination(LimitOffsetPagination):
    """`limit` 1-200 (default 50) and `offset` >= 0; anything else is a 400, never silently replaced."""

    default_limit = 50
    max_limit = MAX_PAGE

    def _param(self, request, name, default, low, high):
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not raw.isdigit() or len(raw) > 12 or not low <= int(raw) <= high:
            raise APIValidationError({name: [f"A whole number from {low} to {high}."]})
        return int(raw)

    def get_limit(self, request):
        return self._param(request, self.limit_query_param, self.default_limit, 1, MAX_PAGE)

    def get_offset(self, request):
        return self._param(request, self.offset_query_param, 0, 0, MAX_OFFSET)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for p in params:
            if p["name"] == self.limit_query_param:
                p["schema"].update(minimum=1, maximum=MAX_PAGE, default=self.default_limit)
            elif p["name"] == self.offset_query_param:
                p["schema"].update(minimum=0, maximum=MAX_OFFSET)
        return params


class IntegrationView(AddressFirstMixin):
    """Bearer credentials or a signed-in session; a credential acts as "api:<name>" in the audit log
    for the whole request (services' record_event and django-auditlog diffs read core.context)."""

    authentication_classes = [ApiCredentialAuthentication, SessionAuthentication]
    permission_classes = [HasOrganizationPermission]
    pagination_class = BoundedPagination
    _acting = None

    def perform_authentication(self, request):
        super().perform_authentication(request)
        if isinstance(request.auth, ApiCredential):
            self._acting = acting_as(credential_actor(request.auth))
            self._acting.__enter__()

    def check_permissions(self, request):
        if not request.user.is_authenticated:
            raise NotAuthenticated()  # 401 with WWW-Authenticate: Bearer, so a client knows to send its token
        super().check_permissions(request)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            if self._acting is not None:
                self._acting.__exit__(None, None, None)
                self._acting = None

    def acting_user(self):
        """What services get as acting_user: the person, or None so they take the credential from the context."""
        user = self.request.user
        return None if getattr(user, "is_api_credential", False) else user


WHEN_SCHEMA = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
_EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
_LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def query_when(params, name, *, end: bool = False) -> dt.datetime | None:
    """A date (the whole day: its start, or with end=True the next day's start) or an ISO date-time, in UTC.
    Absent is None; anything else that is not a date is a 400. Instants beyond what the database keeps are
    clamped (year 1 or 9999), and any offset is turned into UTC first (PostgreSQL refuses offsets past 15:59)."""
    raw = params.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    parsed = None
    try:
        if len(raw) > 10:
            parsed = parse_datetime(raw)
        elif (day := parse_date(raw)) is not None:
            if end:
                if day >= dt.date(9999, 12, 30):
                    return _LATEST
                day += dt.timedelta(days=1)
            parsed = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    except ValueError:
        parsed = None
    if parsed is None:
        raise APIValidationError({name: ["Not a date (YYYY-MM-DD) or ISO 8601 date-time."]})
    if timezone.is_naive(parsed):
        try:
            parsed = timezone.make_aware(parsed)
        except (OverflowError, ValueError):
            return _EARLIEST if parsed.year < 5000 else _LATEST
    try:
        utc = parsed.astimezone(dt.UTC)
    except OverflowError:
        return _EARLIEST if parsed.year < 5000 else _LATEST
    return min(max(utc, _EARLIEST), _LATEST)


def call_service(service, /, **kwargs):
    """A service called from an API view: its django ValidationError becomes the API's 400 with field errors
    (the same rules as the pages, the API's own error shape)."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    try:
        return service(**kwargs)
    except DjangoValidationError as exc:
        raise api_validation_error(exc) from exc


def api_validation_error(exc) -> APIValidationError:
    """A service's django ValidationError as the API's 400 with field errors."""
    if hasattr(exc, "error_dict"):
        return APIValidationError({k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return APIValidationError({"non_field_errors": exc.messages})
