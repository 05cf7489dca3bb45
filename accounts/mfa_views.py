"""Pages for the second factor: enrol an authenticator, pass MFA at sign-in, use a recovery code,
and manage one's own MFA."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from audits.services import record_event

from . import mfa


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from your authenticator app", max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(
        label="Recovery code", max_length=40, help_text="One of the codes you saved at enrolment, e.g. abcd-efgh-ijkl-mnop.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    # A path only: redirect() would read a bare word ("__all__") as a view name and fail with a 500.
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL


def _rejection(user, message: str) -> str:
    wait = mfa.wait_seconds(user)
    if wait:
        return f"{message} After several wrong codes, wait {wait} seconds before the next try."
    return message


@never_cache
@login_required
@sensitive_post_parameters("code")
def enroll(request):
    user = request.user
    if mfa.is_enrolled(user) and not mfa.session_is_verified(request):
        return redirect("mfa_verify")  # re-enrolling needs the current factor first
    device = mfa.enrolment_start(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.enrolment_confirm(user=user, device=device, token=form.cleaned_data["code"])
        if codes is not None:
            mfa.mark_session_verified(request)
            messages.success(request, "Multi-factor sign-in is on.")
            return render(request, "accounts/mfa/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
        form.add_error("code", _rejection(user, "That code is not valid. Check the time on your phone and type the newest code."))
    # Showing the secret (encrypted at rest) so it can be typed in by hand is a reveal.
    record_event("security.field_revealed", actor=user, target=user, organization=mfa._organization_of(user),
                 changes={"field": "accounts.TOTPDevice.secret"}, message="shown for enrolment")
    uri = mfa.provisioning_uri(user, device.secret)
    return render(request, "accounts/mfa/enroll.html", {
        "form": form, "secret": device.secret, "qr": mfa.qr_svg_data_uri(uri),
        "required": mfa.mfa_required(user), "next": _next_url(request),
    })


@never_cache
@login_required
@sensitive_post_parameters("code")
def verify(request):
    user = request.user
    if not mfa.is_enrolled(user):
        return redirect("mfa_enroll")
    if mfa.session_is_verified(request):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify_code(user=user, token=form.cleaned_data["code"]):
            mfa.mark_session_verified(request)
            return redirect(_next_url(request))
        form.add_error("code", _rejection(user, "That code is not valid. Wait for the next code and try again."))
    return render(request, "accounts/mfa/verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@login_required
@sensitive_post_parameters("code")
def recovery(request):
    user = request.user
    if not mfa.is_enrolled(user):
        return redirect("mfa_enroll")
    form = RecoveryCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify_recovery_code(user=user, code=form.cleaned_data["code"]):
            mfa.mark_session_verified(request)
            left = mfa.recovery_codes_left(user)
            level = messages.WARNING if left <= 3 else messages.INFO
            messages.add_message(request, level, f"Recovery code used: {left} left. Make new codes on "
                                 "your security page if you are running low.")
            return redirect(_next_url(request))
        form.add_error("code", "That recovery code is not valid or was already used.")
    return render(request, "accounts/mfa/recovery.html", {"form": form, "next": _next_url(request)})


@never_cache
@login_required
def account_security(request):
    """One's own MFA: status, new recovery codes, turning optional MFA off, replacing the phone."""
    user = request.user
    required = mfa.mfa_required(user)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "regenerate" and mfa.is_enrolled(user):
        codes = mfa.recovery_codes_regenerate(user=user)
        return render(request, "accounts/mfa/recovery_codes.html", {"codes": codes, "next": settings.LOGIN_REDIRECT_URL})
    if action == "replace" and mfa.is_enrolled(user):
        mfa.mfa_reset(user=user, acting_user=user)
        return redirect("mfa_enroll")
    if action == "disable":
        if required:
            messages.error(request, "Your role requires multi-factor sign-in; it cannot be turned off.")
        else:
            mfa.mfa_reset(user=user, acting_user=user)
            messages.success(request, "Multi-factor sign-in is off.")
        return redirect("account_security")
    if action is not None and action not in ("regenerate", "replace", "disable"):
        messages.error(request, "Unknown action.")
    return render(request, "accounts/mfa/security.html", {
        "enrolled": mfa.is_enrolled(user), "required": required, "codes_left": mfa.recovery_codes_left(user),
    })
