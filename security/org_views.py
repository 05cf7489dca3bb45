"""The organization's sign-in security page: MFA policy, who has MFA, who is locked out."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import mfa, roles
from accounts.models import Membership, TOTPDevice
from accounts.services import organization_update
from accounts.tenancy import org_view

from .lockout import locked_usernames, login_unlock
from .middleware import idle_timeout_seconds


class MFAPolicyForm(forms.Form):
    mfa_required_for_all = forms.BooleanField(
        label="Require multi-factor sign-in for every role", required=False,
        help_text="Administrators and auditors always need it. This adds billing managers and staff.",
    )


@org_view(roles.MANAGE_MEMBERS)
def security_overview(request):
    org = request.organization
    rows = list(Membership.objects.filter(organization=org).select_related("user").order_by("user__full_name"))
    enrolled = set(
        TOTPDevice.objects.filter(user__in=[m.user_id for m in rows], confirmed=True).values_list("user_id", flat=True)
    )
    locked = locked_usernames([m.user.email for m in rows])
    for m in rows:
        m.mfa_enrolled = m.user_id in enrolled
        m.mfa_required = org.mfa_required_for_all or m.role in mfa.ROLES_THAT_REQUIRE_MFA
        m.locked_out = m.user.email.lower() in locked
    form = MFAPolicyForm(initial={"mfa_required_for_all": org.mfa_required_for_all})
    return render(request, "security/overview.html", {
        "memberships": rows, "policy_form": form,
        "can_edit_policy": roles.MANAGE_ORGANIZATION in request.org_perms,
        "idle_minutes": idle_timeout_seconds() // 60,
    })


@require_POST
@org_view(roles.MANAGE_ORGANIZATION)
def mfa_policy(request):
    form = MFAPolicyForm(request.POST)
    if form.is_valid():
        organization_update(
            organization=request.organization, acting_user=request.user,
            mfa_required_for_all=form.cleaned_data["mfa_required_for_all"],
        )
        messages.success(request, "Multi-factor policy saved.")
    return redirect("security_overview", org_slug=request.organization.slug)


@require_POST
@org_view(roles.MANAGE_MEMBERS)
def member_unlock(request, pk):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, organization=request.organization)
    login_unlock(user=membership.user, acting_user=request.user, organization=request.organization)
    messages.success(request, f"{membership.user} can sign in again.")
    return redirect("security_overview", org_slug=request.organization.slug)


@require_POST
@org_view(roles.MANAGE_MEMBERS)
def member_mfa_reset(request, pk):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, organization=request.organization)
    if membership.user_id == request.user.pk:
        raise PermissionDenied("Reset your own authenticator from your sign-in security page.")
    mfa.mfa_reset(user=membership.user, acting_user=request.user, organization=request.organization)
    messages.success(request, f"{membership.user} must set up multi-factor sign-in again.")
    return redirect("security_overview", org_slug=request.organization.slug)
