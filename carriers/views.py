"""Directory pages. Everyone with a role reads; administrators (MANAGE_DIRECTORY) edit.
Every lookup is scoped to the organization: reference rows, or the practice's own."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.tenancy import org_view
from core.csvsafe import safe_csv_writer
from core.forms import apply_validation_error

from . import selectors, services
from .forms import ContractForm, CustomCarrierForm, CustomPortalForm, EnrollmentForm
from .models import Carrier, Contract, LineOfBusiness, Portal, PortalAccountRule, PortalEnrollment, PortalReach

PAGE_SIZE = 25


def _can_edit(request) -> bool:
    return roles.MANAGE_DIRECTORY in request.org_perms


def _require_edit(request):
    if not _can_edit(request):
        raise PermissionDenied("Only administrators edit the directory.")


def _filters(request) -> dict:
    g = request.GET
    return {k: g.get(k, "").strip()[:100] for k in ("q", "architecture", "function", "carrier", "registered")}


@org_view(roles.VIEW_ORGANIZATION)
def directory(request):
    org = request.organization
    filters = _filters(request)
    functions = selectors.portal_functions_catalog()  # the filter's menu and the entries' order: read once
    entries = selectors.practice_directory(org, catalog=functions)
    carriers = sorted({c.pk: c for e in entries for c in e.carriers.values()}.values(), key=lambda c: c.name)
    shown = selectors.filter_directory(entries, **filters)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    querystring = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(request, "carriers/directory.html", {
        "page_obj": page, "entries": page.object_list, "total": len(entries), "shown": len(shown),
        "filters": filters, "querystring": querystring, "carriers": carriers,
        "architectures": Portal.Architecture.choices, "functions": functions,
        "can_edit": _can_edit(request),
    })


@org_view(roles.VIEW_ORGANIZATION)
def directory_csv(request):
    org = request.organization
    entries = selectors.filter_directory(selectors.practice_directory(org), **_filters(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{org.slug}-portal-directory-{timezone.localdate():%Y-%m-%d}.csv"'
    writer = safe_csv_writer(response)
    writer.writerow(["portal", "architecture", "operator", "url", "why", "carriers", "functions", "registered",
                     "enrollment status", "administrators", "support phone", "fallback phones", "downtime protocol",
                     "verification"])
    for e in entries:
        writer.writerow([
            e.portal.name, e.portal.get_architecture_display(), e.portal.operator, e.portal.url,
            "; ".join(e.reasons), "; ".join(c.name for c in e.carriers.values()),
            "; ".join(f.code for f in e.functions), "yes" if e.registered else "no", e.status_label,
            "; ".join(f"{a['name']} ({a['role']}{'' if a['active'] else ', not active'})" for a in e.administrators),
            e.support_phone, "; ".join(f"{n}: {p}" for n, p in e.fallback_phones),
            e.downtime_protocol, e.portal.get_verification_display(),
        ])
    return response


@org_view(roles.VIEW_ORGANIZATION)
def downtime_binder(request):
    entries = selectors.practice_directory(request.organization)
    return render(request, "carriers/binder.html", {"entries": entries, "printed": timezone.now()})


@org_view(roles.VIEW_ORGANIZATION)
def portal_detail(request, pk):
    org = request.organization
    portal = get_object_or_404(Portal.objects.filter(Q(organization__isnull=True) | Q(organization=org)), pk=pk)
    enrollments = list(PortalEnrollment.objects.filter(organization=org, portal=portal))
    admins = selectors.enrollment_administrators(e.pk for e in enrollments)
    for e in enrollments:
        e.admin_list = admins.get(e.pk, [])
    reach = (PortalReach.objects.filter(portal=portal).filter(Q(organization__isnull=True) | Q(organization=org))
             .select_related("carrier").prefetch_related("functions").order_by("carrier__name"))
    form = EnrollmentForm(organization=org, fixed_portal=portal, initial={"tin": org.tin, "status": "not_started"})
    if request.method == "POST":
        _require_edit(request)
        form = EnrollmentForm(request.POST, organization=org, fixed_portal=portal)
        if form.is_valid():
            data = {**form.cleaned_data, "portal": portal}
            try:
                enrollment = services.enrollment_create(organization=org, actor=request.user, **data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Enrollment on {enrollment} recorded.")
                return redirect("directory_portal", org_slug=org.slug, pk=portal.pk)
    return render(request, "carriers/portal_detail.html", {
        "portal": portal, "rules": PortalAccountRule.objects.filter(portal=portal).order_by("kind"),
        "reach": reach, "jurisdictions": portal.jurisdictions.all(), "enrollments": enrollments,
        "functions": portal.functions.all(), "form": form, "can_edit": _can_edit(request),
        "default_downtime": portal.downtime_protocol,
    })


@org_view(roles.VIEW_ORGANIZATION)
def enrollment_edit(request, pk):
    org = request.organization
    enrollment = get_object_or_404(PortalEnrollment.objects.select_related("portal"), pk=pk, organization=org)
    fields = ["tin", "npi", "ptan", "status", "started_on", "registered_on", "closed_on", "downtime_protocol", "support_phone", "notes"]
    initial = {f: getattr(enrollment, f) for f in fields}
    form = EnrollmentForm(organization=org, fixed_portal=enrollment.portal, initial=initial)
    if request.method == "POST":
        _require_edit(request)
        form = EnrollmentForm(request.POST, organization=org, fixed_portal=enrollment.portal)
        if form.is_valid():
            data = {f: form.cleaned_data[f] for f in fields}
            try:
                services.enrollment_update(enrollment=enrollment, actor=request.user, **data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Enrollment saved.")
                return redirect("directory_portal", org_slug=org.slug, pk=enrollment.portal_id)
    elif not _can_edit(request):
        raise PermissionDenied("Only administrators edit enrollments.")
    return render(request, "carriers/enrollment_form.html", {"form": form, "enrollment": enrollment})


@org_view(roles.VIEW_ORGANIZATION)
def carriers(request):
    org = request.organization
    form = CustomCarrierForm()
    if request.method == "POST":
        _require_edit(request)
        form = CustomCarrierForm(request.POST)
        if form.is_valid():
            try:
                carrier = services.custom_carrier_create(organization=org, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{carrier} added to your carriers.")
                return redirect("directory_carrier", org_slug=org.slug, pk=carrier.pk)
    q = request.GET.get("q", "").strip()[:100]
    qs = selectors.visible_carriers(org).order_by("name")
    if q:
        qs = qs.filter(name__icontains=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "carriers/carriers.html", {
        "page_obj": page, "form": form, "can_edit": _can_edit(request), "q": q, "querystring": f"q={q}" if q else "",
    })


@org_view(roles.VIEW_ORGANIZATION)
def carrier_detail(request, pk):
    org = request.organization
    carrier = get_object_or_404(Carrier.objects.filter(Q(organization__isnull=True) | Q(organization=org)), pk=pk)
    reach = (PortalReach.objects.filter(carrier=carrier).filter(Q(organization__isnull=True) | Q(organization=org))
             .select_related("portal").prefetch_related("functions").order_by("portal__name"))
    return render(request, "carriers/carrier_detail.html", {
        "carrier": carrier, "reach": reach, "lob_labels": dict(LineOfBusiness.choices),
        "contracts": Contract.objects.filter(organization=org, carrier=carrier),
    })


@org_view(roles.VIEW_ORGANIZATION)
def contracts(request):
    org = request.organization
    form = ContractForm(organization=org)
    if request.method == "POST":
        _require_edit(request)
        form = ContractForm(request.POST, organization=org)
        if form.is_valid():
            try:
                contract = services.contract_create(organization=org, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Contract with {contract.carrier} added.")
                return redirect("directory_contracts", org_slug=org.slug)
    qs = Contract.objects.filter(organization=org).select_related("carrier").order_by("carrier__name", "effective_date")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(request, "carriers/contracts.html", {
        "page_obj": page, "form": form, "can_edit": _can_edit(request), "today": today,
    })


@org_view(roles.MANAGE_DIRECTORY)
def contract_edit(request, pk):
    org = request.organization
    contract = get_object_or_404(Contract, pk=pk, organization=org)
    fields = ["carrier", "line_of_business", "effective_date", "end_date", "states", "provider_services_phone", "notes"]
    form = ContractForm(organization=org, initial={f: getattr(contract, f) for f in fields})
    if request.method == "POST":
        form = ContractForm(request.POST, organization=org)
        if form.is_valid():
            try:
                services.contract_update(contract=contract, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Contract saved.")
                return redirect("directory_contracts", org_slug=org.slug)
    return render(request, "carriers/contract_form.html", {"form": form, "contract": contract})


@require_POST
@org_view(roles.MANAGE_DIRECTORY)
def contract_delete(request, pk):
    contract = get_object_or_404(Contract, pk=pk, organization=request.organization)
    services.contract_delete(contract=contract, actor=request.user)
    messages.success(request, "Contract removed.")
    return redirect("directory_contracts", org_slug=request.organization.slug)


@org_view(roles.VIEW_ORGANIZATION)
def gaps(request):
    return render(request, "carriers/gaps.html", {
        "gaps": selectors.directory_gaps(request.organization), "min_admins": selectors.MIN_ACTIVE_ADMINISTRATORS,
    })


@org_view(roles.VIEW_ORGANIZATION)
def custom_portals(request):
    org = request.organization
    form = CustomPortalForm(organization=org)
    if request.method == "POST":
        _require_edit(request)
        form = CustomPortalForm(request.POST, organization=org)
        if form.is_valid():
            try:
                portal = services.custom_portal_create(organization=org, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{portal} added to your directory.")
                return redirect("directory_portal", org_slug=org.slug, pk=portal.pk)
    qs = Portal.objects.filter(organization=org).order_by("name")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "carriers/custom_portals.html", {"page_obj": page, "form": form, "can_edit": _can_edit(request)})


@org_view(roles.MANAGE_DIRECTORY)
def custom_portal_edit(request, pk):
    org = request.organization
    portal = get_object_or_404(Portal, pk=pk, organization=org)  # reference portals are not editable here
    fields = ["name", "architecture", "operator", "url", "states", "support_phone", "downtime_protocol"]
    initial = {f: getattr(portal, f) for f in fields}
    initial["functions"] = list(portal.functions.all())
    initial["carriers"] = [r.carrier for r in portal.reaches.filter(organization=org).select_related("carrier")]
    form = CustomPortalForm(organization=org, initial=initial)
    if request.method == "POST":
        form = CustomPortalForm(request.POST, organization=org)
        if form.is_valid():
            try:
                services.custom_portal_update(portal=portal, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Portal saved.")
                return redirect("directory_portal", org_slug=org.slug, pk=portal.pk)
    return render(request, "carriers/custom_portal_form.html", {"form": form, "portal": portal})
