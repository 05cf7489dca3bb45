"""Dashboard cards for staff, portal accounts, tasks and findings: one query each, by permission."""

from accounts import roles


def access_cards(org, perms) -> list[dict]:
    from access.models import AccountStatus, PortalAccount, ProvisioningTask
    from staff.models import EmploymentStatus, StaffMember

    from .models import Finding

    cards = []
    if roles.VIEW_FINDINGS in perms:
        from django.db.models import Count, Q

        counts = Finding.objects.filter(organization=org, resolved_at__isnull=True).aggregate(
            open=Count("pk"), critical=Count("pk", filter=Q(severity="critical")))  # one statement for both
        n_open, n_critical = counts["open"], counts["critical"]
        cards.append({"label": "Open findings", "value": n_open, "url_name": "findings",
                      "tone": "bad" if n_open else ""})
        cards.append({"label": "Critical findings", "value": n_critical, "url_name": "findings",
                      "tone": "bad" if n_critical else ""})
    if roles.VIEW_STAFF in perms:
        cards.append({"label": "Active staff", "url_name": "roster", "value": StaffMember.objects.filter(
            organization=org, employment_status=EmploymentStatus.ACTIVE).count()})
    if roles.VIEW_PORTAL_ACCOUNTS in perms:
        cards.append({"label": "Active portal accounts", "url_name": "matrix", "value": PortalAccount.objects.filter(
            organization=org, status=AccountStatus.ACTIVE).count()})
    if roles.MANAGE_PORTAL_ACCOUNTS in perms:
        cards.append({"label": "Open provisioning tasks", "url_name": "tasks", "value": ProvisioningTask.objects.filter(
            organization=org, status=ProvisioningTask.Status.OPEN).count()})
    return cards
