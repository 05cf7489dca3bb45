"""Integrations API (v1) under /api/v1/o/<org_slug>/: the roster for HR systems, portal accounts and
findings for identity providers, the audit log for auditors' tools.

Every view resolves its organization through accounts.tenancy.HasOrganizationPermission and declares
required_permission; writes go through the apps' services (so they are audited, with the API
credential as the actor), never to the models directly.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from access.models import AccountStatus, PortalAccount
from accounts import roles
from audits import selectors as audit_selectors
from audits.models import AuditEvent
from findings.models import Finding, Severity
from findings.selectors import findings_list
from staff import selectors as staff_selectors
from staff import services as staff_services
from staff.models import EmploymentStatus, JobRole, StaffMember

from .base import (
    ID_SCHEMA,
    MAX_PAGE,
    WHEN_SCHEMA,
    IntegrationView,
    api_validation_error,
    call_service,
    query_choice,
    query_id,
    query_when,
)


# --- staff --------------------------------------------------------------------------------------
class StaffMemberSerializer(serializers.ModelSerializer):
    manager_email = serializers.EmailField(source="manager.work_email", read_only=True, default=None,
                                           allow_null=True, help_text="null when the person has no manager.")

    class Meta:
        model = StaffMember
        fields = ["id", "full_name", "work_email", "job_role", "employment_status", "start_date", "end_date",
                  "manager_id", "manager_email", "updated_at"]
        read_only_fields = fields


class StaffUpsertSerializer(serializers.Serializer):
    work_email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200, required=False)
    job_role = serializers.ChoiceField(choices=JobRole.choices, required=False)
    employment_status = serializers.ChoiceField(choices=EmploymentStatus.choices, required=False)
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    manager_email = serializers.EmailField(required=False, allow_null=True, allow_blank=True)


class StaffTerminateSerializer(serializers.Serializer):
    end_date = serializers.DateField(required=False, allow_null=True,
                                     help_text="Last day of employment; today when left out.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                   help_text="Why, as the HR system records it (kept in the audit event); optional.")


STAFF_FILTERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=EmploymentStatus.values),
    OpenApiParameter("job_role", OpenApiTypes.STR, enum=JobRole.values),
    OpenApiParameter("updated_since", WHEN_SCHEMA, description="Only people changed at or after this date "
                                                               "(its start) or date-time."),
]


_choice = query_choice


@extend_schema(parameters=STAFF_FILTERS)
class StaffList(IntegrationView, generics.ListAPIView):
    """The practice roster (HR sync reads it): filter by status, job role and last change."""

    serializer_class = StaffMemberSerializer
    required_permission = roles.VIEW_STAFF

    def get_queryset(self):
        p = self.request.query_params
        qs = staff_selectors.roster_search(
            organization=self.request.organization,
            job_role=_choice(p, "job_role", JobRole.values), status=_choice(p, "status", EmploymentStatus.values),
        )
        if (since := query_when(p, "updated_since")) is not None:
            qs = qs.filter(updated_at__gte=since)
        return qs


class StaffDetail(IntegrationView, generics.RetrieveAPIView):
    serializer_class = StaffMemberSerializer
    required_permission = roles.VIEW_STAFF

    def get_object(self):
        return get_object_or_404(StaffMember.objects.select_related("manager"), pk=self.kwargs["staff_id"],
                                 organization=self.request.organization)


class StaffUpsert(IntegrationView, APIView):
    """Create or update a person by work e-mail (HR sync): sending the same record twice changes nothing."""

    required_permission = roles.MANAGE_STAFF

    @extend_schema(request=StaffUpsertSerializer, responses={200: StaffMemberSerializer, 201: StaffMemberSerializer})
    def post(self, request, org_slug):
        data = StaffUpsertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        org = request.organization
        email = fields.pop("work_email").strip().lower()
        if "manager_email" in fields:
            manager_email = (fields.pop("manager_email") or "").strip()
            manager = None
            if manager_email:
                manager = staff_services.staff_with_email(org, manager_email).first()
                if manager is None:
                    raise APIValidationError({"manager_email": ["No one on this practice's roster has this e-mail."]})
            fields["manager"] = manager
        try:
            with transaction.atomic():
                existing = staff_services.staff_with_email(org, email).first()
                if existing is None:
                    missing = [f for f in ("full_name", "job_role") if not fields.get(f)]
                    if missing:
                        raise APIValidationError({f: ["Required to add a person."] for f in missing})
                    staff = staff_services.staff_create(organization=org, acting_user=self.acting_user(),
                                                        work_email=email, source="api", **fields)
                    code = status.HTTP_201_CREATED
                else:
                    staff = staff_services.staff_update(staff=existing, acting_user=self.acting_user(),
                                                        source="api", **fields)
                    code = status.HTTP_200_OK
        except DjangoValidationError as exc:
            raise api_validation_error(exc) from exc
        except IntegrityError:
            # Two syncs added the same person at the same moment: the other one won; send it again.
            return Response({"detail": "This person was just added by another request; retry."},
                            status=status.HTTP_409_CONFLICT)
        staff = StaffMember.objects.select_related("manager").get(pk=staff.pk)
        return Response(StaffMemberSerializer(staff).data, status=code)


class StaffTerminate(IntegrationView, APIView):
    """Record that a person left (end date, reason): their portal accounts are flagged at once and the
    offboarding checklist opens with its deactivation tasks."""

    required_permission = roles.MANAGE_STAFF

    @extend_schema(request=StaffTerminateSerializer, responses={200: StaffMemberSerializer})
    def post(self, request, org_slug, staff_id):
        staff = get_object_or_404(StaffMember, pk=staff_id, organization=request.organization)
        data = StaffTerminateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        staff = call_service(staff_services.staff_terminate, staff=staff, acting_user=self.acting_user(),
                             end_date=data.validated_data.get("end_date"),
                             source=f"api: {data.validated_data['reason'].strip() or 'terminated'}")
        staff = StaffMember.objects.select_related("manager").get(pk=staff.pk)
        return Response(StaffMemberSerializer(staff).data)


# --- portal accounts ------------------------------------------------------------------------------
class PortalAccountSerializer(serializers.ModelSerializer):
    """No password data: neither the password-manager reference nor password dates."""

    staff_member_email = serializers.EmailField(source="staff_member.work_email", read_only=True)
    portal = serializers.CharField(source="enrollment.portal.name", read_only=True)
    functions = serializers.SerializerMethodField()

    class Meta:
        model = PortalAccount
        fields = ["id", "staff_member_id", "staff_member_email", "enrollment_id", "portal", "portal_user_id",
                  "functions", "status", "mfa_enrolled", "last_login_attested", "status_changed_at", "updated_at"]
        read_only_fields = fields

    def get_functions(self, account) -> list[str]:
        return sorted(f.code for f in account.functions.all())


def _accounts(organization):
    return (PortalAccount.objects.filter(organization=organization)
            .select_related("staff_member", "enrollment__portal").prefetch_related("functions"))


@extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=AccountStatus.values),
                           OpenApiParameter("staff_member", ID_SCHEMA)])
class PortalAccountList(IntegrationView, generics.ListAPIView):
    serializer_class = PortalAccountSerializer
    required_permission = roles.VIEW_PORTAL_ACCOUNTS

    def get_queryset(self):
        p = self.request.query_params
        qs = _accounts(self.request.organization)
        if value := _choice(p, "status", AccountStatus.values):
            qs = qs.filter(status=value)
        if (staff_id := query_id(p, "staff_member")) is not None:
            qs = qs.filter(staff_member_id=staff_id)
        return qs.order_by("pk")


class PortalAccountDetail(IntegrationView, generics.RetrieveAPIView):
    serializer_class = PortalAccountSerializer
    required_permission = roles.VIEW_PORTAL_ACCOUNTS

    def get_object(self):
        return get_object_or_404(_accounts(self.request.organization), pk=self.kwargs["account_id"])


# --- findings -----------------------------------------------------------------------------------
class FindingSerializer(serializers.ModelSerializer):
    silenced = serializers.SerializerMethodField()
    # The open finding's last evaluation (findings.selectors.last_seen_expression), annotated by findings_list.
    last_seen = serializers.DateTimeField(source="seen_through", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "rule", "severity", "title", "detail", "staff_member_id", "portal_account_id",
                  "enrollment_id", "credential_id", "first_seen", "last_seen", "silenced"]
        read_only_fields = fields

    def get_silenced(self, finding) -> bool:
        return finding.silenced_at is not None


@extend_schema(parameters=[OpenApiParameter("rule", OpenApiTypes.STR),
                           OpenApiParameter("severity", OpenApiTypes.STR, enum=Severity.values)])
class FindingList(IntegrationView, generics.ListAPIView):
    """Open findings, most severe first."""

    serializer_class = FindingSerializer
    required_permission = roles.VIEW_FINDINGS

    def get_queryset(self):
        p = self.request.query_params
        return findings_list(organization=self.request.organization, state="open", rule=p.get("rule", "")[:48],
                             severity=_choice(p, "severity", Severity.values))


# --- audit events -------------------------------------------------------------------------------
class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "timestamp", "action", "severity", "actor_type", "actor_ref", "actor_label", "object_type",
                  "object_pk", "object_label", "changes", "message", "remote_addr", "request_id"]
        read_only_fields = fields


AUDIT_FILTERS = [
    OpenApiParameter("since", WHEN_SCHEMA, description="YYYY-MM-DD (whole day) or ISO date-time."),
    OpenApiParameter("until", WHEN_SCHEMA, description="YYYY-MM-DD (whole day, included) or ISO date-time. "
                                                       "Before since: no events."),
    OpenApiParameter("action", OpenApiTypes.STR, description="Exact action, or a prefix ending in * (staff.*)."),
    OpenApiParameter("actor", OpenApiTypes.STR, description="Part of the actor's label (e-mail, api:name, job:name)."),
    OpenApiParameter("object_type", OpenApiTypes.STR),
    OpenApiParameter("object_pk", OpenApiTypes.STR),
    OpenApiParameter("q", OpenApiTypes.STR, description="Search labels, messages and actions."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="next_cursor of the previous page."),
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 50},
                     description=f"Page size, at most {MAX_PAGE} (default 50)."),
]


def _check_cursor(after: str) -> None:
    """A hand-made cursor must not reach the database with what PostgreSQL refuses (a +21:00 offset, a pk
    beyond bigint): that is the same 400 as any other invalid page link, not a 500."""
    import datetime as dt

    from .base import MAX_ID

    when, pk = audit_selectors.decode_cursor(after)
    offset = when.utcoffset()
    if not 0 <= pk <= MAX_ID or (offset is not None and abs(offset) >= dt.timedelta(hours=15)) \
            or not 2 <= when.year <= 9998:
        raise audit_selectors.FilterError("The page link is not valid; start again from the first page.")


class AuditEventList(IntegrationView, APIView):
    """The organization's audit log, newest first, with the auditor pages' filters and keyset pages
    (stable while new events arrive)."""

    required_permission = roles.VIEW_AUDIT_LOG

    @extend_schema(parameters=AUDIT_FILTERS, responses=inline_serializer("AuditEventPage", {
        "results": AuditEventSerializer(many=True),
        "next_cursor": serializers.CharField(allow_null=True),
        "next": serializers.URLField(allow_null=True),
    }))
    def get(self, request, org_slug):
        p = request.query_params
        raw = p.get("limit", "50")
        if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= MAX_PAGE:
            raise APIValidationError({"limit": [f"A whole number from 1 to {MAX_PAGE}."]})
        size = int(raw)
        since, until = query_when(p, "since"), query_when(p, "until", end=True)
        nothing = since is not None and until is not None and since >= until
        try:
            f = audit_selectors.build_filter(
                organization_id=request.organization.pk, since=since, until=None if nothing else until,
                **{k: p.get(k, "") for k in ("action", "actor", "object_type", "object_pk", "q")},
            )
            events = audit_selectors.events(f)
            if nothing:
                events = events.none()
            after = p.get("cursor", "")[:200]
            if after:
                _check_cursor(after)
            rows, cursor = audit_selectors.page(events, after=after, size=size)
        except audit_selectors.FilterError as exc:
            raise APIValidationError({"filters": [str(exc)]})
        following = None
        if cursor:
            query = p.copy()
            query["cursor"] = cursor
            following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response({"results": AuditEventSerializer(rows, many=True).data, "next_cursor": cursor,
                         "next": following})
