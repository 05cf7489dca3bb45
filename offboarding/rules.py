"""Account hygiene facts and the findings they raise, read set-based (a fixed handful of queries
per organization, however many accounts): inactivity before the portal's lock-out, password age
against the portal's lifetime, MFA where the portal requires it, external re-certification dates,
administrator succession and overdue offboarding work."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from access.models import AccountStatus, PortalAccount
from carriers.models import PortalAccountRule
from findings.models import Severity
from findings.rules import RULE_LABELS, FindingSpec, register_rule_provider

from .models import ChecklistItem, ExternalRecertification

DEFAULT_INACTIVITY_DAYS = 90  # when a portal's own inactivity rule is unknown
K = PortalAccountRule.Kind


class Rule:
    SUCCESSION = "administrator_succession"
    OFFBOARDING_OVERDUE = "offboarding_overdue"
    INACTIVITY_LOCKOUT = "inactivity_lockout"
    PASSWORD_EXPIRY = "password_expiry"  # noqa: S105 (a rule name, not a password)
    MFA_MISSING = "mfa_missing"
    RECERT_DUE = "external_recert_due"


RULE_LABELS.update({
    Rule.SUCCESSION: "Portal administrator leaving: successor needed",
    Rule.OFFBOARDING_OVERDUE: "Offboarding overdue",
    Rule.INACTIVITY_LOCKOUT: "Inactive: portal lock-out near",
    Rule.PASSWORD_EXPIRY: "Portal password expiring",
    Rule.MFA_MISSING: "MFA missing where the portal requires it",
    Rule.RECERT_DUE: "External re-certification due",
})


def mfa_required(rule_value: str) -> bool:
    text = (rule_value or "").lower()
    return not any(word in text for word in ("not required", "optional", "exempt only", "none"))


def portal_rules(portal_ids=None) -> dict[int, dict[str, PortalAccountRule]]:
    """{portal id: {kind: rule}} for the given portals (None: every portal of the catalogue)."""
    rules: dict[int, dict[str, PortalAccountRule]] = {}
    qs = PortalAccountRule.objects.filter(kind__in=[
        K.INACTIVITY_LOCKOUT_DAYS, K.PASSWORD_LIFETIME_DAYS, K.MFA, K.RECERT_WINDOW_DAYS])
    if portal_ids is not None:
        qs = qs.filter(portal_id__in=set(portal_ids))
    for rule in qs.only("portal_id", "kind", "number", "value"):
        rules.setdefault(rule.portal_id, {})[rule.kind] = rule
    return rules


@dataclass
class Fact:
    kind: str  # "lockout" | "password" | "mfa" | "recert"
    account_id: int | None
    enrollment_id: int
    staff_member_id: int | None
    person: str
    portal: str
    portal_user_id: str
    on: datetime.date | None = None  # the lock-out / expiry / due date
    days_left: int | None = None
    window: int | None = None  # the portal's figure behind it
    record_id: int | None = None  # the ExternalRecertification row


def hygiene_facts(organization, today: datetime.date, *, warn_days: int) -> list[Fact]:
    """Every account-hygiene fact within warn_days (or past), for one organization: 3 queries. Computed
    once per organization's daily hygiene run (hygiene.memo): the findings evaluation and the reminders
    share it. Callers must not change the facts they get."""
    from hygiene.memo import shared

    return shared(("offboarding.hygiene_facts", organization.pk, today, warn_days),
                  lambda: _hygiene_facts(organization, today, warn_days=warn_days))


def _window(pr) -> int:
    window = pr[K.INACTIVITY_LOCKOUT_DAYS].number if K.INACTIVITY_LOCKOUT_DAYS in pr else None
    return window or DEFAULT_INACTIVITY_DAYS


def _may_have_a_fact(rules, today: datetime.date, warn_days: int) -> Q:
    """The accounts that can produce a lock-out, password or MFA fact, as a filter: the per-account
    tests below, per portal, in SQL (a superset: the loop still decides). At 6,000 accounts a practice,
    a few hundred pass; Python used to read and test every one."""
    def not_after(day: datetime.date) -> Q:  # last login (or, never logged in, the provisioning day) <= day
        start_of_next_day = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1),
                                                                          datetime.time.min))
        return (Q(last_login_attested__lte=day)
                | Q(last_login_attested__isnull=True, provisioned_at__lt=start_of_next_day))

    by_window = defaultdict(list)
    for portal_id, pr in rules.items():
        by_window[_window(pr)].append(portal_id)
    # Portals without a rule of their own use the default window.
    cond = ~Q(enrollment__portal_id__in=list(rules)) & not_after(
        today + datetime.timedelta(days=warn_days - DEFAULT_INACTIVITY_DAYS))
    for window, portal_ids in by_window.items():
        cond |= Q(enrollment__portal_id__in=portal_ids) & not_after(today + datetime.timedelta(days=warn_days - window))
    for portal_id, pr in rules.items():
        lifetime = pr[K.PASSWORD_LIFETIME_DAYS].number if K.PASSWORD_LIFETIME_DAYS in pr else None
        if lifetime:
            cond |= Q(enrollment__portal_id=portal_id,
                      password_last_changed__lte=today + datetime.timedelta(days=warn_days - lifetime))
        if K.MFA in pr and mfa_required(pr[K.MFA].value):
            cond |= Q(enrollment__portal_id=portal_id, mfa_enrolled=False)
    return cond


def _hygiene_facts(organization, today: datetime.date, *, warn_days: int) -> list[Fact]:
    rules = portal_rules()
    rows = list(PortalAccount.objects.filter(organization=organization, status=AccountStatus.ACTIVE)
                .filter(_may_have_a_fact(rules, today, warn_days)).values_list(
        "pk", "enrollment_id", "enrollment__portal_id", "enrollment__portal__name", "staff_member_id",
        "staff_member__full_name", "portal_user_id", "mfa_enrolled", "password_last_changed",
        "last_login_attested", "provisioned_at").order_by("pk"))
    facts: list[Fact] = []
    for pk, enr, portal_id, portal, sid, person, uid, mfa, pw_changed, last_login, provisioned in rows:
        pr = rules.get(portal_id, {})
        base = {"account_id": pk, "enrollment_id": enr, "staff_member_id": sid, "person": person, "portal": portal,
                "portal_user_id": uid}
        window = _window(pr)
        last = last_login or (timezone.localdate(provisioned) if provisioned else None)
        if last is not None:
            lockout = last + datetime.timedelta(days=window)
            left = (lockout - today).days
            if left <= warn_days:
                facts.append(Fact("lockout", on=lockout, days_left=left, window=window, **base))
        lifetime = pr[K.PASSWORD_LIFETIME_DAYS].number if K.PASSWORD_LIFETIME_DAYS in pr else None
        if lifetime and pw_changed:
            expires = pw_changed + datetime.timedelta(days=lifetime)
            left = (expires - today).days
            if left <= warn_days:
                facts.append(Fact("password", on=expires, days_left=left, window=lifetime, **base))
        if K.MFA in pr and mfa_required(pr[K.MFA].value) and not mfa:
            facts.append(Fact("mfa", **base))
    recerts = (ExternalRecertification.objects.filter(organization=organization)
               .exclude(portal_account__status__in=[AccountStatus.DEACTIVATED, AccountStatus.REQUESTED])
               .values_list("pk", "enrollment_id", "enrollment__portal_id", "enrollment__portal__name",
                            "portal_account_id", "portal_account__staff_member_id",
                            "portal_account__staff_member__full_name", "portal_account__portal_user_id", "due_on"))
    for pk, enr, portal_id, portal, acct, sid, person, uid, due in recerts:
        w = rules.get(portal_id, {}).get(K.RECERT_WINDOW_DAYS)
        left = (due - today).days
        if left <= max(warn_days, w.number if w and w.number else 0):
            facts.append(Fact("recert", account_id=acct, enrollment_id=enr, staff_member_id=sid,
                              person=person or "every user", portal=portal, portal_user_id=uid or "", on=due,
                              days_left=left, record_id=pk))
    return facts


def _warn_days(organization) -> int:
    from .services import settings_for

    return max(settings_for(organization)[1] or [14])


def _fact_spec(f: Fact) -> FindingSpec:
    ids = {"staff_member_id": f.staff_member_id, "portal_account_id": f.account_id, "enrollment_id": f.enrollment_id}
    who = f"{f.person} on {f.portal}"
    if f.kind == "lockout":
        if f.days_left < 0:
            title = f"{who}: locked out since {f.on:%Y-%m-%d} (no login for {f.window}+ days)"
        else:
            title = f"{who}: portal locks the account in {f.days_left} day(s), on {f.on:%Y-%m-%d}"
        return FindingSpec(Rule.INACTIVITY_LOCKOUT, Severity.MEDIUM if f.days_left < 0 else Severity.LOW,
                           f"lockout:{f.account_id}", title,
                           f"{f.portal} locks accounts after {f.window} days without a login. Log in (and attest "
                           "it) if the job still needs it; otherwise deactivate it.", **ids)
    if f.kind == "password":
        title = (f"{who}: password expired on {f.on:%Y-%m-%d}" if f.days_left < 0
                 else f"{who}: password expires in {f.days_left} day(s), on {f.on:%Y-%m-%d}")
        return FindingSpec(Rule.PASSWORD_EXPIRY, Severity.MEDIUM if f.days_left < 0 else Severity.LOW,
                           f"password:{f.account_id}", title,
                           f"{f.portal} passwords last {f.window} days. Change it on the portal and record the date.",
                           **ids)
    if f.kind == "mfa":
        return FindingSpec(Rule.MFA_MISSING, Severity.HIGH, f"mfa:{f.account_id}",
                           f"{who}: MFA not enrolled; {f.portal} requires it",
                           "Enroll the person in the portal's multi-factor authentication and record it.", **ids)
    title = (f"{f.portal} re-certification of {f.person} was due {f.on:%Y-%m-%d}" if f.days_left < 0
             else f"{f.portal} re-certification of {f.person} due in {f.days_left} day(s), on {f.on:%Y-%m-%d}")
    return FindingSpec(Rule.RECERT_DUE, Severity.MEDIUM if f.days_left < 0 else Severity.LOW,
                       f"recert:{f.record_id}", title,
                       "The portal administrator re-certifies on the portal (missed: accounts are disabled), then "
                       "records the next due date.", **ids)


def offboarding_specs(organization, now) -> list[FindingSpec]:
    """Provider for findings.rules: runs inside every findings evaluation."""
    specs = [_fact_spec(f) for f in hygiene_facts(organization, now.date(), warn_days=_warn_days(organization))]
    pending = (ChecklistItem.objects.filter(organization=organization, case__completed_at__isnull=True,
                                            status__in=[ChecklistItem.Status.OPEN, ChecklistItem.Status.HELD])
               .select_related("case__staff_member", "enrollment__portal", "portal_account"))
    for item in pending:
        person = item.case.staff_member
        portal = item.enrollment.portal.name if item.enrollment else "organization credential"
        if item.kind == ChecklistItem.Kind.SUCCESSOR:
            names = ", ".join(d["person"] for d in item.dependents[:10]) or "none recorded"
            specs.append(FindingSpec(
                Rule.SUCCESSION, Severity.CRITICAL, f"succession:{item.enrollment_id}:{person.pk}",
                f"{person.full_name} administered {portal} and has left: appoint a successor first",
                f"{len(item.dependents)} account(s) depend on this administrator ({names}); on some portals "
                f"terminating an administrator terminates every user they created. {person.full_name}'s own "
                "deactivation there is held until a successor is recorded.",
                staff_member_id=person.pk, enrollment_id=item.enrollment_id))
        elif item.kind == ChecklistItem.Kind.SUSPEND:
            continue  # on leave: findings' own on_leave_with_active_account rule already says it
        elif item.status == ChecklistItem.Status.OPEN and item.due_at < now:
            hours = (now - item.due_at).total_seconds() / 3600
            late = f"{hours:.0f} h" if hours >= 1 else f"{(now - item.due_at).total_seconds() / 60:.0f} min"
            specs.append(FindingSpec(
                Rule.OFFBOARDING_OVERDUE, Severity.HIGH, f"offboarding_overdue:{item.pk}",
                f"{item.get_kind_display()} for {person.full_name} ({portal}) is overdue by {late}",
                f"Due {timezone.localtime(item.due_at):%Y-%m-%d %H:%M %Z}; the practice's target is "
                f"{item.case.deadline_minutes} minutes after the departure is recorded.",
                staff_member_id=person.pk, portal_account_id=item.portal_account_id, enrollment_id=item.enrollment_id,
                credential_id=item.credential_id))
    return specs


register_rule_provider(offboarding_specs)
