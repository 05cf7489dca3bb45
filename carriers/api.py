"""Directory API: the practice's computed portal directory and its contracts.

Every endpoint resolves the organization through HasOrganizationPermission; writes need
MANAGE_DIRECTORY and go through the same services (and audit events) as the pages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as APIValidationError

from accounts import roles
from accounts.validators import US_STATES
from integrations.base import ID_SCHEMA, IntegrationView, query_choice, query_id

from . import selectors, services
from .models import Carrier, Contract, Portal


class DirectoryEntrySerializer(serializers.Serializer):
    portal_id = serializers.IntegerField(source="portal.pk")
    name = serializers.CharField(source="portal.name")
    architecture = serializers.CharField(source="portal.architecture")
    operator = serializers.CharField(source="portal.operator")
    url = serializers.CharField(source="portal.url")
    custom = serializers.SerializerMethodField()
    reasons = serializers.ListField(child=serializers.CharField())
    carriers = serializers.SerializerMethodField()
    functions = serializers.SerializerMethodField()
    registered = serializers.BooleanField()
    status = serializers.CharField(source="status_label")
    administrators = serializers.ListField(child=serializers.DictField())
    support_phone = serializers.CharField()
    downtime_protocol = serializers.CharField()
    verification = serializers.CharField(source="portal.verification")

    def get_custom(self, entry) -> bool:
        return entry.portal.organization_id is not None

    def get_carriers(self, entry) -> list[str]:
        return [c.name for c in entry.carriers.values()]

    def get_functions(self, entry) -> list[str]:
        return [f.code for f in entry.functions]


DIRECTORY_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Part of a portal's, operator's or carrier's name."),
    OpenApiParameter("architecture", OpenApiTypes.STR, enum=Portal.Architecture.values),
    OpenApiParameter("function", OpenApiTypes.STR, description="A portal function code, e.g. eligibility_benefits."),
    OpenApiParameter("carrier", ID_SCHEMA, description="A carrier id."),
    OpenApiParameter("registered", OpenApiTypes.STR, enum=["yes", "no"]),
]


def _directory_filters(params) -> dict:
    """The page's filters, refused (400) when they cannot be valid, like the other API filters."""
    carrier = query_id(params, "carrier")
    return {"q": params.get("q", "")[:100], "function": params.get("function", "")[:100],
            "architecture": query_choice(params, "architecture", Portal.Architecture.values),
            "registered": query_choice(params, "registered", ["yes", "no"]),
            "carrier": str(carrier) if carrier else ""}


@extend_schema(parameters=DIRECTORY_FILTERS)
class DirectoryList(IntegrationView, generics.ListAPIView):
    """Every portal the practice needs, why, and whether it is registered (filters as on the page)."""

    serializer_class = DirectoryEntrySerializer
    required_permission = roles.VIEW_ORGANIZATION

    def get_queryset(self):
        p = self.request.query_params
        entries = selectors.practice_directory(self.request.organization)
        return selectors.filter_directory(entries, **_directory_filters(p))


class ContractSerializer(serializers.ModelSerializer):
    carrier = serializers.PrimaryKeyRelatedField(queryset=Carrier.objects.none())
    carrier_name = serializers.CharField(source="carrier.name", read_only=True)
    states = serializers.ListField(child=serializers.CharField(max_length=2), required=False)

    class Meta:
        model = Contract
        fields = ["id", "carrier", "carrier_name", "line_of_business", "effective_date", "end_date", "states",
                  "provider_services_phone", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        org = getattr(request, "organization", None)
        if org is not None:
            self.fields["carrier"].queryset = Carrier.objects.filter(Q(organization__isnull=True) | Q(organization=org))

    def validate_states(self, value):
        bad = [s for s in value if s.upper() not in US_STATES]
        if bad:
            raise serializers.ValidationError(f"Not a US state, DC or territory code: {', '.join(bad)}.")
        return [s.upper() for s in value]


class ContractList(IntegrationView, generics.ListCreateAPIView):
    serializer_class = ContractSerializer
    required_permission = roles.VIEW_ORGANIZATION

    def get_queryset(self):
        return Contract.objects.filter(organization=self.request.organization).select_related("carrier").order_by("pk")

    @extend_schema(description="Add a contract (administrators only). Overlapping duplicates and end-before-start are refused.")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def perform_create(self, serializer):
        if roles.MANAGE_DIRECTORY not in self.request.org_perms:
            raise PermissionDenied("Only administrators edit contracts.")
        try:
            serializer.instance = services.contract_create(
                organization=self.request.organization, actor=self.acting_user(), **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise APIValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}) from None
