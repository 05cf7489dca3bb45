"""Reconciliation pages: the enrollments and their last lists, upload (with the column-mapping step the
first time), the differences of a list, and resolving each in place."""

import base64
import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.tenancy import org_view
from carriers.models import PortalEnrollment
from core.forms import apply_validation_error

from . import services
from .forms import MappingForm, PolicyForm, ResolveForm, UserListUploadForm
from .models import Difference, UserListUpload
from .parsing import MAX_BYTES, UserListError, read_user_list

PAGE_SIZE = 50
SESSION_KEY = "reconciliation_upload"


def _enrollment(request, pk):
    return get_object_or_404(PortalEnrollment.objects.select_related("portal", "organization"), pk=pk,
                             organization=request.organization)


@org_view(roles.VIEW_PORTAL_ACCOUNTS)
def reconciliation_index(request):
    org = request.organization
    can_manage = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    policy_form = PolicyForm(initial={"unresolved_limit_days": services.unresolved_limit_days(org)})
    if request.method == "POST":
        if roles.MANAGE_ORGANIZATION not in request.org_perms:
            raise PermissionDenied("Only administrators change the reconciliation limit.")
        policy_form = PolicyForm(request.POST)
        if policy_form.is_valid():
            services.policy_update(organization=org, acting_user=request.user, **policy_form.cleaned_data)
            messages.success(request, "Limit saved.")
            return redirect("reconciliation", org_slug=org.slug)
    open_q = ~Q(reconciliation_differences__status=Difference.Status.RESOLVED)
    enrollments = (PortalEnrollment.objects.filter(organization=org).exclude(status=PortalEnrollment.Status.CLOSED)
                   .select_related("portal")
                   .annotate(last_upload=Max("user_lists__uploaded_at"),
                             open_differences=Count("reconciliation_differences", filter=open_q, distinct=True))
                   .order_by("portal__name"))
    page = Paginator(enrollments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reconciliation/index.html", {
        "page_obj": page, "can_manage": can_manage, "policy_form": policy_form,
        "can_edit_policy": roles.MANAGE_ORGANIZATION in request.org_perms,
        "limit_days": services.unresolved_limit_days(org),
    })


def _compare_and_redirect(request, enrollment, data, filename, columns=None):
    try:
        upload = services.user_list_compare(enrollment=enrollment, data=data, filename=filename,
                                            acting_user=request.user, columns=columns)
    except UserListError as exc:
        return None, exc.errors
    except ValidationError as exc:
        return None, [(0, m) for m in exc.messages]
    request.session.pop(SESSION_KEY, None)
    s = upload.summary
    messages.success(request, f"Compared {upload.rows} users: {s['orphan']} unknown to PortalGov, {s['missing']} "
                              f"missing from the portal, {s['mismatch']} recorded differently.")
    return redirect("reconciliation_upload_detail", org_slug=request.organization.slug, pk=upload.pk), None


@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def user_list_upload(request, pk):
    enrollment = _enrollment(request, pk)
    mapping = services.mapping_for(enrollment)
    form = UserListUploadForm()
    errors = None
    if request.method == "POST":
        form = UserListUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_BYTES:
                form.add_error("file", "The file is larger than 5 MB.")
            else:
                data = upload.read()
                try:
                    file = read_user_list(data, upload.name)
                except UserListError as exc:
                    errors = exc.errors
                else:
                    known = mapping and {h.lower() for h in file.headers} == {
                        h.lower() for h in list(mapping.columns.values()) + list(mapping.ignored)}
                    if known:
                        response, errors = _compare_and_redirect(request, enrollment, data, upload.name)
                        if response:
                            return response
                    else:
                        request.session[SESSION_KEY] = {
                            "enrollment": enrollment.pk, "name": upload.name[:255],
                            "sha": hashlib.sha256(data).hexdigest(), "data": base64.b64encode(data).decode()}
                        if mapping:
                            messages.warning(request, "This file's columns differ from the saved mapping: "
                                                      "check the columns before anything is compared.")
                        return redirect("reconciliation_mapping", org_slug=request.organization.slug, pk=enrollment.pk)
    return render(request, "reconciliation/upload.html", {
        "enrollment": enrollment, "form": form, "errors": errors, "mapping": mapping})


@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def user_list_mapping(request, pk):
    enrollment = _enrollment(request, pk)
    stored = request.session.get(SESSION_KEY) or {}
    if stored.get("enrollment") != enrollment.pk:
        messages.error(request, "Upload the user list first.")
        return redirect("reconciliation_upload", org_slug=request.organization.slug, pk=enrollment.pk)
    data = base64.b64decode(stored["data"])
    try:
        file = read_user_list(data, stored["name"])
    except UserListError:
        request.session.pop(SESSION_KEY, None)
        messages.error(request, "That upload can no longer be read; upload it again.")
        return redirect("reconciliation_upload", org_slug=request.organization.slug, pk=enrollment.pk)
    mapping = services.mapping_for(enrollment)
    form = MappingForm(request.POST or None, headers=file.headers,
                       initial_columns=mapping.columns if mapping else None)
    errors = None
    if request.method == "POST" and form.is_valid():
        try:
            services.mapping_save(enrollment=enrollment, columns=form.columns(), headers=file.headers,
                                  acting_user=request.user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            response, errors = _compare_and_redirect(request, enrollment, data, stored["name"])
            if response:
                return response
    preview = file.rows[:5]
    return render(request, "reconciliation/mapping.html", {
        "enrollment": enrollment, "form": form, "headers": file.headers, "preview": preview,
        "filename": stored["name"], "row_count": len(file.rows), "errors": errors})


@org_view(roles.VIEW_PORTAL_ACCOUNTS)
def upload_detail(request, pk):
    upload = get_object_or_404(UserListUpload.objects.select_related("enrollment__portal", "uploaded_by"), pk=pk,
                               organization=request.organization)
    show = request.GET.get("show", "open")
    qs = Difference.objects.filter(enrollment=upload.enrollment).select_related(
        "portal_account__staff_member", "resolved_by")
    if show == "all":
        qs = qs.filter(Q(upload=upload) | ~Q(status=Difference.Status.RESOLVED))
    else:
        show = "open"
        qs = qs.exclude(status=Difference.Status.RESOLVED)
    page = Paginator(qs.order_by("kind", "portal_user_id", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    can_manage = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    rows = [{"diff": d, "options": services.resolutions_for(d) if d.status != Difference.Status.RESOLVED else []}
            for d in page]
    people = list(ResolveForm(organization=request.organization).fields["staff_member"].queryset[:500]) \
        if can_manage else []
    return render(request, "reconciliation/upload_detail.html", {
        "upload": upload, "page_obj": page, "rows": rows, "show": show, "can_manage": can_manage,
        "people": people, "querystring": f"show={show}", "labels": dict(Difference.Resolution.choices)})


@require_POST
@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def difference_resolve(request, pk):
    diff = get_object_or_404(Difference.objects.select_related("upload"), pk=pk, organization=request.organization)
    form = ResolveForm(request.POST, organization=request.organization)
    back = redirect("reconciliation_upload_detail", org_slug=request.organization.slug, pk=diff.upload_id)
    if not form.is_valid():
        messages.error(request, "Nothing changed: " + "; ".join(
            f"{form.fields[f].label or f}: {' '.join(e)}" if f != "__all__" else " ".join(e)
            for f, e in form.errors.items()))
        return back
    try:
        services.difference_resolve(difference=diff, acting_user=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, f"Nothing changed for {diff.portal_user_id}: " + " ".join(exc.messages))
    else:
        messages.success(request, f"{diff.portal_user_id}: {Difference.Resolution(form.cleaned_data['resolution']).label.lower()}.")
    return back
