"""Access review API: campaigns, their items, and a reviewer's decision.

A decision goes through reviews.services.item_decide, the page's own service: the same rules (a flagged
item needs its own reason, self-review refused, only the assigned reviewer, final decisions stand) and
the same audit trail. A decision is a person's (invariant 7): an API credential is refused by the service.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from integrations.base import IntegrationView, call_service, query_choice

from . import selectors, services
from .models import Decision, ReviewCampaign, ReviewItem

READ_REVIEWS = roles.VIEW_PORTAL_ACCOUNTS  # as the campaign pages
ITEM_STATES = ["pending", *Decision.values]


class ReviewCampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewCampaign
        fields = ["id", "name", "period", "status", "period_start", "launched_at", "due_on", "closed_at", "scope"]
        read_only_fields = fields


@extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=ReviewCampaign.Status.values)])
class ReviewCampaignList(IntegrationView, generics.ListAPIView):
    serializer_class = ReviewCampaignSerializer
    required_permission = READ_REVIEWS

    def get_queryset(self):
        qs = ReviewCampaign.objects.filter(organization=self.request.organization)
        if value := query_choice(self.request.query_params, "status", ReviewCampaign.Status.values):
            qs = qs.filter(status=value)
        return qs.order_by("-launched_at", "-pk")


class ReviewCampaignDetail(IntegrationView, generics.RetrieveAPIView):
    serializer_class = ReviewCampaignSerializer
    required_permission = READ_REVIEWS

    def get_object(self):
        return get_object_or_404(ReviewCampaign, pk=self.kwargs["campaign_id"], organization=self.request.organization)


class ReviewItemSerializer(serializers.ModelSerializer):
    reviewer_email = serializers.EmailField(source="reviewer.email", read_only=True, default=None, allow_null=True)

    class Meta:
        model = ReviewItem
        fields = ["id", "campaign_id", "kind", "portal_account_id", "credential_id", "holder_id", "holder_name",
                  "portal_name", "snapshot", "flags", "flagged", "reviewer_id", "reviewer_email", "decision",
                  "reason", "keep_until", "functions_removed", "decided_by_label", "decided_at", "escalated_at"]
        read_only_fields = fields


@extend_schema(parameters=[OpenApiParameter("state", OpenApiTypes.STR, enum=ITEM_STATES),
                           OpenApiParameter("flagged", OpenApiTypes.STR, enum=["yes", "no"])])
class ReviewItemList(IntegrationView, generics.ListAPIView):
    """One campaign's items, as on its page: by state (pending or a decision) and flagged."""

    serializer_class = ReviewItemSerializer
    required_permission = READ_REVIEWS

    def get_queryset(self):
        campaign = get_object_or_404(ReviewCampaign, pk=self.kwargs["campaign_id"],
                                     organization=self.request.organization)
        p = self.request.query_params
        qs = selectors.campaign_items(campaign, {"state": query_choice(p, "state", ITEM_STATES)})
        if flagged := query_choice(p, "flagged", ["yes", "no"]):
            qs = qs.filter(flagged=flagged == "yes")
        return qs


class ReviewDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                   help_text="Required for change, revoke and not sure, and to keep a flagged item.")
    keep_until = serializers.DateField(required=False, allow_null=True, default=None)
    functions_to_remove = serializers.ListField(child=serializers.CharField(max_length=60), required=False,
                                                default=list, max_length=50)


class ReviewItemDecide(IntegrationView, APIView):
    """Decide one item, with the page's rules (its own reason for a flagged item; no self-review)."""

    required_permission = roles.RUN_ACCESS_REVIEWS

    @extend_schema(request=ReviewDecisionSerializer, responses={200: ReviewItemSerializer})
    def post(self, request, org_slug, item_id):
        item = get_object_or_404(ReviewItem, pk=item_id, organization=request.organization)
        data = ReviewDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = call_service(services.item_decide, item=item, acting_user=self.acting_user(), **data.validated_data)
        item = ReviewItem.objects.select_related("reviewer").get(pk=item.pk)
        return Response(ReviewItemSerializer(item).data)
