"""Provisioning tasks API: the work queue of creating, changing and deactivating portal accounts."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers

from accounts import roles
from integrations.base import ID_SCHEMA, IntegrationView, query_choice, query_id

from .models import ProvisioningTask


class ProvisioningTaskSerializer(serializers.ModelSerializer):
    staff_member_id = serializers.IntegerField(source="portal_account.staff_member_id", read_only=True)
    portal = serializers.CharField(source="portal_account.enrollment.portal.name", read_only=True)
    portal_user_id = serializers.CharField(source="portal_account.portal_user_id", read_only=True)
    functions = serializers.SerializerMethodField()

    class Meta:
        model = ProvisioningTask
        fields = ["id", "kind", "status", "portal_account_id", "staff_member_id", "portal", "portal_user_id",
                  "functions", "assignee_id", "due_on", "created_at", "completed_at", "payer_confirmation"]
        read_only_fields = fields

    def get_functions(self, task) -> list[str]:
        return sorted(f.code for f in task.functions.all())


@extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=ProvisioningTask.Status.values),
                           OpenApiParameter("kind", OpenApiTypes.STR, enum=ProvisioningTask.Kind.values),
                           OpenApiParameter("staff_member", ID_SCHEMA)])
class ProvisioningTaskList(IntegrationView, generics.ListAPIView):
    """Tasks, soonest due first."""

    serializer_class = ProvisioningTaskSerializer
    required_permission = roles.VIEW_PORTAL_ACCOUNTS

    def get_queryset(self):
        p = self.request.query_params
        qs = (ProvisioningTask.objects.filter(organization=self.request.organization)
              .select_related("portal_account__enrollment__portal").prefetch_related("functions"))
        if value := query_choice(p, "status", ProvisioningTask.Status.values):
            qs = qs.filter(status=value)
        if value := query_choice(p, "kind", ProvisioningTask.Kind.values):
            qs = qs.filter(kind=value)
        if (staff_id := query_id(p, "staff_member")) is not None:
            qs = qs.filter(portal_account__staff_member_id=staff_id)
        return qs.order_by("due_on", "pk")
