"""The audit log's dashboard card: when the log was last verified, and the result (one query)."""

from .selectors import latest_verification

_UNREAD = object()


def audit_cards(org, run=_UNREAD) -> list[dict]:
    """The caller (core.dashboard) shows it only to those who may read the audit log; it passes the run
    when it already read it (None: never verified)."""
    run = latest_verification(org.pk) if run is _UNREAD else run
    if run is None:
        value, tone = "not yet", "warn"
    else:
        value, tone = (f"intact · {run.finished_at:%Y-%m-%d}", "ok") if run.ok else ("FAILED", "bad")
    return [{"label": "Audit log verified", "value": value, "url_name": "audit_verification", "tone": tone}]
