"""The Integrations page: administrators create, list and revoke API credentials."""

import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts import roles
from accounts.tenancy import org_view

from . import services
from .forms import LABELS, CredentialForm
from .models import ApiCredential


def _page(request, form, token=None, created=None, status=200):
    credentials = ApiCredential.objects.filter(organization=request.organization).select_related(
        "created_by", "revoked_by")[:200]
    response = render(request, "integrations/credentials.html", {
        "form": form, "credentials": credentials, "token": token, "created": created, "labels": LABELS,
    }, status=status)
    if token:
        response["Cache-Control"] = "no-store"  # the token must not be kept by any cache
    return response


@org_view(roles.MANAGE_MEMBERS)
def credentials(request):
    if request.method != "POST":
        return _page(request, CredentialForm())
    form = CredentialForm(request.POST)
    if form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        expires_at = (timezone.make_aware(datetime.datetime.combine(expires_on, datetime.time()))
                      if expires_on else None)
        try:
            credential, token = services.credential_create(
                organization=request.organization, acting_user=request.user, name=form.cleaned_data["name"],
                permissions=form.cleaned_data["permissions"], expires_at=expires_at,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # Rendered, not redirected: the token exists only in this response.
            return _page(request, CredentialForm(), token=token, created=credential)
    return _page(request, form, status=400)


@org_view(roles.MANAGE_MEMBERS)
def credential_revoke(request, pk):
    """Revoking cannot be undone: GET (or a POST without confirm=yes) shows what will stop working."""
    credential = get_object_or_404(ApiCredential, pk=pk, organization=request.organization)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        services.credential_revoke(credential=credential, acting_user=request.user)
        messages.success(request, f"“{credential.name}” is revoked: its token no longer works.")
        return redirect("integrations", request.organization.slug)
    return render(request, "integrations/revoke_confirm.html", {
        "credential": credential, "labels": LABELS, "consequences": services.credential_revoke_consequences(credential),
        "not_confirmed": request.method == "POST"})


def signed_in_or_bearer(view):
    """The API docs: a person who has not signed in is sent to sign in (the view itself answers 401 to a
    missing or bad bearer token)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and "HTTP_AUTHORIZATION" not in request.META:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


@csrf_exempt  # a POST to no endpoint is still a 404, not the CSRF page
def api_not_found(request, *args, **kwargs):
    """No API route here: the API's error shape (integrations.errors), not the HTML 404 page."""
    return JsonResponse({"detail": "No API endpoint at this address (see /api/schema/).", "code": "not_found"},
                        status=404)
