from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.tenancy import org_view

from .models import Finding, Severity
from .rules import RULE_LABELS, UNSILENCEABLE
from .selectors import findings_list
from .services import finding_silence

PAGE_SIZE = 50


def fix_url(finding: Finding, slug: str) -> str:
    """Where the finding gets fixed."""
    if finding.enrollment_id:
        return reverse("enrollment_administrators", args=[slug, finding.enrollment_id])
    if finding.rule == "deactivation_overdue":
        return reverse("tasks", args=[slug]) + "?assignee=all"
    if finding.credential_id:
        return reverse("credentials", args=[slug])
    if finding.portal_account_id:
        return reverse("account_detail", args=[slug, finding.portal_account_id])
    if finding.staff_member_id:
        return reverse("staff_detail", args=[slug, finding.staff_member_id])
    return ""


@org_view(roles.VIEW_FINDINGS)
def findings(request):
    org = request.organization
    state = request.GET.get("state", "open")
    state = state if state in ("open", "resolved", "all") else "open"
    rule = request.GET.get("rule", "")
    rule = rule if rule in RULE_LABELS else ""
    severity = request.GET.get("severity", "")
    severity = severity if severity in Severity.values else ""
    page = Paginator(findings_list(organization=org, state=state, rule=rule, severity=severity),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    for f in page:
        f.fix_url = fix_url(f, org.slug)
        f.rule_label = RULE_LABELS.get(f.rule, f.rule)
        f.silenceable = f.rule not in UNSILENCEABLE
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(request, "findings/list.html", {
        "page_obj": page, "state": state, "rule": rule, "severity": severity, "rules": sorted(RULE_LABELS.items()),
        "severities": Severity.choices, "querystring": querystring.urlencode(),
        "can_silence": roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms,
    })


@require_POST
@org_view(roles.MANAGE_PORTAL_ACCOUNTS)
def finding_silence_view(request, pk):
    finding = get_object_or_404(Finding, pk=pk, organization=request.organization, resolved_at__isnull=True)
    try:
        finding_silence(finding=finding, acting_user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Finding accepted with your reason; it stays listed until the data changes.")
    return redirect("findings", org_slug=request.organization.slug)
