from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render

from accounts import roles
from accounts.tenancy import org_view
from core.forms import apply_validation_error
from staff.models import StaffMember

from .forms import AttestForm, CompletionForm, ModuleForm
from .models import TrainingCompletion, TrainingModule
from .selectors import CURRENT, DUE, EXPIRED, module_holders, my_modules
from .services import completion_record, module_create, module_update

PAGE_SIZE = 50
STATE_LABELS = {CURRENT: "Current", EXPIRED: "Expired", DUE: "Missing"}


@org_view(roles.VIEW_STAFF)
def module_list(request):
    modules = (TrainingModule.objects.filter(organization=request.organization).select_related("portal", "function")
               .annotate(completion_count=Count("completions")).order_by("-is_active", "title", "pk"))
    page = Paginator(modules, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/modules.html", {
        "page_obj": page, "can_manage": roles.MANAGE_STAFF in request.org_perms})


@org_view(roles.MANAGE_STAFF)
def module_new(request):
    form = ModuleForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        try:
            module = module_create(organization=request.organization, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Training module “{module.title}” added.")
            return redirect("training_module", org_slug=request.organization.slug, pk=module.pk)
    return render(request, "training/form.html", {"form": form, "title": "Add a training module"})


@org_view(roles.MANAGE_STAFF)
def module_edit(request, pk):
    module = get_object_or_404(TrainingModule, pk=pk, organization=request.organization)
    form = ModuleForm(request.POST or None, instance=TrainingModule.objects.get(pk=module.pk),
                      organization=request.organization)
    if request.method == "POST" and form.is_valid():
        try:
            module = module_update(module=module, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"“{module.title}” saved.")
            return redirect("training_module", org_slug=request.organization.slug, pk=module.pk)
    return render(request, "training/form.html", {"form": form, "title": f"Edit {module.title}"})


@org_view(roles.VIEW_STAFF)
def module_detail(request, pk):
    module = get_object_or_404(TrainingModule.objects.select_related("portal", "function"), pk=pk,
                               organization=request.organization)
    holders = module_holders(module) if module.is_active else []
    state = request.GET.get("state", "")
    state = state if state in STATE_LABELS else ""
    counts = {s: sum(1 for h in holders if h["state"] == s) for s in STATE_LABELS}
    if state:
        holders = [h for h in holders if h["state"] == state]
    people = {s.pk: s for s in StaffMember.objects.filter(pk__in=[h["staff_member_id"] for h in holders])}
    rows = sorted(({**h, "staff": people[h["staff_member_id"]], "label": STATE_LABELS[h["state"]]}
                   for h in holders if h["staff_member_id"] in people),
                  key=lambda r: (r["state"] == CURRENT, r["staff"].full_name, r["staff"].pk))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    recent = (TrainingCompletion.objects.filter(module=module).select_related("staff_member", "recorded_by")
              .order_by("-completed_on", "-pk")[:20])
    return render(request, "training/module.html", {
        "module": module, "page_obj": page, "counts": counts, "state": state, "states": STATE_LABELS,
        "querystring": f"state={state}" if state else "", "recent": recent,
        "can_manage": roles.MANAGE_STAFF in request.org_perms})


@org_view(roles.MANAGE_STAFF)
def completion_new(request, pk):
    module = get_object_or_404(TrainingModule, pk=pk, organization=request.organization)
    form = CompletionForm(request.POST or None, organization=request.organization,
                          initial={"staff_member": request.GET.get("staff")})
    if request.method == "POST" and form.is_valid():
        try:
            done = completion_record(organization=request.organization, module=module, acting_user=request.user,
                                     staff_member=form.cleaned_data["staff_member"],
                                     completed_on=form.cleaned_data["completed_on"],
                                     evidence=form.cleaned_data["evidence"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Recorded: {done.staff_member.full_name} completed “{module.title}” "
                                      f"(current until {done.expires_on:%Y-%m-%d}).")
            return redirect("training_module", org_slug=request.organization.slug, pk=module.pk)
    return render(request, "training/form.html", {"form": form, "title": f"Record a completion of {module.title}"})


@org_view(roles.VIEW_ORGANIZATION)
def my_training(request):
    """Any role: the signed-in person's own modules (their roster entry here), and attesting one."""
    staff = StaffMember.objects.filter(organization=request.organization, user=request.user).first()
    form = AttestForm(request.POST or None, organization=request.organization)
    if request.method == "POST":
        if staff is None:
            messages.error(request, "You are not on this practice's staff roster, so there is nothing to attest.")
            return redirect("my_training", org_slug=request.organization.slug)
        if form.is_valid():
            try:
                done = completion_record(organization=request.organization, staff_member=staff,
                                         module=form.cleaned_data["module"], acting_user=request.user,
                                         completed_on=form.cleaned_data["completed_on"],
                                         evidence=form.cleaned_data["evidence"], attested=True)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Thank you: “{done.module.title}” is current until "
                                          f"{done.expires_on:%Y-%m-%d}.")
                return redirect("my_training", org_slug=request.organization.slug)
        messages.error(request, "Nothing recorded: " + " ".join(
            e for errors in form.errors.values() for e in errors))
    rows = my_modules(request.organization, staff) if staff else []
    for row in rows:
        row["label"] = STATE_LABELS[row["state"]]
    return render(request, "training/mine.html", {"staff": staff, "rows": rows})
