"""Reconciliation's findings: a difference raised as a finding, and any difference left unresolved past
the organization's limit. Registered with the rules engine (findings calls us, not the reverse)."""

import datetime

from findings import rules
from findings.models import Severity

from .models import Difference

RULE_RAISED = "reconciliation_difference"
RULE_OVERDUE = "reconciliation_unresolved"
rules.RULE_LABELS.setdefault(RULE_RAISED, "Portal user-list difference")
rules.RULE_LABELS.setdefault(RULE_OVERDUE, "Portal user-list difference unresolved")


def reconciliation_specs(organization, now):
    from .services import unresolved_limit_days

    limit = now - datetime.timedelta(days=unresolved_limit_days(organization))
    specs = []
    qs = (Difference.objects.filter(organization=organization)
          .exclude(status=Difference.Status.RESOLVED).select_related("enrollment__portal", "portal_account__staff_member"))
    for diff in qs:
        portal = diff.enrollment.portal.name
        holder = diff.portal_account.staff_member.full_name if diff.portal_account_id else "unknown holder"
        title = f"{diff.get_kind_display()}: {diff.portal_user_id} ({holder}) on {portal}"
        common = {"enrollment_id": diff.enrollment_id, "portal_account_id": diff.portal_account_id,
                  "staff_member_id": diff.portal_account.staff_member_id if diff.portal_account_id else None}
        if diff.status == Difference.Status.ESCALATED:
            severity = Severity.HIGH if diff.kind == Difference.Kind.ORPHAN else Severity.MEDIUM
            specs.append(rules.FindingSpec(RULE_RAISED, severity, f"recon:{diff.pk}", title[:300],
                                           diff.resolution_note or diff.summary, **common))
        elif diff.first_seen < limit:
            specs.append(rules.FindingSpec(RULE_OVERDUE, Severity.MEDIUM, f"recon_overdue:{diff.pk}",
                                           f"Unresolved since {diff.first_seen:%Y-%m-%d}: {title}"[:300],
                                           diff.summary, **common))
    return specs


rules.register_rule_provider(reconciliation_specs)
