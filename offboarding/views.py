"""Offboarding pages: the leavers' checklists (printable evidence with the one-hour clock), recording a
leaver, completing items, naming a successor administrator, settings and re-certification dates."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.tenancy import org_view

from . import selectors, services
from .forms import CompleteForm, LeaverForm, RecertificationForm, SettingsForm, SuccessorForm
from .models import ChecklistItem, OffboardingCase

PAGE_SIZE = 50


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


@org_view(roles.VIEW_STAFF)
def cases(request):
    state = request.GET.get("state", "open")
    state = state if state in {"open", "done", "all"} else "open"
    page = Paginator(selectors.cases_list(organization=request.organization, state=state),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "offboarding/cases.html", {
        "page_obj": page, "state": state, "querystring": f"state={state}", "now": timezone.now(),
        "can_manage": roles.MANAGE_STAFF in request.org_perms,
    })


def _clock(case, now) -> dict:
    """The deadline as people read it: minutes left, or how late."""
    end = case.completed_at or now
    seconds = (case.due_at - end).total_seconds()
    minutes = int(abs(seconds) // 60)
    text = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    if case.completed_at:
        return {"tone": "ok" if seconds >= 0 else "bad",
                "text": f"Finished {text} {'before' if seconds >= 0 else 'after'} the deadline"}
    return {"tone": "warn" if seconds >= 0 else "bad",
            "text": f"{text} left" if seconds >= 0 else f"Overdue by {text}"}


@org_view(roles.VIEW_STAFF)
def case_detail(request, pk):
    case = get_object_or_404(OffboardingCase.objects.select_related("staff_member"), pk=pk,
                             organization=request.organization)
    items = list(selectors.case_items(case))
    now = timezone.now()
    can_work = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    can_succeed = roles.MANAGE_STAFF in request.org_perms
    candidates = selectors.successor_candidates(request.organization, case.staff_member_id)
    return render(request, "offboarding/case.html", {
        "case": case, "items": items, "now": now, "clock": _clock(case, now),
        "done_count": sum(1 for i in items if not i.is_pending),
        "can_work": can_work, "can_succeed": can_succeed,
        "complete_form": CompleteForm(), "successor_form": SuccessorForm(candidates=candidates),
    })


@require_POST
@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def item_complete(request, pk):
    item = get_object_or_404(ChecklistItem, pk=pk, organization=request.organization)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Record the portal's confirmation (number or message).")
    else:
        try:
            services.item_complete(item=item, acting_user=request.user, confirmation=form.cleaned_data["confirmation"])
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, f"{item.get_kind_display()} recorded as done.")
    return redirect("offboarding_case", org_slug=request.organization.slug, pk=item.case_id)


@require_POST
@org_view(roles.MANAGE_STAFF)
def successor(request, pk):
    item = get_object_or_404(ChecklistItem.objects.select_related("case"), pk=pk, organization=request.organization)
    form = SuccessorForm(request.POST, candidates=selectors.successor_candidates(request.organization,
                                                                                 item.case.staff_member_id))
    if not form.is_valid():
        messages.error(request, "Choose an active member of staff as the successor.")
    else:
        try:
            services.successor_record(item=item, successor=form.cleaned_data["successor"], acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, f"{form.cleaned_data['successor'].full_name} is now the primary administrator; "
                                      "the leaver's own deactivation there can go ahead.")
    return redirect("offboarding_case", org_slug=request.organization.slug, pk=item.case_id)


@org_view(roles.MANAGE_STAFF)
def leaver_new(request):
    form = LeaverForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.leaver_record(staff=form.cleaned_data["staff_member"], acting_user=request.user,
                                          reason=form.cleaned_data["reason"], end_date=form.cleaned_data["end_date"])
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "Recorded. Every portal account is flagged and the administrators are notified.")
            return redirect("offboarding_case", org_slug=request.organization.slug, pk=case.pk)
    return render(request, "offboarding/leaver_form.html", {"form": form})


@org_view(roles.MANAGE_ORGANIZATION)
def settings_page(request):
    deadline, days = services.settings_for(request.organization)
    form = SettingsForm(request.POST or None, initial={"deadline_minutes": deadline,
                                                       "reminder_days": ", ".join(str(d) for d in days)})
    if request.method == "POST" and form.is_valid():
        services.settings_update(organization=request.organization, acting_user=request.user,
                                 **form.cleaned_data)
        messages.success(request, "Offboarding settings saved.")
        return redirect("offboarding_settings", org_slug=request.organization.slug)
    return render(request, "offboarding/settings.html", {"form": form})


@org_view(roles.VIEW_PORTAL_ACCOUNTS)
def recertifications(request):
    can_manage = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    form = RecertificationForm(request.POST or None, organization=request.organization)
    if request.method == "POST":
        if not can_manage:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Only portal-account managers record re-certification dates.")
        if form.is_valid():
            try:
                services.recertification_record(organization=request.organization, acting_user=request.user,
                                                **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(request, "Re-certification date saved.")
                return redirect("offboarding_recertifications", org_slug=request.organization.slug)
    page = Paginator(selectors.recertifications(request.organization), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "offboarding/recertifications.html", {
        "page_obj": page, "form": form, "can_manage": can_manage, "today": timezone.localdate()})
