"""Dashboard card: accounts whose holder lacks current required training (one query, VIEW_STAFF)."""

from accounts import roles


def training_cards(org, perms) -> list[dict]:
    if roles.VIEW_STAFF not in perms:
        return []
    from findings.models import Finding

    from .findings_hook import UNTRAINED_HOLDER

    # The open untrained-holder findings are already set-based and current as of the last evaluation.
    n = (Finding.objects.filter(organization=org, rule=UNTRAINED_HOLDER, resolved_at__isnull=True)
         .values("portal_account_id").distinct().count())
    return [{"label": "Accounts with training due", "value": n, "url_name": "training_modules",
             "tone": "warn" if n else ""}]
