from rest_framework import generics, serializers

from . import roles
from .models import Organization


def _integration_view():
    # The API's shared base (bearer credentials, rate limits); imported late: integrations builds on accounts.
    from integrations.base import IntegrationView

    return IntegrationView


class OrganizationSerializer(serializers.ModelSerializer):
    tin = serializers.CharField(source="tin_display", read_only=True)
    group_npis = serializers.SlugRelatedField(many=True, read_only=True, slug_field="npi")

    class Meta:
        model = Organization
        fields = ["slug", "legal_name", "tin", "billing_states", "practice_state", "group_npis"]


class OrganizationList(_integration_view(), generics.ListAPIView):
    """The organizations the caller has a role in (for a credential: its own)."""

    serializer_class = OrganizationSerializer
    permission_classes = []

    def get_queryset(self):
        user = self.request.user
        if getattr(user, "is_api_credential", False):
            return Organization.objects.filter(pk=user.organization_id).prefetch_related("group_npis")
        return (
            Organization.objects.filter(memberships__user=user)
            .prefetch_related("group_npis")
            .order_by("legal_name")
        )


class OrganizationDetail(_integration_view(), generics.RetrieveAPIView):
    serializer_class = OrganizationSerializer
    required_permission = roles.VIEW_ORGANIZATION

    def get_object(self):
        return self.request.organization
