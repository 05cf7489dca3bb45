"""The dashboard's cards: real counts for the current organization, each behind the permission
that lets the person see it. Each app adds its cards here as it grows."""

from accounts import roles
from accounts.models import Membership


def dashboard_cards(request) -> list[dict]:
    org = request.organization
    perms = request.org_perms
    cards = []
    if roles.MANAGE_MEMBERS in perms:
        cards.append({
            "label": "PortalGov logins", "value": Membership.objects.filter(organization=org).count(),
            "url_name": "members",
        })
    from findings.dashboard import access_cards  # staff, accounts, tasks and findings counts

    cards.extend(access_cards(org, perms))
    from carriers.selectors import directory_cards  # portals registered, current contracts

    cards.extend(directory_cards(org))
    from reviews.dashboard import review_cards  # review items waiting, the running campaign

    cards.extend(review_cards(request))
    from offboarding.dashboard import offboarding_cards  # leavers' open checklists, overdue ones

    cards.extend(offboarding_cards(org, perms))
    from audits.dashboard import audit_cards  # when the audit log was last verified, and the result

    if roles.VIEW_AUDIT_LOG in perms:  # the audit layer knows no roles (DESIGN invariant 15)
        cards.extend(audit_cards(org))
    from security.dashboard import security_cards  # logins still without required MFA, locked-out logins

    cards.extend(security_cards(org, perms))
    from training.dashboard import training_cards  # accounts whose holder's required training is due or expired

    cards.extend(training_cards(org, perms))
    return cards
