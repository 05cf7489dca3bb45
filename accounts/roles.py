"""What each app role may do, as django-guardian object permissions on the organization.

This table is the one place that says what a role allows; views and API endpoints ask for a
permission (never a role), and tenancy.resolve_organization checks it.
"""

from .models import Role

P = "accounts."
VIEW_ORGANIZATION = P + "view_organization"
MANAGE_ORGANIZATION = P + "manage_organization"
MANAGE_MEMBERS = P + "manage_members"
MANAGE_DIRECTORY = P + "manage_directory"
VIEW_STAFF = P + "view_staff"
MANAGE_STAFF = P + "manage_staff"
VIEW_PORTAL_ACCOUNTS = P + "view_portal_accounts"
MANAGE_PORTAL_ACCOUNTS = P + "manage_portal_accounts"
RUN_ACCESS_REVIEWS = P + "run_access_reviews"
VIEW_AUDIT_LOG = P + "view_audit_log"
EXPORT_AUDIT_LOG = P + "export_audit_log"
VIEW_FINDINGS = P + "view_findings"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset({
        VIEW_ORGANIZATION, MANAGE_ORGANIZATION, MANAGE_MEMBERS, MANAGE_DIRECTORY, VIEW_STAFF,
        MANAGE_STAFF, VIEW_PORTAL_ACCOUNTS, MANAGE_PORTAL_ACCOUNTS, RUN_ACCESS_REVIEWS,
        VIEW_AUDIT_LOG, EXPORT_AUDIT_LOG, VIEW_FINDINGS,
    }),
    Role.BILLING_MANAGER: frozenset({
        VIEW_ORGANIZATION, VIEW_STAFF, VIEW_PORTAL_ACCOUNTS, RUN_ACCESS_REVIEWS, VIEW_FINDINGS,
    }),
    Role.AUDITOR: frozenset({
        VIEW_ORGANIZATION, VIEW_STAFF, VIEW_PORTAL_ACCOUNTS, VIEW_AUDIT_LOG, EXPORT_AUDIT_LOG,
        VIEW_FINDINGS,
    }),
    Role.STAFF: frozenset({VIEW_ORGANIZATION}),
}  # fmt: skip

ALL_ORGANIZATION_PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())
