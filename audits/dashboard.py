"""The audit log's dashboard card: when the log was last verified, and the result (one query)."""

from accounts import roles

from .selectors import latest_verification


def audit_cards(org, perms) -> list[dict]:
    if roles.VIEW_AUDIT_LOG not in perms:
        return []
    run = latest_verification(org.pk)
    if run is None:
        value, tone = "not yet", "warn"
    else:
        value, tone = (f"intact · {run.finished_at:%Y-%m-%d}", "ok") if run.ok else ("FAILED", "bad")
    return [{"label": "Audit log verified", "value": value, "url_name": "audit_verification", "tone": tone}]
