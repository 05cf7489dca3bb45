"""Reconciliation rules, in one place: saving a column mapping, comparing a user list with the portal
accounts on an enrollment, and resolving each difference. Every write records its audit event in the
same transaction; a bad file changes nothing."""

from __future__ import annotations

import datetime
import hashlib
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from access.models import LIVE_STATUSES, AccountStatus, PortalAccount, ProvisioningTask
from access.services import (
    portal_account_create,
    portal_account_transition,
    portal_account_update,
    provisioning_task_create,
    task_complete,
)
from access.validators import normalize_user_id
from audits.services import record_event
from carriers.models import PortalAccountRule
from staff.models import EmploymentStatus, StaffMember

from .models import FIELDS, Difference, ReconciliationPolicy, UserListMapping, UserListUpload
from .parsing import ListedUser, UserListError, UserListFile, check_columns, listed_users, read_user_list

MIN_REASON = 10


def mapping_for(enrollment) -> UserListMapping | None:
    return UserListMapping.objects.filter(organization_id=enrollment.organization_id,
                                          portal_id=enrollment.portal_id).first()


@transaction.atomic
def mapping_save(*, enrollment, columns: dict, headers: list[str], acting_user) -> UserListMapping:
    """Save which column means what for this portal; every other header is ignored on purpose."""
    columns = {f: h for f, h in columns.items() if f in FIELDS and h}
    by_lower = {h.lower(): h for h in headers}
    bad = [h for h in columns.values() if h.lower() not in by_lower]
    if bad:
        raise ValidationError(f"Not a column of this file: {', '.join(bad)}.")
    if not columns.get("user_id"):
        raise ValidationError({"user_id": "Choose the column that holds the portal user ID."})
    chosen = [h.lower() for h in columns.values()]
    if len(chosen) != len(set(chosen)):
        raise ValidationError("Each column can mean one thing only.")
    ignored = [h for h in headers if h.lower() not in chosen]
    mapping, _ = UserListMapping.objects.update_or_create(
        organization_id=enrollment.organization_id, portal_id=enrollment.portal_id,
        defaults={"columns": columns, "ignored": ignored, "updated_by": acting_user},
    )
    record_event("reconciliation.mapping_saved", actor=acting_user, organization=enrollment.organization_id,
                 target=mapping, changes={"columns": [None, columns], "ignored": [None, ignored]})
    return mapping


def _name_key(name: str) -> str:
    """'Lindqvist, Jenny' and 'jenny lindqvist' are the same holder."""
    return " ".join(sorted(re.findall(r"[a-z]+", (name or "").lower())))


def _lockout_days(enrollment) -> int | None:
    rule = PortalAccountRule.objects.filter(portal_id=enrollment.portal_id,
                                            kind=PortalAccountRule.Kind.INACTIVITY_LOCKOUT_DAYS).first()
    return rule.number if rule and rule.number else None


def _check_belongs_here(enrollment, users: list[ListedUser], accounts: list[PortalAccount]) -> None:
    """Refuse another practice's or another portal's list before anything is compared."""
    tins = {re.sub(r"\D", "", t) for t in (enrollment.tin, enrollment.organization.tin) if t}
    wrong = [u for u in users if u.tin and u.tin not in tins]
    if wrong:
        raise UserListError([(u.line, f"TIN {u.tin} is not this enrollment's TIN: this list belongs to another "
                                      "practice or registration.") for u in wrong[:20]])
    here = {normalize_user_id(a.portal_user_id) for a in accounts if a.portal_user_id}
    ids = {normalize_user_id(u.user_id) for u in users}
    if len(ids) < 3 or ids & here:
        return
    elsewhere = (PortalAccount.objects.filter(organization_id=enrollment.organization_id)
                 .exclude(enrollment=enrollment).exclude(portal_user_id="")
                 .values_list("portal_user_id", "enrollment__portal__name"))
    counts: dict[str, int] = {}
    for uid, portal_name in elsewhere:
        if normalize_user_id(uid) in ids:
            counts[portal_name] = counts.get(portal_name, 0) + 1
    if counts:
        portal_name, n = max(counts.items(), key=lambda kv: kv[1])
        if n * 2 >= len(ids):
            raise UserListError([(0, f"None of these users is recorded on {enrollment.portal.name}, but {n} of "
                                     f"{len(ids)} are recorded on {portal_name}: is this {portal_name}'s list?")])


def _compare(enrollment, users: list[ListedUser], accounts: list[PortalAccount], columns: dict,
             today: datetime.date) -> list[dict]:
    """The differences, as dicts ready for Difference rows (pure: reads nothing, writes nothing)."""
    by_uid: dict[str, list[PortalAccount]] = {}
    for account in accounts:
        if account.portal_user_id:
            by_uid.setdefault(normalize_user_id(account.portal_user_id), []).append(account)
    lockout = _lockout_days(enrollment)
    out, listed = [], set()
    for user in users:
        uid = normalize_user_id(user.user_id)
        listed.add(uid)
        candidates = by_uid.get(uid, [])
        account = next((a for a in candidates if a.status in LIVE_STATUSES), candidates[0] if candidates else None)
        if account is None:
            if user.active is False:
                continue  # disabled on the portal and unknown to PortalGov: nothing can log in
            out.append({"kind": Difference.Kind.ORPHAN, "uid": user.user_id, "account": None, "user": user,
                        "details": []})
            continue
        details = []
        live = account.status in LIVE_STATUSES
        if user.active is True and not live:
            details.append(("status", "active", account.get_status_display()))
        elif user.active is True and account.status == AccountStatus.REQUESTED:
            details.append(("status", "active", account.get_status_display()))
        elif user.active is False and account.status == AccountStatus.ACTIVE:
            details.append(("status", "disabled", account.get_status_display()))
        if user.functions is not None and live:
            ours = sorted(f.code for f in account.functions.all())
            if ours != user.functions:
                details.append(("functions", ", ".join(user.functions), ", ".join(ours)))
        if "full_name" in columns and user.full_name and _name_key(user.full_name) != _name_key(
                account.staff_member.full_name):
            details.append(("full_name", user.full_name, account.staff_member.full_name))
        if "email" in columns and user.email and user.email != account.staff_member.work_email.lower():
            details.append(("email", user.email, account.staff_member.work_email))
        if (lockout and user.last_login and user.active is not False and live
                and (today - user.last_login).days > lockout):
            details.append(("last_login", user.last_login.isoformat(),
                            f"over the portal's {lockout}-day lock-out rule"))
        if details:
            out.append({"kind": Difference.Kind.MISMATCH, "uid": user.user_id, "account": account, "user": user,
                        "details": details})
    for account in accounts:
        uid = normalize_user_id(account.portal_user_id)
        if account.status in (AccountStatus.ACTIVE, AccountStatus.SUSPENDED, AccountStatus.DEACTIVATION_PENDING) \
                and uid and uid not in listed:
            out.append({"kind": Difference.Kind.MISSING, "uid": account.portal_user_id, "account": account,
                        "user": None, "details": []})
    return out


LABELS = {"status": "Status", "functions": "Functions", "full_name": "Holder name", "email": "E-mail",
          "last_login": "Last login"}


@transaction.atomic
def user_list_compare(*, enrollment, data: bytes, filename: str, acting_user,
                      columns: dict | None = None) -> UserListUpload:
    """Check the whole file, then compare it with the enrollment's accounts. Raises UserListError
    (nothing changed) for a file that cannot be compared. Running the same file twice changes nothing
    more: open differences are found again by their key, not duplicated."""
    file: UserListFile = read_user_list(data, filename)
    mapping = mapping_for(enrollment)
    if columns is None:
        if mapping is None:
            raise UserListError([(0, "Map this portal's columns first.")])
        columns, ignored = mapping.columns, mapping.ignored
    else:
        ignored = [h for h in file.headers if h.lower() not in {v.lower() for v in columns.values() if v}]
    check_columns(file, columns, ignored)
    users = listed_users(file, columns)
    accounts = list(PortalAccount.objects.filter(enrollment=enrollment)
                    .select_related("staff_member").prefetch_related("functions").order_by("pk"))
    _check_belongs_here(enrollment, users, accounts)

    now = timezone.now()
    today = timezone.localdate()
    sha = hashlib.sha256(data).hexdigest()
    upload = UserListUpload.objects.create(organization_id=enrollment.organization_id, enrollment=enrollment,
                                           filename=filename[:255], sha256=sha, rows=len(users),
                                           uploaded_by=acting_user, uploaded_at=now)
    record_event("reconciliation.list_uploaded", actor=acting_user, organization=enrollment.organization_id,
                 target=upload, changes={"file": [None, filename[:255]], "sha256": [None, sha],
                                         "users": [None, len(users)]})

    # Attested last-login dates come from the portal's own list.
    updated_logins = 0
    by_uid = {normalize_user_id(a.portal_user_id): a for a in accounts if a.portal_user_id
              and a.status in LIVE_STATUSES}
    for user in users:
        account = by_uid.get(normalize_user_id(user.user_id))
        if account and user.last_login and account.last_login_attested != user.last_login:
            portal_account_update(account=account, acting_user=acting_user, reevaluate=False,
                                  last_login_attested=user.last_login)
            account.last_login_attested = user.last_login
            updated_logins += 1

    found = _compare(enrollment, users, accounts, columns, today)
    existing = {d.key: d for d in Difference.objects.filter(enrollment=enrollment)
                .exclude(status=Difference.Status.RESOLVED)}
    accepted = {d.key: d for d in Difference.objects.filter(enrollment=enrollment,
                                                            resolution=Difference.Resolution.ACCEPTED)}
    seen, counts = set(), {"orphan": 0, "missing": 0, "mismatch": 0, "new": 0}
    for item in found:
        key = f"{item['kind']}:{normalize_user_id(item['uid'])}"[:200]
        details = [{"field": f, "label": LABELS[f], "portal": p, "portalgov": g} for f, p, g in item["details"]]
        listed = item["user"].raw if item["user"] else {}
        counts[item["kind"]] += 1
        seen.add(key)
        if key in accepted and accepted[key].details == details:
            continue  # accepted with a reason, and nothing about it changed since
        diff = existing.get(key)
        if diff is None:
            diff = Difference.objects.create(
                organization_id=enrollment.organization_id, enrollment=enrollment, upload=upload, kind=item["kind"],
                key=key, portal_user_id=item["uid"][:150], portal_account=item["account"], listed=listed,
                details=details, first_seen=now, last_seen=now)
            counts["new"] += 1
        else:
            diff.upload, diff.listed, diff.details, diff.last_seen = upload, listed, details, now
            diff.portal_account = item["account"] or diff.portal_account
            diff.save(update_fields=["upload", "listed", "details", "last_seen", "portal_account"])
    cleared = 0
    for key, diff in existing.items():
        if key not in seen:
            _close(diff, Difference.Resolution.CLEARED, acting_user, f"not in {filename[:100]}")
            cleared += 1
    upload.summary = {**counts, "cleared": cleared, "last_logins_updated": updated_logins}
    upload.save(update_fields=["summary"])
    record_event("reconciliation.compared", actor=acting_user, organization=enrollment.organization_id,
                 target=upload, changes={k: [None, v] for k, v in upload.summary.items()})
    _reevaluate(enrollment.organization)
    return upload


def _reevaluate(organization) -> None:
    from findings.services import findings_evaluate_organization

    findings_evaluate_organization(organization=organization)


def _close(diff: Difference, resolution: str, acting_user, note: str) -> Difference:
    diff.status = Difference.Status.RESOLVED if resolution != Difference.Resolution.FINDING_RAISED \
        else Difference.Status.ESCALATED
    diff.resolution = resolution
    diff.resolution_note = note
    diff.resolved_by = acting_user if getattr(acting_user, "pk", None) else None
    diff.resolved_at = timezone.now()
    diff.save(update_fields=["status", "resolution", "resolution_note", "resolved_by", "resolved_at"])
    record_event(f"reconciliation.difference_{resolution}", actor=acting_user, organization=diff.organization_id,
                 target=diff, changes={"status": ["open", diff.status], "resolution": [None, resolution]},
                 message=note)
    return diff


def resolutions_for(diff: Difference) -> list[str]:
    """What can be done with this difference, in the order the page offers it."""
    R = Difference.Resolution
    account = diff.portal_account
    live = account is not None and account.status in LIVE_STATUSES
    options = []
    if diff.kind == Difference.Kind.ORPHAN:
        options.append(R.LINKED)
    options.append(R.DEACTIVATED)
    if live and (diff.kind != Difference.Kind.ORPHAN):
        options.append(R.TASK_OPENED)
    if diff.status == Difference.Status.OPEN:
        options.append(R.FINDING_RAISED)
    options.append(R.ACCEPTED)
    return options


@transaction.atomic
def difference_resolve(*, difference: Difference, resolution: str, acting_user, reason: str = "",
                       payer_confirmation: str = "", staff_member: StaffMember | None = None) -> Difference:
    """Resolve one difference in place. Raises ValidationError (nothing changed) when the action does not
    fit the difference or its evidence is missing."""
    diff = Difference.objects.select_for_update(of=("self",)).select_related("enrollment__portal", "portal_account").get(
        pk=difference.pk)
    R = Difference.Resolution
    if diff.status == Difference.Status.RESOLVED:
        raise ValidationError("This difference is already resolved.")
    if resolution not in resolutions_for(diff):
        raise ValidationError({"resolution": "That action does not fit this difference."})
    reason = (reason or "").strip()
    payer_confirmation = (payer_confirmation or "").strip()
    account = diff.portal_account
    if resolution == R.LINKED:
        if staff_member is None or staff_member.organization_id != diff.organization_id:
            raise ValidationError({"staff_member": "Choose the person on this practice's roster who holds this login."})
        if staff_member.employment_status != EmploymentStatus.ACTIVE:
            raise ValidationError({"staff_member": f"{staff_member.full_name} is not active: record the login as "
                                                   "deactivated or open a finding instead."})
        functions = diff.listed.get("functions")
        from .parsing import _norm, function_lookup

        lookup = function_lookup()
        codes = sorted({lookup[_norm(n)] for n in re.split(r"[;|,]", functions or "") if _norm(n) in lookup})
        last_login = None
        if diff.listed.get("last_login"):
            from .parsing import _date

            last_login = _date(diff.listed["last_login"])
        account = portal_account_create(
            staff_member=staff_member, enrollment=diff.enrollment, acting_user=acting_user, functions=codes,
            portal_user_id=diff.portal_user_id, status=AccountStatus.ACTIVE, last_login_attested=last_login,
            # What the portal already has is recorded as it is: a generic or shared ID is kept and
            # becomes a finding (as with an import), rather than hidden by refusing to record it.
            source=PortalAccount.Source.IMPORT)
        diff.portal_account = account
        diff.save(update_fields=["portal_account"])
        note = f"linked to {staff_member.full_name}"
    elif resolution == R.DEACTIVATED:
        if not payer_confirmation:
            raise ValidationError({"payer_confirmation": "Record the portal's confirmation (number or message)."})
        if account is not None and account.status in LIVE_STATUSES:
            if account.status == AccountStatus.REQUESTED:
                portal_account_transition(account=account, to_status=AccountStatus.DEACTIVATED,
                                          acting_user=acting_user, reason=f"reconciliation: {payer_confirmation}")
            else:
                task = provisioning_task_create(account=account, kind=ProvisioningTask.Kind.DEACTIVATE,
                                                acting_user=acting_user, notes="from a portal user-list comparison")
                if account.status == AccountStatus.ACTIVE or account.status == AccountStatus.SUSPENDED:
                    portal_account_transition(account=account, to_status=AccountStatus.DEACTIVATION_PENDING,
                                              acting_user=acting_user, reason="portal user-list comparison")
                task_complete(task=task, acting_user=acting_user, payer_confirmation=payer_confirmation)
        note = f"portal confirmation: {payer_confirmation}"
    elif resolution == R.TASK_OPENED:
        if any(d["field"] == "functions" for d in diff.details) and not any(
                d["field"] in ("status", "last_login") for d in diff.details):
            task = provisioning_task_create(account=account, kind=ProvisioningTask.Kind.CHANGE, acting_user=acting_user,
                                            functions=account.functions.all(),
                                            notes="make the portal match PortalGov (user-list comparison)")
        else:
            task = provisioning_task_create(account=account, kind=ProvisioningTask.Kind.DEACTIVATE,
                                            acting_user=acting_user, notes="from a portal user-list comparison")
        note = f"{task.get_kind_display()} task #{task.pk}"
    elif resolution == R.FINDING_RAISED:
        note = reason or "raised for follow-up"
    else:  # accepted
        if len(reason) < MIN_REASON:
            raise ValidationError({"reason": f"Say why this difference is acceptable (at least {MIN_REASON} characters)."})
        note = reason
    _close(diff, resolution, acting_user, note)
    _reevaluate(diff.enrollment.organization)
    return diff


@transaction.atomic
def policy_update(*, organization, unresolved_limit_days: int, acting_user) -> ReconciliationPolicy:
    if not 1 <= int(unresolved_limit_days) <= 365:
        raise ValidationError({"unresolved_limit_days": "Between 1 and 365 days."})
    policy, _ = ReconciliationPolicy.objects.get_or_create(organization=organization)
    before = policy.unresolved_limit_days
    policy.unresolved_limit_days = int(unresolved_limit_days)
    policy.save()
    record_event("reconciliation.policy_changed", actor=acting_user, organization=organization, target=policy,
                 changes={"unresolved_limit_days": [before, policy.unresolved_limit_days]})
    return policy


def unresolved_limit_days(organization) -> int:
    policy = ReconciliationPolicy.objects.filter(organization=organization).first()
    return policy.unresolved_limit_days if policy else ReconciliationPolicy._meta.get_field(
        "unresolved_limit_days").default
