"""Keeping findings in step with the data: evaluate every rule, open what fails, resolve what passes."""

from __future__ import annotations

import contextlib
import contextvars

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.models import Organization, User
from audits.services import record_event

from .models import SEVERITY_RANK, SYSTEM_PREFIX, EvaluationMark, Finding
from .rules import UNSILENCEABLE, evaluate_rules

SPEC_FIELDS = ("rule", "severity", "title", "detail", "staff_member_id", "portal_account_id", "enrollment_id",
               "credential_id")


# Called at the top of every evaluation with (organization=, now=, acting_user=), inside its
# transaction: e.g. offboarding syncs leavers' checklists and movers' tasks before the rules run.
PRE_EVALUATION_HOOKS: list = []


def register_pre_evaluation_hook(func) -> None:
    if func not in PRE_EVALUATION_HOOKS:
        PRE_EVALUATION_HOOKS.append(func)


# Inside evaluation_deferred(), an evaluation only notes its organization: a batch of changes (the daily
# job terminating everybody whose end date passed) is evaluated once, not once per change.
_deferred: contextvars.ContextVar[dict | None] = contextvars.ContextVar("findings_deferred", default=None)


@contextlib.contextmanager
def evaluation_deferred(*, evaluate_after: bool = True):
    """Defer every findings evaluation requested inside; on leaving, evaluate each organization noted
    once (evaluate_after=False: the caller evaluates right after itself). Nested uses join the outer one."""
    if _deferred.get() is not None:
        yield
        return
    noted: dict = {}
    token = _deferred.set(noted)
    try:
        yield
    finally:
        _deferred.reset(token)
    if evaluate_after:
        for organization in noted.values():
            findings_evaluate_organization(organization=organization)


@transaction.atomic
def findings_evaluate_organization(*, organization, now=None, acting_user=None) -> dict:
    """Re-evaluate every rule for one organization. Idempotent: running it twice changes nothing
    the second time. A finding that comes back after being resolved is a new finding."""
    noted = _deferred.get()
    if noted is not None:
        noted[organization.pk] = organization
        return {"opened": 0, "resolved": 0, "open": 0, "deferred": True}
    now = now or timezone.now()
    for hook in PRE_EVALUATION_HOOKS:
        hook(organization=organization, now=now, acting_user=acting_user)
    specs = {s.key: s for s in evaluate_rules(organization, now)}
    # System findings (raised by another app, e.g. a failed audit-log verification) are not the
    # rules' to resolve: they stay open until resolve_system_finding.
    # Plain rows (locked): most findings are unchanged from one day to the next, and building thousands of
    # Finding instances only to compare them was a large part of the daily job.
    open_findings = {r["key"]: r for r in Finding.objects.select_for_update()
                     .filter(organization=organization, resolved_at__isnull=True)
                     .exclude(key__startswith=SYSTEM_PREFIX).order_by().values("pk", "key", *SPEC_FIELDS)}
    to_create, changed, to_resolve = [], [], []
    for key, spec in specs.items():
        current = open_findings.get(key)
        if current is None:
            to_create.append(Finding(organization=organization, key=key, first_seen=now, last_seen=now,
                                     severity_rank=SEVERITY_RANK[spec.severity],
                                     **{f: getattr(spec, f) for f in SPEC_FIELDS}))
            continue
        # Only rows whose wording or links changed are rewritten: bulk_update costs a CASE per row.
        if any(current[f] != getattr(spec, f) for f in SPEC_FIELDS):
            changed.append(Finding(pk=current["pk"], severity_rank=SEVERITY_RANK[spec.severity],
                                   **{f: getattr(spec, f) for f in SPEC_FIELDS}))
    for key, finding in open_findings.items():
        if key not in specs:
            to_resolve.append(finding["pk"])
    Finding.objects.bulk_create(to_create, batch_size=500)
    if changed:
        Finding.objects.bulk_update(changed, ["severity_rank", *SPEC_FIELDS], batch_size=500)
    if to_resolve:
        # Last seen by the previous evaluation (the mark, not yet moved to now), unless opened since.
        previous = Subquery(EvaluationMark.objects.filter(organization=organization).values("evaluated_at"))
        Finding.objects.filter(pk__in=to_resolve).update(
            resolved_at=now, last_seen=Greatest(F("last_seen"), Coalesce(previous, F("last_seen"))))
    # The open findings this evaluation kept are seen now: one row for the organization, not a rewrite of
    # each unchanged finding's last_seen (findings.selectors.last_seen_expression reads it back).
    EvaluationMark.objects.bulk_create([EvaluationMark(organization=organization, evaluated_at=now)],
                                       update_conflicts=True, unique_fields=["organization"],
                                       update_fields=["evaluated_at"])
    counts = {"opened": len(to_create), "resolved": len(to_resolve), "open": len(specs)}
    if to_create or to_resolve:
        resolved_titles = [f"{open_findings[k]['rule']}: {open_findings[k]['title']}" for k in open_findings
                           if k not in specs]
        record_event(
            "findings.evaluated", actor=acting_user, organization=organization, object_type="findings.finding",
            object_label="findings", changes={
                "opened": [f"{f.rule}: {f.title}" for f in to_create][:50],
                "resolved": resolved_titles[:50],
            },
        )
    return counts


@transaction.atomic
def finding_silence(*, finding: Finding, acting_user, reason: str) -> Finding:
    """Accept a lesser finding with a reason. Shared credentials, leavers with access and
    enrollments without an administrator cannot be silenced: only fixed."""
    if finding.rule in UNSILENCEABLE:
        raise ValidationError("This finding cannot be silenced; it is resolved only by fixing it.")
    if not isinstance(acting_user, User):
        raise ValidationError("A finding is silenced by a person.")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Say why this finding is accepted (at least a sentence)."})
    finding.silenced_at = timezone.now()
    finding.silenced_by = acting_user
    finding.silence_reason = reason
    finding.save(update_fields=["silenced_at", "silenced_by", "silence_reason"])
    record_event("finding.silenced", actor=acting_user, organization=finding.organization_id, target=finding,
                 message=reason)
    return finding


@transaction.atomic
def raise_system_finding(*, rule: str, severity: str, organization=None, message: str,
                         details: dict | None = None) -> list[Finding]:
    """Open (or refresh) a finding another part of the system detected, such as a failed audit-log
    verification. organization=None means every organization: the problem concerns them all."""
    now = timezone.now()
    orgs = [organization] if organization is not None else list(Organization.objects.order_by("pk"))
    key = f"{SYSTEM_PREFIX}{rule}"
    raised = []
    for org in orgs:
        finding = Finding.objects.filter(organization=org, key=key, resolved_at__isnull=True).first()
        if finding is None:
            finding = Finding.objects.create(
                organization=org, key=key, rule=rule, severity=severity, severity_rank=SEVERITY_RANK[severity],
                title=message[:300], detail="; ".join(f"{k}: {v}" for k, v in (details or {}).items())[:2000],
                first_seen=now, last_seen=now)
            record_event("finding.raised", organization=org, target=finding, message=message,
                         changes={"rule": [None, rule], "severity": [None, severity]})
        else:
            finding.last_seen = now
            finding.save(update_fields=["last_seen"])
        raised.append(finding)
    return raised


def on_audit_verification_failed(sender, *, message: str, result, **kwargs) -> None:
    """audits.signals.verification_failed: a critical finding in every organization (the log is shared)."""
    raise_system_finding(
        rule="audit_log_verification_failed", severity="critical", organization=None, message=message,
        details={"problems": [str(p) for p in result.problems[:5]]},
    )


@transaction.atomic
def resolve_system_finding(*, rule: str, organization=None) -> int:
    qs = Finding.objects.filter(key=f"{SYSTEM_PREFIX}{rule}", resolved_at__isnull=True)
    if organization is not None:
        qs = qs.filter(organization=organization)
    resolved = 0
    for finding in qs:
        finding.resolved_at = timezone.now()
        finding.save(update_fields=["resolved_at"])
        record_event("finding.resolved", organization=finding.organization_id, target=finding)
        resolved += 1
    return resolved
