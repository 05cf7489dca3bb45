"""The launch's account items written by PostgreSQL: one INSERT ... SELECT per batch.

The Python path (SnapshotContext.account_items in reviews/launch.py, still used on SQLite) builds each
item's snapshot, flags and reviewer in Python and COPYs them in; at 300,000 accounts that was most of the
launch (building the rows 25%, serialising them for COPY 25%, the training selector 17%). Here the same
values are computed by the database from the same rows, in one statement per batch:

- the snapshot and the flags with jsonb_build_object, every key and value as the Python path gives them
  (tests/reviews/test_launch_sql.py compares the two item by item);
- the training status with the rules of training.selectors.training_status_for_accounts (a module is
  required by scope general / portal / function; "missing" when one was never completed, else "expired"
  when one has lapsed, else "current"; "none required"; "unknown" when the practice tracks none);
- the reviewer: the holder's manager is chosen in SQL; everyone else takes the ReviewerPicker's turn in
  Python, over only (account id, holder's user id) of those items, passed back as arrays (the picker's
  round-robin with its skip of the holder is sequential; it stays the one implementation of that rule).

Per-practice context (policy, portal rules, reviewers, training modules, labels) is passed as parameters.
"""

from __future__ import annotations

import json

from django.db import connection

from access.models import AccessException, AccountStatus, PortalAccount
from carriers.models import Portal, PortalEnrollment, PortalFunction
from findings.models import Finding
from findings.rules import Rule
from staff.models import EmploymentStatus, StaffMember
from training.models import Scope, TrainingCompletion, TrainingModule
from training.selectors import CURRENT, DUE, EXPIRED, NONE_REQUIRED

from .models import ReviewItem

_T = {  # table names from the models' metadata (never user input)
    "account": PortalAccount._meta.db_table,
    "through": PortalAccount.functions.through._meta.db_table,
    "staff": StaffMember._meta.db_table,
    "enrollment": PortalEnrollment._meta.db_table,
    "portal": Portal._meta.db_table,
    "function": PortalFunction._meta.db_table,
    "finding": Finding._meta.db_table,
    "exception": AccessException._meta.db_table,
    "module": TrainingModule._meta.db_table,
    "completion": TrainingCompletion._meta.db_table,
    "item": ReviewItem._meta.db_table,
}

# Who is not reviewed by their manager: the ReviewerPicker's turn (billing managers, then administrators).
_POOL_SQL = """
SELECT a.id, s.user_id
FROM {account} a
JOIN {staff} s ON s.id = a.staff_member_id
LEFT JOIN {staff} m ON m.id = s.manager_id
WHERE a.organization_id = %(org)s AND a.status = ANY(%(statuses)s) AND a.id BETWEEN %(lo)s AND %(hi)s
  AND NOT coalesce(m.employment_status = %(active)s AND m.user_id = ANY(%(reviewers)s)
                   AND m.user_id IS DISTINCT FROM s.user_id, false)
ORDER BY a.id
"""

_INSERT_SQL = """
WITH picks AS (
    SELECT * FROM unnest(%(pick_ids)s::bigint[], %(pick_users)s::bigint[], %(pick_basis)s::text[])
        AS p(account_id, reviewer_id, basis)
), rules AS (
    SELECT * FROM unnest(%(rule_portals)s::bigint[], %(rule_lockout)s::integer[], %(rule_recert)s::integer[])
        AS r(portal_id, lockout, recert)
), base AS (
    SELECT a.id, a.portal_user_id, a.status, a.mfa_enrolled, a.last_login_attested, a.password_last_changed,
           a.staff_member_id, s.full_name, s.job_role, s.employment_status, s.end_date,
           CASE WHEN s.manager_id IS NOT NULL THEN coalesce(m.full_name, '') ELSE '' END AS manager_name,
           p.name AS portal_name,
           %(today)s::date - a.last_login_attested AS days_since_login,
           r.lockout - (%(today)s::date - a.last_login_attested) AS days_to_lockout,
           r.recert - mod(mod(%(today)s::date
                              - (coalesce(a.provisioned_at, a.created_at) AT TIME ZONE 'UTC')::date, r.recert)
                          + r.recert, r.recert) AS days_to_recert,
           (s.employment_status = %(terminated)s OR coalesce(s.end_date < %(today)s::date, false)) AS has_left,
           coalesce(m.employment_status = %(active)s AND m.user_id = ANY(%(reviewers)s)
                    AND m.user_id IS DISTINCT FROM s.user_id, false) AS by_manager,
           m.user_id AS manager_user_id,
           f.functions, f.beyond, fd.titles, coalesce(fd.n, 0) AS findings_count,
           coalesce(fd.shared, false) AS shared,
           CASE WHEN NOT %(tracked)s THEN 'unknown'
                WHEN tr.required = 0 THEN %(label_none)s
                WHEN tr.due > 0 THEN %(label_due)s
                WHEN tr.expired > 0 THEN %(label_expired)s
                ELSE %(label_current)s END AS training,
           pk.reviewer_id AS picked_reviewer, pk.basis AS picked_basis
    FROM {account} a
    JOIN {staff} s ON s.id = a.staff_member_id
    LEFT JOIN {staff} m ON m.id = s.manager_id
    JOIN {enrollment} e ON e.id = a.enrollment_id
    JOIN {portal} p ON p.id = e.portal_id
    LEFT JOIN rules r ON r.portal_id = e.portal_id
    LEFT JOIN picks pk ON pk.account_id = a.id
    LEFT JOIN LATERAL (
        SELECT jsonb_agg(jsonb_build_object('code', pf.code, 'name', pf.name)
                         ORDER BY pf.code COLLATE "C", pf.name COLLATE "C") AS functions,
               jsonb_agg(pf.code ORDER BY pf.code COLLATE "C", pf.name COLLATE "C") FILTER (
                   WHERE NOT coalesce((%(policy)s::jsonb -> s.job_role) ? pf.code, false)
                     AND NOT EXISTS (
                         SELECT 1 FROM {exception} x JOIN {function} xf ON xf.id = x.function_id
                         WHERE x.organization_id = %(org)s AND x.portal_account_id = a.id AND xf.code = pf.code
                           AND x.approved_at IS NOT NULL AND x.revoked_at IS NULL
                           AND x.expires_on >= %(today)s::date)) AS beyond
        FROM {through} af JOIN {function} pf ON pf.id = af.portalfunction_id
        WHERE af.portalaccount_id = a.id
    ) f ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS n, bool_or(fi.rule = %(shared_rule)s) AS shared,
               (array_agg(fi.title ORDER BY fi.severity_rank, fi.first_seen DESC, fi.id))[1:10] AS titles
        FROM {finding} fi
        WHERE fi.organization_id = %(org)s AND fi.resolved_at IS NULL AND fi.portal_account_id = a.id
    ) fd ON true
    LEFT JOIN LATERAL (
        SELECT count(*) AS required, count(*) FILTER (WHERE q.latest IS NULL) AS due,
               count(*) FILTER (WHERE q.latest < %(today)s::date) AS expired
        FROM (
            SELECT (SELECT max(c.expires_on) FROM {completion} c
                    WHERE c.organization_id = %(org)s AND c.staff_member_id = a.staff_member_id
                      AND c.module_id = tm.id) AS latest
            FROM {module} tm
            WHERE tm.id = ANY(%(module_ids)s)
              AND (tm.scope = %(scope_general)s
                   OR (tm.scope = %(scope_portal)s AND tm.portal_id = e.portal_id)
                   OR (tm.scope = %(scope_function)s AND EXISTS (
                       SELECT 1 FROM {through} tf WHERE tf.portalaccount_id = a.id
                                                  AND tf.portalfunction_id = tm.function_id)))
        ) q
    ) tr ON %(tracked)s
    WHERE a.organization_id = %(org)s AND a.status = ANY(%(statuses)s) AND a.id BETWEEN %(lo)s AND %(hi)s
), flagged AS (
    SELECT b.*,
           (b.days_since_login > %(inactive_days)s OR b.days_to_lockout < 0) IS TRUE AS inactive
    FROM base b
)
INSERT INTO {item} ({columns})
SELECT %(campaign)s, %(org)s, %(kind)s, b.id, NULL, b.staff_member_id, b.full_name, b.portal_name,
       jsonb_build_object(
           'holder', b.full_name, 'job_role', coalesce(%(role_labels)s::jsonb ->> b.job_role, b.job_role),
           'job_role_code', b.job_role, 'employment_status', b.employment_status,
           'employment_status_label', coalesce(%(status_labels)s::jsonb ->> b.employment_status,
                                               b.employment_status),
           'end_date', to_char(b.end_date, 'YYYY-MM-DD'), 'manager', b.manager_name,
           'portal', b.portal_name, 'portal_user_id', b.portal_user_id, 'account_status', b.status,
           'functions', coalesce(b.functions, '[]'::jsonb), 'beyond_policy', coalesce(b.beyond, '[]'::jsonb),
           'last_login', to_char(b.last_login_attested, 'YYYY-MM-DD'), 'days_since_login', b.days_since_login,
           'mfa_enrolled', b.mfa_enrolled,
           'password_last_changed', to_char(b.password_last_changed, 'YYYY-MM-DD'),
           'training', b.training,
           'open_findings', coalesce(to_jsonb(b.titles), '[]'::jsonb), 'open_findings_count', b.findings_count,
           'days_to_lockout', b.days_to_lockout, 'days_to_recert', b.days_to_recert),
       to_jsonb(array_remove(ARRAY[
           CASE WHEN b.has_left THEN 'terminated' END,
           CASE WHEN b.employment_status = %(on_leave)s THEN 'on_leave' END,
           CASE WHEN b.inactive THEN 'inactive' END,
           CASE WHEN b.beyond IS NOT NULL THEN 'beyond_policy' END,
           CASE WHEN b.shared THEN 'shared_user_id' END,
           CASE WHEN b.status = %(deactivation_pending)s THEN 'deactivation_pending' END,
           CASE WHEN b.findings_count > 0 THEN 'open_findings' END,
           CASE WHEN NOT b.mfa_enrolled THEN 'no_mfa' END]::text[], NULL)),
       (b.has_left OR b.employment_status = %(on_leave)s OR b.inactive OR b.beyond IS NOT NULL OR b.shared
        OR b.status = %(deactivation_pending)s),
       CASE WHEN b.by_manager THEN b.manager_user_id ELSE b.picked_reviewer END,
       CASE WHEN b.by_manager THEN %(basis_manager)s ELSE coalesce(b.picked_basis, %(basis_unassigned)s) END
       {extra_values}
FROM flagged b
ORDER BY b.id
ON CONFLICT DO NOTHING
"""

# The flags the snapshot SQL writes and those that make an item "flagged": pinned against reviews.models.FLAGGED.
SQL_FLAGS = ("terminated", "on_leave", "inactive", "beyond_policy", "shared_user_id", "deactivation_pending",
             "open_findings", "no_mfa")
SQL_FLAGGED = frozenset(SQL_FLAGS[:6])


def _extra_columns(columns, now) -> tuple[list[str], str, dict]:
    """The columns launch leaves to their defaults, as SQL placeholders and parameters."""
    from core.bulkwrite import default_columns

    names, values, params = [], [], {}
    for i, (column, value) in enumerate(default_columns(ReviewItem, columns, now)):
        names.append(column)
        key = f"extra_{i}"
        if isinstance(value, (dict, list)):
            values.append(f"%({key})s::jsonb")
            value = json.dumps(value)
        else:
            values.append(f"%({key})s")
        params[key] = value
    return names, "".join(", " + v for v in values), params


def context_params(ctx) -> dict:
    """Everything per practice the statement needs, computed once (ctx: reviews.launch.SnapshotContext)."""
    from carriers.models import PortalAccountRule

    from .launch import (
        EMPLOYMENT_LABELS,
        INACTIVE_AFTER_DAYS,
        JOB_ROLE_LABELS,
        REVIEWED_STATUSES,
        TRAINING_LABELS,
    )

    portals = sorted(ctx.rules)
    lockout = PortalAccountRule.Kind.INACTIVITY_LOCKOUT_DAYS
    recert = PortalAccountRule.Kind.RECERT_INTERVAL_DAYS
    return {
        "org": ctx.organization.pk, "today": ctx.today, "statuses": [str(s) for s in REVIEWED_STATUSES],
        "active": EmploymentStatus.ACTIVE.value, "terminated": EmploymentStatus.TERMINATED.value,
        "on_leave": EmploymentStatus.ON_LEAVE.value, "deactivation_pending": AccountStatus.DEACTIVATION_PENDING.value,
        "reviewers": list(ctx.picker.roles),
        # The Python path reads a rule of 0 days as no rule ("if lockout"): so does this one.
        "rule_portals": portals, "rule_lockout": [ctx.rules[p].get(lockout) or None for p in portals],
        "rule_recert": [ctx.rules[p].get(recert) or None for p in portals],
        "policy": json.dumps({str(role): sorted(str(c) for c in codes) for role, codes in ctx.policy.items()}),
        "role_labels": json.dumps(JOB_ROLE_LABELS), "status_labels": json.dumps(EMPLOYMENT_LABELS),
        "shared_rule": str(Rule.SHARED_CREDENTIAL), "inactive_days": INACTIVE_AFTER_DAYS,
        "tracked": bool(ctx.training_modules), "module_ids": [m.pk for m in ctx.training_modules],
        "scope_general": Scope.GENERAL.value, "scope_portal": Scope.PORTAL.value,
        "scope_function": Scope.FUNCTION.value,
        "label_none": TRAINING_LABELS[NONE_REQUIRED], "label_due": TRAINING_LABELS[DUE],
        "label_expired": TRAINING_LABELS[EXPIRED], "label_current": TRAINING_LABELS[CURRENT],
        "kind": ReviewItem.Kind.ACCOUNT.value, "basis_manager": ReviewItem.ReviewerBasis.MANAGER.value,
        "basis_unassigned": ReviewItem.ReviewerBasis.UNASSIGNED.value,
    }


def insert_account_items(ctx, campaign, lo: int, hi: int, *, now=None) -> None:
    """Write the items of the reviewed accounts with lo <= pk <= hi (those already there are left alone)."""
    from .launch import ITEM_COLUMNS

    params = getattr(ctx, "_sql_params", None)
    if params is None:
        params = ctx._sql_params = context_params(ctx)
    params = {**params, "lo": lo, "hi": hi, "campaign": campaign.pk}
    with connection.cursor() as cur:
        cur.execute(_POOL_SQL.format(**_T), params)  # nosec B608 -- table names from the models' metadata
        pool = cur.fetchall()
        pick = ctx.picker.pick
        ids, users, bases = [], [], []
        none: set = set()
        for account_id, holder_user in pool:  # the picker's turn, in pk order as the Python path takes it
            reviewer, basis = pick(excluded_users={holder_user} if holder_user else none)
            ids.append(account_id)
            users.append(reviewer)
            bases.append(str(basis))
        params.update(pick_ids=ids, pick_users=users, pick_basis=bases)
        names, extra_values, extra_params = _extra_columns(ITEM_COLUMNS, now)
        params.update(extra_params)
        columns = ", ".join(connection.ops.quote_name(c) for c in (*ITEM_COLUMNS, *names))
        sql = _INSERT_SQL.format(**_T, columns=columns, extra_values=extra_values)
        cur.execute(sql, params)  # nosec B608 -- table and column names from the models' metadata; values are parameters

