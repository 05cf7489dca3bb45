"""Compliance over time: one practice's trend charts, and the summary across every practice a person
has a role in (billing companies, MSOs)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from accounts import roles
from accounts.tenancy import org_view
from audits.services import record_event
from core.csvsafe import safe_csv_writer

from .charts import line_chart, sparkline
from .figures import BY_KEY, FIGURES, figure_url
from .selectors import series_for, snapshots_since, summary_rows
from .services import snapshot_take

CHARTS = [
    # (title, [(figure key, series label)], unit, fixed max)
    ("Open findings by severity", [("findings_critical", "Critical"), ("findings_high", "High")], "", None),
    ("Overdue provisioning and deactivation tasks", [("tasks_overdue", "Overdue")], "", None),
    ("Current access review decided", [("review_percent", "Decided")], "%", 100),
    ("Portals without two active administrators", [("portals_without_two_administrators", "Portals")], "", None),
    ("Accounts near the inactivity lock-out", [("accounts_near_lockout", "Accounts")], "", None),
    ("Account holders with current training", [("training_coverage", "Trained")], "%", 100),
    ("Unresolved user-list differences", [("reconciliation_open", "Open")], "", None),
]


def trend_charts(organization, keys: set[str] | None = None) -> list[dict]:
    """The charts (and their data tables) for one organization: used by the trends page and, limited to
    the charts whose first figure is in `keys`, by the dashboard."""
    snaps = snapshots_since(organization)
    charts = []
    for title, chart_keys, unit, fixed in CHARTS:
        if keys is not None and chart_keys[0][0] not in keys:
            continue
        series = [series_for(snaps, key, label) for key, label in chart_keys]
        figure = BY_KEY[chart_keys[0][0]]
        latest = snaps[-1].figures if snaps else {}
        charts.append({
            "title": title, "svg": line_chart(series, title=title, unit=unit, fixed_max=fixed),
            "url": figure_url(figure, organization.slug),
            "latest": [(label, latest.get(key), unit) for key, label in chart_keys],
            "table": [(s.day, [s.figures.get(key) for key, _ in chart_keys]) for s in snaps[-14:]],
            "labels": [label for _, label in chart_keys],
        })
    return charts


@org_view(roles.VIEW_FINDINGS)
def trends(request):
    org = request.organization
    if request.method == "POST":
        if roles.MANAGE_ORGANIZATION not in request.org_perms:
            raise PermissionDenied("Only administrators take a snapshot by hand; the daily run takes one anyway.")
        snapshot_take(organization=org)
        messages.success(request, "Today's figures recorded.")
        return redirect("compliance_trends", org_slug=org.slug)
    snaps = snapshots_since(org)
    return render(request, "compliance/trends.html", {
        "charts": trend_charts(org), "as_of": snaps[-1].day if snaps else None,
        "can_snapshot": roles.MANAGE_ORGANIZATION in request.org_perms,
    })


SORTABLE = ["organization"] + [f.key for f in FIGURES]


@login_required
def summary(request):
    sort = request.GET.get("sort", "organization")
    sort = sort if sort in SORTABLE else "organization"
    descending = request.GET.get("dir") == "desc"
    rows = summary_rows(request.user, sort=sort, descending=descending)
    if request.GET.get("format") == "csv":
        return _summary_csv(request, rows)
    for row in rows:
        row["spark"] = sparkline(row["trend"], label="Critical and high findings")
        row["cells"] = [(f, row["figures"][f.key], figure_url(f, row["organization"].slug)) for f in FIGURES]
    return render(request, "compliance/summary.html", {
        "rows": rows, "figures": FIGURES, "sort": sort, "descending": descending,
    })


def _summary_csv(request, rows):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="practices-summary-{timezone.localdate()}.csv"'
    writer = safe_csv_writer(response)
    writer.writerow(["Organization", "Your role", "As of", *[f.label for f in FIGURES]])
    for row in rows:
        writer.writerow([row["organization"].legal_name, row["role"],
                         row["as_of"].isoformat() if row["as_of"] else "",
                         *["" if row["figures"][f.key] is None else row["figures"][f.key] for f in FIGURES]])
    record_event("compliance.summary_exported", actor=request.user, object_type="compliance.summary",
                 object_label="practices summary", changes={"organizations": [None, len(rows)]})
    return response
