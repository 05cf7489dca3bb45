from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from audits.services import record_event
from core.forms import apply_validation_error

from . import roles
from .forms import GrantRoleForm, GroupNPIForm, MedicarePTANForm, OrganizationForm, PracticeLocationForm
from .models import GroupNPI, MedicarePTAN, Membership, PracticeLocation
from .services import login_invite_or_grant, membership_revoke, organization_update
from .tenancy import org_view


@login_required
def home(request):
    """Send the person to the organization they used last, or let them pick one."""
    memberships = list(Membership.objects.filter(user=request.user).select_related("organization"))
    slugs = {m.organization.slug for m in memberships}
    last = request.user.last_organization
    if last and last.slug in slugs:
        return redirect("dashboard", org_slug=last.slug)
    if len(memberships) == 1:
        return redirect("dashboard", org_slug=memberships[0].organization.slug)
    return render(request, "accounts/choose_organization.html", {"memberships": memberships})


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
            membership, invited = login_invite_or_grant(
                organization=org, email=data["email"], full_name=data["full_name"], role=data["role"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            role_label = membership.get_role_display().lower()
            if invited:
                messages.success(request, f"{membership.user} is invited as {role_label}: an e-mail to set a "
                                          "password is on its way.")
            else:
                messages.success(request, f"{membership.user} is now {role_label}.")
            return redirect("members", org_slug=org.slug)
    rows = Membership.objects.filter(organization=org).select_related("user").order_by("user__full_name")
    return render(request, "accounts/members.html", {"form": form, "memberships": rows})


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
