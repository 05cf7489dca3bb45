"""Training API: modules, and completion records (read; record one, as the roster page does)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from accounts import roles
from integrations.base import (
    ID_SCHEMA,
    WHEN_SCHEMA,
    IntegrationView,
    call_service,
    query_choice,
    query_id,
    query_when,
)
from staff.models import StaffMember

from . import services
from .models import Scope, TrainingCompletion, TrainingModule


class TrainingModuleSerializer(serializers.ModelSerializer):
    portal_id = serializers.IntegerField(allow_null=True, read_only=True)
    function = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = TrainingModule
        fields = ["id", "title", "description", "scope", "portal_id", "function", "renewal_months", "is_active",
                  "updated_at"]
        read_only_fields = fields


@extend_schema(parameters=[OpenApiParameter("active", OpenApiTypes.STR, enum=["yes", "no"]),
                           OpenApiParameter("scope", OpenApiTypes.STR, enum=Scope.values)])
class TrainingModuleList(IntegrationView, generics.ListAPIView):
    serializer_class = TrainingModuleSerializer
    required_permission = roles.VIEW_STAFF

    def get_queryset(self):
        p = self.request.query_params
        qs = TrainingModule.objects.filter(organization=self.request.organization).select_related("function")
        if active := query_choice(p, "active", ["yes", "no"]):
            qs = qs.filter(is_active=active == "yes")
        if scope := query_choice(p, "scope", Scope.values):
            qs = qs.filter(scope=scope)
        return qs.order_by("title", "pk")


class TrainingCompletionSerializer(serializers.ModelSerializer):
    staff_member_email = serializers.EmailField(source="staff_member.work_email", read_only=True)

    class Meta:
        model = TrainingCompletion
        fields = ["id", "staff_member_id", "staff_member_email", "module_id", "completed_on", "expires_on",
                  "method", "evidence", "created_at"]
        read_only_fields = fields


class TrainingCompletionCreateSerializer(serializers.Serializer):
    staff_member = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    module = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    completed_on = serializers.DateField(help_text="Not in the future.")
    evidence = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


@extend_schema(parameters=[OpenApiParameter("staff_member", ID_SCHEMA), OpenApiParameter("module", ID_SCHEMA),
                           OpenApiParameter("completed_since", WHEN_SCHEMA)])
class TrainingCompletionList(IntegrationView, generics.ListAPIView):
    """Completion records, newest first; POST records one (manage_staff), as on the training pages."""

    serializer_class = TrainingCompletionSerializer
    required_permission = roles.VIEW_STAFF

    def get_permissions(self):
        self.required_permission = roles.MANAGE_STAFF if self.request.method == "POST" else roles.VIEW_STAFF
        return super().get_permissions()

    def get_queryset(self):
        p = self.request.query_params
        qs = TrainingCompletion.objects.filter(organization=self.request.organization).select_related("staff_member")
        if (staff_id := query_id(p, "staff_member")) is not None:
            qs = qs.filter(staff_member_id=staff_id)
        if (module_id := query_id(p, "module")) is not None:
            qs = qs.filter(module_id=module_id)
        if (since := query_when(p, "completed_since")) is not None:
            qs = qs.filter(completed_on__gte=since.date())
        return qs.order_by("-completed_on", "-pk")

    @extend_schema(request=TrainingCompletionCreateSerializer, responses={201: TrainingCompletionSerializer})
    def post(self, request, org_slug):
        data = TrainingCompletionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = request.organization
        v = data.validated_data
        completion = call_service(
            services.completion_record, organization=org, acting_user=self.acting_user(),
            completed_on=v["completed_on"],
            staff_member=StaffMember.objects.filter(organization=org, pk=v["staff_member"]).first(),
            module=TrainingModule.objects.filter(organization=org, pk=v["module"]).first(), evidence=v["evidence"])
        completion = TrainingCompletion.objects.select_related("staff_member").get(pk=completion.pk)
        return Response(TrainingCompletionSerializer(completion).data, status=status.HTTP_201_CREATED)
