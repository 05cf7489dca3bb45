"""Roster pages: list, detail, add/edit, leaver, CSV upload with preview, enrollment administrators."""

import base64
import hashlib
from html import escape

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from access.models import ProvisioningTask
from accounts import roles
from accounts.tenancy import org_view
from carriers.models import PortalEnrollment
from core.forms import apply_validation_error

from .forms import AdministratorForm, RosterUploadForm, StaffForm
from .models import EmploymentStatus, EnrollmentAdministrator, JobRole, StaffMember
from .roster_export import roster_export as roster_export_lines
from .roster_import import MAX_BYTES, RosterImportError, roster_import, roster_plan
from .selectors import roster_search
from .services import (
    enrollment_administrator_add,
    enrollment_administrator_remove,
    leaver_consequences,
    staff_create,
    staff_terminate,
    staff_update,
)

PAGE_SIZE = 50
UPLOAD_SESSION_KEY = "roster_upload"


@org_view(roles.VIEW_STAFF)
def roster(request):
    q = request.GET.get("q", "").strip()[:100]
    job_role = request.GET.get("job_role", "")
    status = request.GET.get("status", "")
    job_role = job_role if job_role in JobRole.values else ""
    status = status if status in EmploymentStatus.values else ""
    people = roster_search(organization=request.organization, q=q, job_role=job_role, status=status)
    page = Paginator(people.values_list(*_ROSTER_COLUMNS), PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(request, "staff/roster.html", {
        "page_obj": page, "rows": _roster_rows(page, request.organization.slug),
        "q": q, "job_role": job_role, "status": status, "querystring": querystring.urlencode(),
        "job_roles": JobRole.choices, "statuses": EmploymentStatus.choices,
        "can_manage": roles.MANAGE_STAFF in request.org_perms,
    })


_ROSTER_COLUMNS = ("pk", "full_name", "work_email", "job_role", "employment_status", "end_date", "manager__full_name",
                   "live_accounts", "open_findings")
_JOB_ROLE_LABELS, _STATUS_LABELS = dict(JobRole.choices), dict(EmploymentStatus.choices)
_STATUS_BADGES = {"active": "badge-ok", "on_leave": "badge-warn"}


def _roster_rows(page, slug) -> list:
    """The roster's rows as HTML, built here from plain values (no model instance, one reverse()): 50 rows of
    template tags and display lookups were most of the page's Python time. Every value goes through escape."""
    prefix, _, suffix = reverse("staff_detail", args=[slug, 999999999]).rpartition("999999999")
    rows = []
    for pk, name, email, role, status, end_date, manager, live, findings in page:
        until = f' <span class="muted">until {end_date:%Y-%m-%d}</span>' if end_date else ""
        flagged = f'<span class="badge badge-bad">{findings}</span>' if findings else "0"
        rows.append(
            f'<tr>\n      <td><a href="{escape(f"{prefix}{pk}{suffix}")}">{escape(name)}</a><br>'
            f'<span class="muted">{escape(email)}</span></td>\n'
            f'      <td>{escape(_JOB_ROLE_LABELS.get(role, role))}</td>\n'
            f'      <td><span class="badge {_STATUS_BADGES.get(status, "badge-bad")}">'
            f'{escape(_STATUS_LABELS.get(status, status))}</span>{until}</td>\n'
            f'      <td>{escape(manager or "—")}</td>\n'
            f'      <td>{int(live)}</td>\n'
            f'      <td>{flagged}</td>\n    </tr>')
    # Marked safe: every value above is escaped or an integer.
    return [mark_safe(r) for r in rows]  # noqa: S308  # nosec B308 B703 -- every interpolated value is escaped


@org_view(roles.VIEW_STAFF)
def roster_export(request):
    org = request.organization
    response = StreamingHttpResponse(roster_export_lines(organization=org, acting_user=request.user),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-{org.slug}-{timezone.localdate()}.csv"'
    return response


@org_view(roles.VIEW_STAFF)
def staff_detail(request, pk):
    staff = get_object_or_404(StaffMember.objects.select_related("manager", "user"), pk=pk,
                              organization=request.organization)
    accounts = (staff.portal_accounts.select_related("enrollment__portal").prefetch_related("functions")
                .order_by("enrollment__portal__name"))
    tasks = (ProvisioningTask.objects.filter(portal_account__staff_member=staff)
             .select_related("portal_account__enrollment__portal", "assignee", "completed_by")
             .order_by("-created_at")[:50])
    findings = staff.findings.filter(resolved_at__isnull=True).order_by("severity_rank", "-first_seen")[:50]
    administered = staff.administered_enrollments.select_related("enrollment__portal")
    return render(request, "staff/detail.html", {
        "staff": staff, "accounts": accounts, "tasks": tasks, "findings": findings, "administered": administered,
        "offboarding_case": _offboarding_case(staff),
        "can_manage": roles.MANAGE_STAFF in request.org_perms,
        "can_provision": roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms,
    })


def _offboarding_case(staff):
    """The leaver's offboarding checklist, when the offboarding app is installed."""
    from django.apps import apps

    if not apps.is_installed("offboarding"):
        return None
    from offboarding.selectors import case_for_staff

    return case_for_staff(staff)


@org_view(roles.MANAGE_STAFF)
def staff_new(request):
    form = StaffForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        try:
            staff = staff_create(organization=request.organization, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{staff.full_name} added to the roster.")
            return redirect("staff_detail", org_slug=request.organization.slug, pk=staff.pk)
    return render(request, "staff/form.html", {"form": form, "title": "Add a staff member"})


@org_view(roles.MANAGE_STAFF)
def staff_edit(request, pk):
    staff = get_object_or_404(StaffMember, pk=pk, organization=request.organization)
    form = StaffForm(request.POST or None, instance=StaffMember.objects.get(pk=staff.pk),
                     organization=request.organization)
    if request.method == "POST" and form.is_valid():
        old_role = staff.job_role
        try:
            staff = staff_update(staff=staff, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{staff.full_name} saved.")
            if (staff.job_role != old_role and staff.is_active
                    and roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms):
                # A mover: propose the accounts and functions the new job role needs.
                messages.info(request, "The job role changed: review the proposed portal accounts and functions.")
                return redirect("provision_plan", org_slug=request.organization.slug, pk=staff.pk)
            return redirect("staff_detail", org_slug=request.organization.slug, pk=staff.pk)
    return render(request, "staff/form.html", {"form": form, "title": f"Edit {staff.full_name}", "staff": staff})


@org_view(roles.MANAGE_STAFF)
def staff_leaver(request, pk):
    """Recording a leaver cannot be undone: GET shows what will happen, POST with confirm=yes does it."""
    staff = get_object_or_404(StaffMember, pk=pk, organization=request.organization)
    if staff.employment_status == EmploymentStatus.TERMINATED:
        messages.info(request, f"{staff.full_name} is already recorded as a leaver.")
        return redirect("staff_detail", org_slug=request.organization.slug, pk=staff.pk)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        staff_terminate(staff=staff, acting_user=request.user, end_date=timezone.localdate())
        messages.success(request, f"{staff.full_name} recorded as a leaver; every portal account is flagged for "
                                  "deactivation and the tasks are in the administrators' queues.")
        return redirect("staff_detail", org_slug=request.organization.slug, pk=staff.pk)
    return render(request, "staff/leaver_confirm.html", {
        "staff": staff, "consequences": leaver_consequences(staff), "today": timezone.localdate(),
        "not_confirmed": request.method == "POST"})


@org_view(roles.MANAGE_STAFF)
def roster_upload(request):
    """Upload -> preview of what will change -> apply. The file waits in the session between steps."""
    org = request.organization
    form = RosterUploadForm()
    plan = None
    if request.method == "POST" and request.POST.get("action") == "apply":
        stored = request.session.get(UPLOAD_SESSION_KEY) or {}
        if stored.get("org") != org.pk or stored.get("sha") != request.POST.get("sha"):
            messages.error(request, "That preview has expired; upload the file again.")
            return redirect("roster_upload", org_slug=org.slug)
        try:
            plan = roster_import(organization=org, data=base64.b64decode(stored["data"]), acting_user=request.user)
        except RosterImportError as exc:
            messages.error(request, f"Nothing imported: {len(exc.errors)} problem(s); see below.")
            plan = roster_plan(organization=org, data=base64.b64decode(stored["data"]))
        except ValidationError as exc:  # a rule only the save knows; the import rolled back whole
            messages.error(request, "Nothing imported: " + "; ".join(exc.messages))
            plan = roster_plan(organization=org, data=base64.b64decode(stored["data"]))
        else:
            request.session.pop(UPLOAD_SESSION_KEY, None)
            messages.success(request, f"Roster imported: {len(plan.creates)} added, {len(plan.updates)} updated, "
                                      f"{len(plan.unchanged)} unchanged.")
            return redirect("roster", org_slug=org.slug)
    elif request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_BYTES:
                form.add_error("file", "The file is larger than 2 MB.")
            else:
                data = upload.read()
                plan = roster_plan(organization=org, data=data)
                sha = hashlib.sha256(data).hexdigest()
                if plan.ok:
                    request.session[UPLOAD_SESSION_KEY] = {"org": org.pk, "sha": sha,
                                                           "data": base64.b64encode(data).decode()}
                return render(request, "staff/upload.html", {"form": form, "plan": plan, "sha": sha,
                                                             "filename": upload.name})
    return render(request, "staff/upload.html", {"form": form, "plan": plan})


@org_view(roles.VIEW_STAFF)
def enrollment_administrators(request, pk):
    enrollment = get_object_or_404(PortalEnrollment.objects.select_related("portal"), pk=pk,
                                   organization=request.organization)
    can_manage = roles.MANAGE_STAFF in request.org_perms
    form = AdministratorForm(request.POST or None, organization=request.organization)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only administrators name portal administrators.")
        if form.is_valid():
            try:
                enrollment_administrator_add(enrollment=enrollment, acting_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Portal administrator saved.")
                return redirect("enrollment_administrators", org_slug=request.organization.slug, pk=enrollment.pk)
    admins = enrollment.administrators.select_related("staff_member").order_by("role", "staff_member__full_name")
    return render(request, "staff/enrollment_administrators.html", {
        "enrollment": enrollment, "admins": admins, "form": form, "can_manage": can_manage,
        "enrollments": PortalEnrollment.objects.filter(organization=request.organization)
        .select_related("portal").order_by("portal__name"),
    })


@require_POST
@org_view(roles.MANAGE_STAFF)
def enrollment_administrator_delete(request, pk):
    admin = get_object_or_404(EnrollmentAdministrator.objects.select_related("enrollment"), pk=pk,
                              enrollment__organization=request.organization)
    enrollment_pk = admin.enrollment_id
    enrollment_administrator_remove(administrator=admin, acting_user=request.user)
    messages.success(request, "Portal administrator removed.")
    return redirect("enrollment_administrators", org_slug=request.organization.slug, pk=enrollment_pk)
