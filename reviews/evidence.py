"""The campaign evidence an auditor asks for: scope, access at launch, every decision with its
reviewer, time and reason, the remediation and its completion, access at close, and the sign-off.
The same rows feed the CSV and the printable page; exporting either is an audit event."""

from __future__ import annotations

import io
from collections.abc import Iterator

from django.db import transaction

from audits.services import record_event
from core.csvsafe import safe_csv_writer

from .models import FLAG_LABELS, ReviewCampaign, ReviewItem
from .services import access_now

CSV_COLUMNS = [
    "item", "kind", "holder", "job_role", "employment_status", "portal", "portal_user_id",
    "functions_at_launch", "last_login", "mfa_enrolled", "training", "open_findings_at_launch", "flags",
    "reviewer", "reviewer_basis", "decision", "reason", "keep_until", "functions_removed", "decided_by",
    "decided_at", "decided_in_bulk", "seconds_on_decision", "remediation_task", "remediation_status",
    "remediation_completed_by", "remediation_completed_at", "payer_confirmation", "access_at_close",
]


def function_names() -> dict[str, str]:
    """Function code -> the name people use ("claim_status" -> "Claim status"): evidence shows names only."""
    from carriers.models import PortalFunction

    return dict(PortalFunction.objects.values_list("code", "name"))


def _name(code: str, names: dict) -> str:
    return names.get(code) or code.replace("_", " ").capitalize()


def _fmt_access(access: dict | None, names: dict | None = None) -> str:
    if not access:
        return ""
    if "functions" in access:
        status = str(access.get("status", "")).replace("_", " ")
        return f"{status}: {', '.join(_name(c, names or {}) for c in access['functions'])}".strip()
    return "; ".join(f"{k}={v}" for k, v in sorted(access.items()))


def evidence_items(campaign: ReviewCampaign):
    return (campaign.items.select_related("reviewer", "remediation_task__completed_by", "portal_account",
                                          "credential")
            .prefetch_related("portal_account__functions", "credential__custodians")
            .order_by("holder_name", "portal_name", "pk"))


def evidence_row(item: ReviewItem, *, live: bool, names: dict | None = None) -> dict:
    snap = item.snapshot or {}
    names = names if names is not None else {}
    task = item.remediation_task
    at_close = item.access_at_close if item.access_at_close is not None else (access_now(item) if live else None)
    return {
        "item": item.pk, "kind": item.get_kind_display(), "holder": item.holder_name,
        "job_role": snap.get("job_role", ""), "employment_status": snap.get("employment_status_label", ""),
        "portal": item.portal_name, "portal_user_id": snap.get("portal_user_id") or snap.get("login_id", ""),
        "functions_at_launch": ", ".join(f.get("name") or _name(f["code"], names) for f in snap.get("functions", [])),
        "last_login": snap.get("last_login") or "", "mfa_enrolled": snap.get("mfa_enrolled", ""),
        "training": snap.get("training", ""), "open_findings_at_launch": " | ".join(snap.get("open_findings", [])),
        "flags": ", ".join(FLAG_LABELS.get(f, f.replace("_", " ")) for f in item.flags or []),
        "reviewer": (item.reviewer.email if item.reviewer else ""), "reviewer_basis": item.get_reviewer_basis_display(),
        "decision": item.get_decision_display() if item.decision else "Undecided", "reason": item.reason,
        "keep_until": item.keep_until.isoformat() if item.keep_until else "",
        "functions_removed": ", ".join(item.functions_removed_names),
        "decided_by": item.decided_by_label, "decided_at": item.decided_at.isoformat() if item.decided_at else "",
        "decided_in_bulk": "yes" if item.decided_in_bulk else "",
        "seconds_on_decision": "" if item.decision_seconds is None else item.decision_seconds,
        "remediation_task": task.pk if task else "",
        "remediation_status": task.get_status_display() if task else "",
        "remediation_completed_by": (task.completed_by.email if task and task.completed_by else ""),
        "remediation_completed_at": task.completed_at.isoformat() if task and task.completed_at else "",
        "payer_confirmation": task.payer_confirmation if task else "",
        "access_at_close": _fmt_access(at_close, names),
    }


def evidence_csv_lines(campaign: ReviewCampaign) -> Iterator[str]:
    """The CSV, a line at a time (streamed: a 100,000-item campaign never sits in memory)."""
    buf = io.StringIO()
    writer = safe_csv_writer(buf)

    def flush() -> str:
        value = buf.getvalue()
        buf.seek(0)
        buf.truncate(0)
        return value

    scope = campaign.scope or {}
    writer.writerow(["# campaign", campaign.name, "period", campaign.period, "organization",
                     campaign.organization.legal_name])
    writer.writerow(["# launched", campaign.launched_at.isoformat(), "by", campaign.launched_by, "due",
                     campaign.due_on.isoformat()])
    writer.writerow(["# scope", f"{scope.get('accounts', 0)} portal accounts",
                     f"{scope.get('credentials', 0)} organization credentials",
                     f"{scope.get('reviewers', 0)} reviewers", f"statuses {' '.join(scope.get('statuses_reviewed', []))}"])
    signed = (f"{campaign.signed_off_by.email if campaign.signed_off_by else ''} at {campaign.closed_at.isoformat()}"
              if campaign.closed_at else "not signed off")
    writer.writerow(["# sign-off", signed, campaign.sign_off_note])
    writer.writerow(CSV_COLUMNS)
    yield flush()
    live = campaign.status != ReviewCampaign.Status.CLOSED
    names = function_names()
    for item in evidence_items(campaign).iterator(chunk_size=1000):
        row = evidence_row(item, live=live, names=names)
        writer.writerow([row[c] for c in CSV_COLUMNS])
        yield flush()


@transaction.atomic
def evidence_exported(*, campaign: ReviewCampaign, acting_user, fmt: str) -> None:
    record_event("review_campaign.evidence_exported", actor=acting_user, organization=campaign.organization_id,
                 target=campaign, changes={"format": [None, fmt]},
                 message=f"{campaign.name} evidence exported as {fmt}")
