from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from audits.services import record_event
from core.forms import apply_validation_error

from . import roles
from .forms import GrantRoleForm, GroupNPIForm, MedicarePTANForm, OrganizationForm, PracticeLocationForm
from .models import GroupNPI, Invitation, MedicarePTAN, Membership, PracticeLocation
from .services import (
    InvitationClosed,
    invitation_answer,
    invitation_withdraw,
    member_invite,
    membership_revoke,
    organization_update,
)
from .tenancy import org_view


@login_required
def home(request):
    """Send the person to the organization they used last, or let them pick one."""
    memberships = list(Membership.objects.filter(user=request.user).select_related("organization"))
    invitations = _open_invitations(request.user)
    slugs = {m.organization.slug for m in memberships}
    last = request.user.last_organization
    if not invitations:  # an invitation waiting for an answer is shown first
        if last and last.slug in slugs:
            return redirect("dashboard", org_slug=last.slug)
        if len(memberships) == 1:
            return redirect("dashboard", org_slug=memberships[0].organization.slug)
    return render(request, "accounts/choose_organization.html", {"memberships": memberships,
                                                                 "invitations": invitations})


def _open_invitations(user):
    from django.utils import timezone

    return list(Invitation.objects.filter(user=user, answered_at__isnull=True, expires_at__gt=timezone.now())
                .select_related("organization", "invited_by").order_by("-created_at")[:50])


@login_required
def invitation(request, pk):
    """The invited person, and only they, accepts or declines (anyone else: 404, nothing told)."""
    invitation = get_object_or_404(Invitation.objects.select_related("organization", "invited_by"),
                                   pk=pk, user=request.user)
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer not in ("accept", "decline"):
            messages.error(request, "Choose accept or decline.")
        else:
            try:
                membership = invitation_answer(invitation=invitation, user=request.user, accept=answer == "accept")
            except InvitationClosed as exc:
                messages.error(request, str(exc))
            else:
                if membership is not None:
                    messages.success(request, f"You are now {membership.get_role_display().lower()} in "
                                              f"{membership.organization.legal_name}.")
                    return redirect("dashboard", org_slug=membership.organization.slug)
                messages.success(request, "Invitation declined.")
                return redirect("home")
        return redirect("invitation", pk=invitation.pk)
    return render(request, "accounts/invitation.html", {"invitation": invitation})


@org_view(roles.VIEW_ORGANIZATION)
def organization_profile(request):
    org = request.organization
    can_edit = roles.MANAGE_ORGANIZATION in request.org_perms
    form = OrganizationForm(instance=org)
    npi_form = GroupNPIForm(organization=org)
    ptan_form = MedicarePTANForm(organization=org)
    location_form = PracticeLocationForm(organization=org)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only administrators edit the organization.")
        which = request.POST.get("form")
        if which == "profile":
            form = OrganizationForm(request.POST, instance=org.__class__.objects.get(pk=org.pk))
            if form.is_valid():
                data = form.cleaned_data
                organization_update(
                    organization=org, acting_user=request.user,
                    legal_name=data["legal_name"], tin=data["tin"],
                    billing_states=sorted(data["billing_states"]),
                    practice_state=data["practice_state"], practice_county=data["practice_county"],
                )
                messages.success(request, "Organization profile saved.")
                return redirect("organization_profile", org_slug=org.slug)
        elif which in ("npi", "ptan", "location"):
            form_class = {"npi": GroupNPIForm, "ptan": MedicarePTANForm, "location": PracticeLocationForm}[which]
            bound = form_class(request.POST, organization=org)
            if bound.is_valid():
                with transaction.atomic():
                    row = bound.save()
                    record_event(f"organization.{which}_added", actor=request.user, organization=org, target=row)
                messages.success(request, f"{row} added.")
                return redirect("organization_profile", org_slug=org.slug)
            if which == "npi":
                npi_form = bound
            elif which == "ptan":
                ptan_form = bound
            else:
                location_form = bound
        else:
            messages.error(request, "Unknown form.")
    return render(request, "accounts/organization_profile.html", {
        "form": form, "npi_form": npi_form, "ptan_form": ptan_form, "location_form": location_form,
        "can_edit": can_edit, "npis": org.group_npis.all(), "ptans": org.ptans.all(),
        "locations": org.locations.all(),
    })


@require_POST
@org_view(roles.MANAGE_ORGANIZATION)
def organization_identifier_remove(request, kind, pk):
    model = {"npi": GroupNPI, "ptan": MedicarePTAN, "location": PracticeLocation}.get(kind)
    if model is None:
        raise PermissionDenied("Unknown identifier kind.")
    row = get_object_or_404(model, pk=pk, organization=request.organization)
    with transaction.atomic():
        record_event(f"organization.{kind}_removed", actor=request.user, organization=request.organization, target=row)
        row.delete()
    messages.success(request, f"{row} removed.")
    return redirect("organization_profile", org_slug=request.organization.slug)


@org_view(roles.MANAGE_MEMBERS)
def members(request):
    org = request.organization
    form = GrantRoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership, invited = member_invite(
                organization=org, email=data["email"], full_name=data["full_name"], role=data["role"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if membership is not None:  # already has a role here: visible in the list, nothing to hide
                messages.success(request, f"{membership.user} is now {membership.get_role_display().lower()}.")
            else:  # the same words whether the e-mail had a PortalGov login or not
                messages.success(request, f"An invitation to {data['email']} as {invited.get_role_display().lower()} "
                                          "is on its way. The role starts when they accept it.")
            return redirect("members", org_slug=org.slug)
    rows = Membership.objects.filter(organization=org).select_related("user").order_by("user__full_name")
    invitations = (Invitation.objects.filter(organization=org, answered_at__isnull=True)
                   .select_related("user", "invited_by").order_by("-created_at")[:100])
    return render(request, "accounts/members.html", {"form": form, "memberships": rows, "invitations": invitations})


@require_POST
@org_view(roles.MANAGE_MEMBERS)
def invitation_withdraw_view(request, pk):
    invitation = get_object_or_404(Invitation.objects.select_related("user"), pk=pk, organization=request.organization)
    try:
        invitation_withdraw(invitation=invitation, acting_user=request.user)
    except InvitationClosed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The invitation to {invitation.user.email} is withdrawn.")
    return redirect("members", org_slug=request.organization.slug)


@require_POST
@org_view(roles.MANAGE_MEMBERS)
def member_remove(request, pk):
    membership = get_object_or_404(Membership, pk=pk, organization=request.organization)
    if membership.user_id == request.user.pk:
        messages.error(request, "You cannot remove your own role; ask another administrator.")
    else:
        membership_revoke(membership=membership, acting_user=request.user)
        messages.success(request, f"{membership.user} no longer has a role here.")
    return redirect("members", org_slug=request.organization.slug)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page, plus an audit event. The page answers the same whether the e-mail has a login."""

    def form_valid(self, form):
        from .security_events import password_reset_requested

        password_reset_requested(form.cleaned_data["email"])
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        from .security_events import password_reset_completed

        first_password = not self.user.has_usable_password()  # an invited login choosing its first one
        response = super().form_valid(form)
        password_reset_completed(self.user, first_password=first_password)
        return response
