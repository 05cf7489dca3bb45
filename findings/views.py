import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.dateformat import DateFormat
from django.utils.html import format_html
from django.utils.timezone import template_localtime
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.tenancy import org_view

from .models import Finding, Severity
from .rules import RULE_LABELS, UNSILENCEABLE
from .selectors import findings_list
from .services import finding_silence

PAGE_SIZE = 50


# The columns the list shows and its links need: the finding's own row, no joined staff, account, portal or
# credential instances (five model instances a row were built and never read).
LIST_FIELDS = ("id", "rule", "severity", "title", "detail", "first_seen", "resolved_at", "silenced_at",
               "silence_reason", "enrollment", "credential", "portal_account", "staff_member")


class _RowUrls:
    """reverse() once per route for the page, then each row's id put in its place: the same string reverse()
    gives for that id (the id is the last argument of every route used here), for a fraction of the cost."""

    _MARK = "2147483647"

    def __init__(self, slug: str):
        self.slug, self.parts = slug, {}

    def __call__(self, name: str, pk) -> str:
        parts = self.parts.get(name)
        if parts is None:
            parts = self.parts[name] = reverse(name, args=[self.slug, int(self._MARK)]).rsplit(self._MARK, 1)
        return f"{parts[0]}{int(pk)}{parts[1]}"


def fix_url(finding: Finding, slug: str, urls: _RowUrls | None = None) -> str:
    """Where the finding gets fixed."""
    urls = urls or _RowUrls(slug)
    if finding.enrollment_id:
        return urls("enrollment_administrators", finding.enrollment_id)
    if finding.rule == "deactivation_overdue":
        return reverse("tasks", args=[slug]) + "?assignee=all"
    if finding.credential_id:
        return reverse("credentials", args=[slug])
    if finding.portal_account_id:
        return urls("account_detail", finding.portal_account_id)
    if finding.staff_member_id:
        return urls("staff_detail", finding.staff_member_id)
    return ""


STAMP = "Y-m-d H:i T"  # as the templates' |date:"Y-m-d H:i T", in the practice's zone


def _stamp(value) -> str:
    """value|date:"Y-m-d H:i T" without parsing the format for each of the page's hundred stamps: the same digits,
    and the zone's name as Django's "T" gives it (DateFormat.T: empty in an ambiguous or missing hour)."""
    if not value:
        return ""
    if not isinstance(value, datetime.datetime):
        return date_filter(value, STAMP)
    local = template_localtime(value)
    return (f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d} "
            f"{DateFormat(local).T()}")


def _row_html(f: Finding, csrf: str) -> str:
    """One row of the findings table, written here rather than by the template's loop (the loop's ~20 lookups,
    filters and conditions per row were most of the page's CPU); the same HTML, every value escaped."""
    finding = format_html("{}", f.title)
    if f.detail:
        finding = format_html('{}<br><span class="muted">{}</span>', finding, f.detail)
    if f.silenced_at:
        finding = format_html('{}<br><span class="badge">accepted: {}</span>', finding, f.silence_reason)
    fix = format_html('<a href="{}">Fix</a>', f.fix_url) if f.fix_url else ""
    accept = format_html(
        '\n      <details><summary>Accept</summary><form method="post" action="{}">{}<label for="reason-{}">Reason'
        '</label><input id="reason-{}" name="reason" required><button type="submit">Accept</button></form>'
        "</details>\n      ", f.silence_url, csrf, f.pk, f.pk) if f.silence_url else ""
    return format_html(
        '\n  <tr>\n    <td><span class="badge sev-{}">{}</span></td>\n    <td>{}</td>\n    <td>{}</td>\n'
        "    <td>{}</td>\n    <td>{}</td>\n    <td>{}\n      {}</td>\n  </tr>\n  ",
        f.severity, f.get_severity_display(), finding, f.rule_label, _stamp(f.first_seen),
        _stamp(f.resolved_at) or "\u2014", fix, accept)


@org_view(roles.VIEW_FINDINGS)
def findings(request):
    org = request.organization
    state = request.GET.get("state", "open")
    state = state if state in ("open", "resolved", "all") else "open"
    rule = request.GET.get("rule", "")
    rule = rule if rule in RULE_LABELS else ""
    severity = request.GET.get("severity", "")
    severity = severity if severity in Severity.values else ""
    rows = findings_list(organization=org, state=state, rule=rule, severity=severity).select_related(None)
    page = Paginator(rows.only(*LIST_FIELDS), PAGE_SIZE).get_page(request.GET.get("page"))
    can_silence = roles.MANAGE_PORTAL_ACCOUNTS in request.org_perms
    urls = _RowUrls(org.slug)
    for f in page:
        f.fix_url = fix_url(f, org.slug, urls) if not f.resolved_at else ""
        f.rule_label = RULE_LABELS.get(f.rule, f.rule)
        f.silenceable = f.rule not in UNSILENCEABLE
        # The row's accept form, decided here once rather than by four template conditions per row.
        f.silence_url = (urls("finding_silence", f.pk) if can_silence and f.silenceable and not f.resolved_at
                         and not f.silenced_at else "")
    csrf = csrf_input(request) if can_silence else ""
    querystring = request.GET.copy()
    querystring.pop("page", None)
    return render(request, "findings/list.html", {
        "page_obj": page, "rows": [_row_html(f, csrf) for f in page], "state": state, "rule": rule, "severity": severity, "rules": sorted(RULE_LABELS.items()),
        "severities": Severity.choices, "querystring": querystring.urlencode(),
        "can_silence": can_silence,
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
