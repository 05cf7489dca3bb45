"""Access pages: policy, matrix (+CSV), account detail, provisioning wizard, task queues, my accounts."""

from html import escape as html_escape

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts import roles
from accounts.tenancy import org_view
from carriers.models import PortalFunction
from core.csvsafe import safe_csv_writer
from core.forms import apply_validation_error
from core.shortcuts import get_by_posted_id_or_404
from findings.models import Finding
from staff.forms import NewHireForm
from staff.models import EmploymentStatus, JobRole, StaffMember
from staff.selectors import staff_for_user
from staff.services import staff_create

from .forms import AccountForm, CredentialForm, ExceptionRequestForm, TaskCompleteForm, TransitionForm
from .lifecycle import InvalidTransition
from .models import AccessException, AccountStatus, OrganizationCredential, PortalAccount, ProvisioningTask
from .policy import DEFAULT_POLICY, policy_for_organization, policy_is_customized
from .policy_services import (
    access_policy_set,
    credential_create,
    credential_rotated,
    exception_approve,
    exception_request,
    exception_revoke,
)
from .selectors import (
    accounts_of,
    matrix_cells,
    matrix_columns,
    matrix_lookups,
    matrix_staff,
    shared_logins,
    task_queue,
)
from .services import (
    CONFIRMED_STATUSES,
    enrollment_task_assignee,
    portal_account_deactivate,
    portal_account_transition,
    portal_account_update,
    proposed_accounts,
    provisioning_plan_apply,
    transition_consequences,
)
from .services import task_complete as task_complete_service
from .validators import normalize_user_id

PAGE_SIZE = 50


# --- policy ---------------------------------------------------------------------------------------

@org_view(roles.VIEW_PORTAL_ACCOUNTS)
def policy(request):
    org = request.organization
    can_edit = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    functions = list(PortalFunction.objects.all())
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only administrators change the access policy.")
        job_role = request.POST.get("job_role", "")
        if job_role not in JobRole.values:
            messages.error(request, "Unknown job role.")
        else:
            try:
                access_policy_set(organization=org, job_role=job_role, acting_user=request.user,
                                  function_codes=request.POST.getlist("functions"))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Policy for {JobRole(job_role).label} saved; findings re-evaluated.")
            return redirect("access_policy", org_slug=org.slug)
    current = policy_for_organization(org)
    customized = policy_is_customized(org)
    rows = [{"job_role": code, "label": label, "allowed": current.get(code, frozenset()),
             "customized": code in customized, "default": DEFAULT_POLICY.get(code, frozenset())}
            for code, label in JobRole.choices]
    return render(request, "access/policy.html", {"rows": rows, "functions": functions, "can_edit": can_edit})


# --- access matrix --------------------------------------------------------------------------------

@org_view(roles.VIEW_PORTAL_ACCOUNTS)
def matrix(request):
    org = request.organization
    include_leavers = request.GET.get("leavers") != "0"
    columns = matrix_columns(org)
    staff_qs = matrix_staff(org, include_leavers=include_leavers)
    if request.GET.get("format") == "csv":
        return _matrix_csv(org, columns, staff_qs)
    page = Paginator(staff_qs.values_list("pk", "full_name", "job_role", "employment_status"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    people = list(page)
    cells = matrix_cells(org, [s[0] for s in people])
    account_url = _account_url_maker(org)
    staff_url = _url_maker("staff_detail", org)
    memo = {}  # the escaped markup of each set of functions and each status, shared by the page's 750 cells
    # Each row's cells joined here: 750 {{ cell }} renders in a template loop cost more than the cells themselves.
    rows = [{"staff": _matrix_staff_html(person, staff_url),
             "cells": mark_safe("".join(_matrix_cell_html(cells.get((person[0], e.pk)), account_url, memo)  # noqa: S308  # nosec B308 B703 -- escaped cells
                                        for e in columns))}
            for person in people]
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(request, "access/matrix.html", {
        "columns": columns, "rows": rows, "page_obj": page, "include_leavers": include_leavers,
        "querystring": querystring.urlencode(),
    })


def _url_maker(name, org):
    """A per-object URL of the practice for any pk from one reverse() (a page has up to 750 of them)."""
    prefix, _, suffix = reverse(name, args=[org.slug, 999999999]).rpartition("999999999")
    return lambda pk: f"{prefix}{pk}{suffix}"


def _account_url_maker(org):
    return _url_maker("account_detail", org)


_JOB_ROLE_LABELS, _EMPLOYMENT_LABELS = dict(JobRole.choices), dict(EmploymentStatus.choices)


def _matrix_staff_html(person, staff_url):
    """A matrix row's header cell, built here as the cells are (escaped values, one reverse() a page)."""
    pk, name, role, status = person
    leaver = "" if status == "active" else f" · {_esc(_EMPLOYMENT_LABELS.get(status, status))}"
    return mark_safe(  # noqa: S308  # nosec B308 B703 -- every value is escaped
        f'<th scope="row"><a href="{_esc(staff_url(pk))}">{_esc(name)}</a><br>'
        f'<span class="muted">{_esc(_JOB_ROLE_LABELS.get(role, role))}{leaver}</span></th>')


def _matrix_cell_html(accounts, account_url, memo=None):
    """One matrix cell, built here rather than in template loops: 750 cells a page made the template
    most of the page's time. Every value goes through html.escape (what Django's escape does). `memo`: a
    dict kept for the page, where the markup of a set of functions and of a status is escaped once."""
    if not accounts:
        return _EMPTY_CELL
    memo = {} if memo is None else memo
    parts = []
    for a in accounts:
        names = tuple(a.function_names)
        fns = memo.get(names)
        if fns is None:
            fns = memo[names] = "".join(f'<span class="fn">{_esc(name)}</span>' for name in names)
        status = memo.get(a.status)
        if status is None:
            status = memo[a.status] = f'<span class="muted">{_esc(a.status_label)}</span>'
        badge = ' <span class="badge badge-bad">finding</span>' if a.flagged else ""
        parts.append(f'<a href="{_esc(account_url(a.pk))}">{_esc(a.portal_user_id or "(requested)")}</a> '
                     f'{status}{badge}\n          {fns}')
    css = "cell-flagged" * sum(1 for a in accounts if a.flagged)
    return mark_safe(f'<td class="{css}">' + "\n".join(parts) + "</td>")  # noqa: S308 (every value escaped)  # nosec -- mark_safe: every value in the cell is escaped above


_EMPTY_CELL = mark_safe('<td class="cell-empty">—</td>')  # noqa: S308 (a constant)  # nosec -- mark_safe: a constant


def _esc(value) -> str:
    return html_escape(str(value), quote=True)


class _Echo:
    def write(self, value):
        return value


def _matrix_csv(org, columns, staff_qs):
    """Streamed: rows go out as they are written, in chunks of people, with two queries a chunk."""
    writer = safe_csv_writer(_Echo())

    def rows():
        yield writer.writerow(["Staff member", "Work e-mail", "Job role", "Employment", *[str(e) for e in columns]])
        staff = list(staff_qs.values_list("pk", "full_name", "work_email", "job_role", "employment_status"))
        roles, statuses = dict(JobRole.choices), dict(EmploymentStatus.choices)
        lookups = matrix_lookups(org)
        for start in range(0, len(staff), CSV_CHUNK):
            chunk = staff[start:start + CSV_CHUNK]
            cells = matrix_cells(org, [s[0] for s in chunk], lookups=lookups)
            out = []
            for pk, name, email, role, status in chunk:
                row = [name, email, roles.get(role, role), statuses.get(status, status)]
                for e in columns:
                    row.append(" | ".join(
                        f"{a.portal_user_id or '(no ID)'} [{a.status_label}] {'; '.join(a.function_names)}"
                        + (" FINDING" if a.flagged else "") for a in cells.get((pk, e.pk), [])))
                out.append(writer.writerow(row))
            yield "".join(out)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-matrix-{org.slug}-{timezone.localdate()}.csv"'
    return response


CSV_CHUNK = 500


# --- one account ----------------------------------------------------------------------------------

@org_view(roles.VIEW_PORTAL_ACCOUNTS)
def account_detail(request, pk):
    org = request.organization
    account = get_object_or_404(PortalAccount.objects.select_related("staff_member", "enrollment__portal",
                                                                     "provisioned_by"), pk=pk, organization=org)
    can_manage = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    can_approve = roles.RUN_ACCESS_REVIEWS in request.org_perms
    form = AccountForm(instance=PortalAccount.objects.get(pk=account.pk))
    transition_form = TransitionForm(account=account)
    exception_form = ExceptionRequestForm()
    if request.method == "POST":
        which = request.POST.get("form")
        if which in ("edit", "transition", "exception") and not can_manage:
            raise PermissionDenied("Only administrators change portal accounts.")
        if which == "edit":
            form = AccountForm(request.POST, instance=PortalAccount.objects.get(pk=account.pk))
            if form.is_valid():
                try:
                    portal_account_update(account=account, acting_user=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    apply_validation_error(form, exc)
                else:
                    messages.success(request, "Account saved.")
                    return redirect("account_detail", org_slug=org.slug, pk=account.pk)
        elif which == "transition":
            transition_form = TransitionForm(request.POST, account=account)
            if transition_form.is_valid():
                to_status = transition_form.cleaned_data["to_status"]
                reason = transition_form.cleaned_data["reason"]
                try:
                    if to_status in CONFIRMED_STATUSES and request.POST.get("confirm") != "yes":
                        # Deactivation cannot be taken back: say what it sets in motion, then ask.
                        return render(request, "access/transition_confirm.html", {
                            "account": account, "to_status": to_status, "reason": reason,
                            "to_label": AccountStatus(to_status).label.lower(),
                            "consequences": transition_consequences(account, to_status),
                            "not_confirmed": "confirm" in request.POST})
                    if to_status == AccountStatus.DEACTIVATION_PENDING:
                        portal_account_deactivate(account=account, acting_user=request.user, reason=reason)
                    else:
                        portal_account_transition(account=account, acting_user=request.user, to_status=to_status,
                                                  reason=reason)
                except (InvalidTransition, ValidationError) as exc:
                    transition_form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
                else:
                    messages.success(request, f"{account.staff_member.full_name}'s {account.enrollment.portal.name} "
                                              f"account is now {AccountStatus(to_status).label.lower()}.")
                    return redirect("account_detail", org_slug=org.slug, pk=account.pk)
        elif which == "exception":
            exception_form = ExceptionRequestForm(request.POST)
            if exception_form.is_valid():
                try:
                    exception_request(account=account, acting_user=request.user, **exception_form.cleaned_data)
                except ValidationError as exc:
                    apply_validation_error(exception_form, exc)
                else:
                    messages.success(request, "Exception requested; someone else must approve it.")
                    return redirect("account_detail", org_slug=org.slug, pk=account.pk)
        elif which in ("approve", "revoke"):
            exc_row = get_by_posted_id_or_404(AccessException, request.POST.get("exception"), portal_account=account)
            if not can_approve:
                raise PermissionDenied("Your role does not approve exceptions.")
            try:
                if which == "approve":
                    exception_approve(exception=exc_row, acting_user=request.user)
                else:
                    exception_revoke(exception=exc_row, acting_user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Exception {which}d.")
            return redirect("account_detail", org_slug=org.slug, pk=account.pk)
        else:
            messages.error(request, "Unknown form.")
    today = timezone.localdate()
    exceptions = list(account.exceptions.select_related("function", "requested_by", "approved_by"))
    for e in exceptions:
        e.live = e.is_live(today)
    return render(request, "access/account_detail.html", {
        "account": account, "form": form, "transition_form": transition_form, "exception_form": exception_form,
        "exceptions": exceptions, "can_manage": can_manage, "can_approve": can_approve,
        "findings": account.findings.filter(resolved_at__isnull=True),
        "tasks": account.tasks.select_related("assignee", "completed_by").order_by("-created_at")[:20],
    })


# --- provisioning wizard --------------------------------------------------------------------------

@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def provision_start(request):
    """Step 1: the new hire (added to the roster here) or someone already on it."""
    org = request.organization
    form = NewHireForm(request.POST or None, organization=org)
    if request.method == "POST" and request.POST.get("existing"):
        staff = get_by_posted_id_or_404(StaffMember, request.POST["existing"], organization=org)
        return redirect("provision_plan", org_slug=org.slug, pk=staff.pk)
    if request.method == "POST":
        if roles.MANAGE_STAFF not in request.org_perms:
            raise PermissionDenied("Only administrators add people to the roster.")
        if form.is_valid():
            try:
                staff = staff_create(organization=org, acting_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{staff.full_name} added to the roster.")
                return redirect("provision_plan", org_slug=org.slug, pk=staff.pk)
    recent = StaffMember.objects.filter(organization=org, employment_status="active").order_by("-created_at")[:20]
    return render(request, "access/provision_start.html", {"form": form, "recent": recent})


@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def provision_plan(request, pk):
    """Step 2: the accounts and functions the job role needs across the registered portals."""
    org = request.organization
    staff = get_object_or_404(StaffMember, pk=pk, organization=org)
    proposals = proposed_accounts(staff, include_changes=True) if staff.is_active else []
    allowed = policy_for_organization(org).get(staff.job_role, frozenset())
    error = None
    if request.method == "POST":
        by_pk = {p["enrollment"].pk: p["enrollment"] for p in proposals}
        selections = []
        for enr_pk, enrollment in by_pk.items():
            if request.POST.get(f"enrollment_{enr_pk}"):
                selections.append((enrollment, request.POST.getlist(f"functions_{enr_pk}")))
        if not selections:
            error = "Choose at least one portal."
        else:
            try:
                tasks = provisioning_plan_apply(staff=staff, acting_user=request.user, selections=selections)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, f"{len(tasks)} provisioning task{'s' if len(tasks) != 1 else ''} created "
                                          f"for {staff.full_name}, each in its portal administrator's queue.")
                return redirect("staff_detail", org_slug=org.slug, pk=staff.pk)
    for p in proposals:
        p["beyond"] = [f for f in p["offered"] if f.code not in allowed]
        # The same rule that assigns the task (access.services.enrollment_task_assignee): the page names the
        # person who will get it.
        p["admin"] = enrollment_task_assignee(p["enrollment"])
    return render(request, "access/provision_plan.html", {"staff": staff, "proposals": proposals, "error": error})


# --- task queues ----------------------------------------------------------------------------------

def _can_work_task(request, task) -> bool:
    if roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms:
        return True
    return task.assignee is not None and task.assignee.user_id == request.user.pk


@org_view(roles.VIEW_ORGANIZATION)
def tasks(request):
    """Each portal administrator's queue. Administrators of the practice see every queue; a portal
    administrator without that role sees their own."""
    org = request.organization
    me = staff_for_user(organization=org, user=request.user)
    manage_all = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    if not manage_all and me is None:
        raise PermissionDenied("You have no task queue here.")
    who = request.GET.get("assignee", "mine" if me else "all")
    assignee = None
    if not manage_all or who == "mine":
        assignee = me
    elif who == "unassigned":
        assignee = "unassigned"
    elif who.isdigit():
        assignee = get_object_or_404(StaffMember, pk=who, organization=org)
    status = request.GET.get("status", "open")
    status = status if status in ProvisioningTask.Status.values else None
    page = Paginator(task_queue(org, assignee=assignee, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    admins = (StaffMember.objects.filter(organization=org, administered_enrollments__isnull=False)
              .only("full_name").distinct().order_by("full_name")) if manage_all else []
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(request, "access/tasks.html", {
        "page_obj": page, "rows": _task_rows(page, org), "who": who, "status": status or "", "admins": admins, "me": me,
        "manage_all": manage_all, "querystring": querystring.urlencode(), "today": timezone.localdate(),
    })


_TASK_KINDS, _TASK_STATUSES = dict(ProvisioningTask.Kind.choices), dict(ProvisioningTask.Status.choices)


def _task_rows(page, org) -> list:
    """The task table's rows as HTML, built here (two reverse() a page, no template loop per row and function).
    Every value goes through escape."""
    staff_url, complete_url = _url_maker("staff_detail", org), _url_maker("task_complete", org)
    today = timezone.localdate()
    rows = []
    for t in page:
        account = t.portal_account
        fns = ", ".join(_esc(f.name) for f in t.functions.all()) or "—"
        due = f"{t.due_on:%Y-%m-%d}" if t.due_on else ""
        if t.status == "open" and t.due_on and t.due_on < today:
            due = f'<span class="task-overdue">{due} (overdue)</span>'
        if t.status == "open":
            action = f'<a href="{_esc(complete_url(t.pk))}">Record as done</a>'
        else:
            action = _esc(_TASK_STATUSES.get(t.status, t.status)) + (
                f": {_esc(t.payer_confirmation)}" if t.payer_confirmation else "")
        assignee = t.assignee.full_name if t.assignee_id else ""
        rows.append(mark_safe(  # noqa: S308  # nosec B308 B703 -- every value is escaped
            f"<tr>\n    <td>{_esc(_TASK_KINDS.get(t.kind, t.kind))}</td>\n"
            f'    <td><a href="{_esc(staff_url(account.staff_member_id))}">{_esc(account.staff_member.full_name)}</a></td>\n'
            f"    <td>{_esc(account.enrollment.portal.name)}</td>\n    <td>{fns}</td>\n"
            f"    <td>{_esc(assignee or 'none')}</td>\n    <td>{due}</td>\n    <td>{action}</td>\n  </tr>"))
    return rows


@org_view(roles.VIEW_ORGANIZATION)
def task_complete(request, pk):
    org = request.organization
    task = get_object_or_404(ProvisioningTask.objects.select_related(
        "portal_account__staff_member", "portal_account__enrollment__portal", "assignee"), pk=pk, organization=org)
    if not _can_work_task(request, task):
        raise PermissionDenied("This task is in another administrator's queue.")
    form = TaskCompleteForm(request.POST or None, task=task)
    if request.method == "POST" and form.is_valid():
        try:
            task_complete_service(task=task, acting_user=request.user, **form.cleaned_data)
        except (ValidationError, InvalidTransition) as exc:
            if isinstance(exc, ValidationError):
                apply_validation_error(form, exc)
            else:
                form.add_error(None, str(exc))
        else:
            messages.success(request, f"Done: {task}. Recorded with the payer's confirmation.")
            return redirect("tasks", org_slug=org.slug)
    return render(request, "access/task_complete.html", {"task": task, "form": form})


# --- my own accounts ------------------------------------------------------------------------------

@org_view(roles.VIEW_ORGANIZATION)
def my_accounts(request):
    me = staff_for_user(organization=request.organization, user=request.user)
    accounts = accounts_of(me) if me else []
    # A portal administrator without the administrator app role finds their queue from here.
    open_tasks = me.assigned_tasks.filter(status=ProvisioningTask.Status.OPEN).count() if me else 0
    accounts = list(accounts)
    shared = shared_logins(accounts)
    for account in accounts:
        account.shared_with = shared.get(account.pk, [])
    # The shared-login finding is kept on one of the sharers' accounts: find it by its key as well.
    shared_keys = [f"shared:{a.enrollment.portal_id}:{normalize_user_id(a.portal_user_id)}" for a in accounts
                   if a.shared_with]
    findings = (Finding.objects.filter(Q(staff_member=me) | Q(portal_account__staff_member=me) | Q(key__in=shared_keys),
                                       organization=request.organization, resolved_at__isnull=True)
                .distinct()[:50] if me else [])
    return render(request, "access/my_accounts.html", {"me": me, "accounts": accounts, "open_tasks": open_tasks,
                                                       "findings": findings})



# --- organization credentials ----------------------------------------------------------------------

@org_view(roles.VIEW_PORTAL_ACCOUNTS)
def credentials(request):
    """Logins that belong to the practice (clearinghouse SFTP, submitter IDs), with named custodians."""
    org = request.organization
    can_manage = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    form = CredentialForm(request.POST or None, organization=org)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only administrators record organization credentials.")
        if request.POST.get("rotate"):
            cred = get_by_posted_id_or_404(OrganizationCredential, request.POST["rotate"], organization=org)
            credential_rotated(credential=cred, acting_user=request.user)
            messages.success(request, f"Rotation of {cred.label} recorded.")
            return redirect("credentials", org_slug=org.slug)
        if form.is_valid():
            try:
                credential_create(organization=org, acting_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, "Organization credential recorded.")
                return redirect("credentials", org_slug=org.slug)
    rows = (OrganizationCredential.objects.filter(organization=org).prefetch_related("custodians")
            .order_by("-rotation_required", "label"))
    return render(request, "access/credentials.html", {"rows": rows, "form": form, "can_manage": can_manage})
