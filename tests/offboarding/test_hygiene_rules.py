"""Account hygiene under a frozen clock: inactivity before the portal's own lock-out (90 days when
unknown), password age against the portal's lifetime, MFA where required, external re-certification."""

import datetime

from django.core import mail
from django.utils import timezone

from carriers.models import PortalAccountRule
from findings.models import Finding
from hygiene.services import run_daily_hygiene
from offboarding.services import recertification_record

from .conftest import NOW, rule

K = PortalAccountRule.Kind
TODAY = NOW.date()


def open_titles(rule_name):
    return sorted(Finding.objects.filter(rule=rule_name, resolved_at__isnull=True).values_list("title", flat=True))


def set_account(acct, **fields):
    type(acct).objects.filter(pk=acct.pk).update(**fields)


def test_inactivity_is_flagged_before_the_portals_lockout_with_the_days_left(world, practice, clock):
    a = practice["accounts"]
    rule(practice["mycgs"].portal, K.INACTIVITY_LOCKOUT_DAYS, 30)
    set_account(a[("Tom Reed", "myCGS")], last_login_attested=TODAY - datetime.timedelta(days=20))  # 10 days left
    set_account(a[("Paula Pay", "myCGS")], last_login_attested=TODAY - datetime.timedelta(days=10))  # 20 left: quiet
    # Availity has no inactivity rule: 90 days.
    set_account(a[("Tom Reed", "Availity Essentials")], last_login_attested=TODAY - datetime.timedelta(days=80))
    set_account(a[("Maria Admin", "myCGS")], last_login_attested=TODAY - datetime.timedelta(days=31))  # locked
    run_daily_hygiene()
    assert open_titles("inactivity_lockout") == [
        "Maria Admin on myCGS: locked out since 2026-11-26 (no login for 30+ days)",
        "Tom Reed on Availity Essentials: portal locks the account in 10 day(s), on 2026-12-07",
        "Tom Reed on myCGS: portal locks the account in 10 day(s), on 2026-12-07",
    ]
    assert Finding.objects.get(rule="inactivity_lockout", title__startswith="Maria").severity == "medium"
    # A login attested later resolves it on the next run.
    set_account(a[("Tom Reed", "myCGS")], last_login_attested=TODAY)
    run_daily_hygiene()
    assert len(open_titles("inactivity_lockout")) == 2


def test_password_age_against_the_portals_lifetime(world, practice, clock):
    a = practice["accounts"]
    rule(practice["availity"].portal, K.PASSWORD_LIFETIME_DAYS, 60)
    set_account(a[("Tom Reed", "Availity Essentials")], password_last_changed=TODAY - datetime.timedelta(days=53))
    set_account(a[("Maria Admin", "Availity Essentials")], password_last_changed=TODAY - datetime.timedelta(days=61))
    run_daily_hygiene()
    assert open_titles("password_expiry") == [
        "Maria Admin on Availity Essentials: password expired on 2026-11-26",
        "Tom Reed on Availity Essentials: password expires in 7 day(s), on 2026-12-04",
    ]


def test_mfa_missing_where_the_portal_requires_it_is_a_finding(world, practice, clock):
    a = practice["accounts"]
    rule(practice["mycgs"].portal, K.MFA, value="Required: 8-digit code")
    set_account(a[("Paula Pay", "myCGS")], mfa_enrolled=False)
    set_account(a[("Tom Reed", "Availity Essentials")], mfa_enrolled=False)  # Availity: no MFA rule here
    run_daily_hygiene()
    assert open_titles("mfa_missing") == ["Paula Pay on myCGS: MFA not enrolled; myCGS requires it"]
    assert Finding.objects.get(rule="mfa_missing").severity == "high"


def test_reminders_go_to_the_portal_administrator_once_a_day(world, practice, clock,
                                                             django_capture_on_commit_callbacks):
    a = practice["accounts"]
    rule(practice["mycgs"].portal, K.PASSWORD_LIFETIME_DAYS, 60)
    rule(practice["mycgs"].portal, K.RECERT_INTERVAL_DAYS, 360)
    set_account(a[("Paula Pay", "myCGS")], password_last_changed=TODAY - datetime.timedelta(days=53))  # 7 days
    recertification_record(organization=world.org, enrollment=practice["mycgs"], acting_user=world.alice,
                           last_certified_on=TODAY - datetime.timedelta(days=357))  # due in 3 days
    with django_capture_on_commit_callbacks(execute=True):
        run_daily_hygiene()
        run_daily_hygiene()
    digests = [m for m in mail.outbox if m.subject.startswith("Portal accounts needing attention")]
    assert len(digests) == 1 and digests[0].to == ["alice@cascade.example"]  # Maria's login e-mail
    assert "Paula Pay (ppay) on myCGS: password expires 2026-12-04 (in 7 day(s))" in digests[0].body
    assert "myCGS: external re-certification of every user due 2026-11-30 (in 3 day(s))" in digests[0].body
    assert open_titles("external_recert_due") == ["myCGS re-certification of every user due in 3 day(s), on 2026-11-30"]
    clock.shift(datetime.timedelta(days=1))  # 6 days / 2 days left: not reminder days
    with django_capture_on_commit_callbacks(execute=True):
        run_daily_hygiene()
    assert len([m for m in mail.outbox if m.subject.startswith("Portal accounts")]) == 1
    clock.shift(datetime.timedelta(days=1))  # 1 day left for the re-certification
    with django_capture_on_commit_callbacks(execute=True):
        run_daily_hygiene()
    assert len([m for m in mail.outbox if m.subject.startswith("Portal accounts")]) == 2
    assert timezone.localdate() == TODAY + datetime.timedelta(days=2)
