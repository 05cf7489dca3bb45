from rest_framework import generics, serializers

from . import roles
from .models import Organization
from .tenancy import HasOrganizationPermission


class OrganizationSerializer(serializers.ModelSerializer):
    tin = serializers.CharField(source="tin_display", read_only=True)
    group_npis = serializers.SlugRelatedField(many=True, read_only=True, slug_field="npi")

    class Meta:
        model = Organization
        fields = ["slug", "legal_name", "tin", "billing_states", "practice_state", "group_npis"]


class OrganizationList(generics.ListAPIView):
    """The organizations the caller has a role in."""

    serializer_class = OrganizationSerializer

    def get_queryset(self):
        return (
            Organization.objects.filter(memberships__user=self.request.user)
            .prefetch_related("group_npis")
            .order_by("legal_name")
        )


class OrganizationDetail(generics.RetrieveAPIView):
    serializer_class = OrganizationSerializer
    permission_classes = [HasOrganizationPermission]
    required_permission = roles.VIEW_ORGANIZATION

    def get_object(self):
        return self.request.organization
