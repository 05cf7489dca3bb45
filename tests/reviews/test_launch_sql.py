"""The PostgreSQL launch writes each account item with one INSERT ... SELECT (reviews/launch_sql.py); the
Python path (SnapshotContext.account_items, SQLite) builds the same items in Python. These tests launch the
same practice both ways and compare every item column by column, over data that exercises every snapshot
key and flag: leavers, leave, inactivity (90 days and the portal's lockout), re-certification, access beyond
the policy (a practice override, live / expired / revoked exceptions), open findings (more than 10, a shared
user ID), no MFA, suspended accounts, training (general / portal / function modules: current, expired,
missing, none required), non-ASCII names, organization credentials, and the reviewer round-robin (billing
managers who hold accounts themselves, an inactive manager, a manager without a reviewing login)."""

import datetime

import pytest
from django.utils import timezone

from access.models import AccessException, AccessPolicy, AccountStatus, OrganizationCredential, PortalAccount
from accounts.models import Role
from carriers.models import Portal, PortalAccountRule, PortalEnrollment, PortalFunction
from findings.models import Finding
from reviews import launch as launch_module
from reviews.launch import (
    ITEM_COLUMNS,
    REVIEWED_STATUSES,
    TRAINING_LABELS,
    campaign_launch,
)
from reviews.models import FLAGGED, ReviewItem
from staff.models import EmploymentStatus, JobRole
from tests.factories import member
from training.models import Scope, TrainingCompletion, TrainingModule
from training.selectors import training_status_for_accounts

from .factories import make_account, make_staff

pytestmark = [pytest.mark.postgres]

COMPARED = [f.attname for f in ReviewItem._meta.concrete_fields if f.attname not in ("id", "campaign_id")]


def python_batch_writer(ctx, campaign, lo, hi):
    """What the launch writes on SQLite: the items built in Python (written here with COPY)."""
    from core.bulkwrite import insert_ignoring_conflicts

    ids = list(PortalAccount.objects.filter(organization=ctx.organization, status__in=REVIEWED_STATUSES,
                                            pk__range=(lo, hi)).order_by("pk").values_list("pk", flat=True))
    if ids:
        insert_ignoring_conflicts(ReviewItem, ITEM_COLUMNS, ctx.account_items(campaign, ids))


def items_by_key(campaign) -> dict:
    return {(i["kind"], i["portal_account_id"] or i["credential_id"]): i
            for i in ReviewItem.objects.filter(campaign=campaign).values(*COMPARED)}


def launch_both_ways(org, monkeypatch, batch_size):
    sql_campaign = campaign_launch(organization=org, period="2026Q4", batch_size=batch_size)
    with monkeypatch.context() as m:
        m.setattr(launch_module, "write_account_batch", python_batch_writer)
        py_campaign = campaign_launch(organization=org, period="2026Q3", batch_size=batch_size)
    return sql_campaign, py_campaign


def custom_enrollment(org, name):
    """A second portal, the practice's own (the factories' reference portals share one empty reference key)."""
    portal = Portal.objects.create(name=name, organization=org, architecture=Portal.Architecture.HUB,
                                   url="https://noridian.example.com/")
    portal.functions.set(PortalFunction.objects.all())
    return PortalEnrollment.objects.create(organization=org, portal=portal, status=PortalEnrollment.Status.REGISTERED,
                                           tin=org.tin)


@pytest.fixture
def rich(rw, at_launch):
    """rw's practice, grown: a second billing manager, people of every kind, rules, findings, training."""
    org, today = rw.w.org, timezone.localdate()
    w = rw.w
    hank_user = member(org, Role.BILLING_MANAGER, email="hank@cascade.example", full_name="Hank Billing")
    hank = make_staff(org, "Hank Björk-Łukasz", job_role=JobRole.BILLING_MANAGER, user=hank_user)
    dave = make_staff(org, "Dave Staff", user=w.dave)  # a login, but not a reviewing one
    quitter = make_staff(org, "Quinn Quit", status=EmploymentStatus.ON_LEAVE, manager=rw.bob_staff)
    leaver = make_staff(org, "Lee Leaver", status=EmploymentStatus.TERMINATED, manager=hank)
    ending = make_staff(org, "Eddie Ending", end_date=today - datetime.timedelta(days=1), manager=dave)
    future = make_staff(org, "Fay Future", end_date=today + datetime.timedelta(days=30), job_role=JobRole.CODER)
    reported = make_staff(org, "Rita Reports", manager=quitter)  # her manager is on leave: not hers to review
    clinician = make_staff(org, "Dr. Zoë O'Neil \\ \"Tab\tNew\"", job_role=JobRole.CLINICIAN, manager=leaver)
    other_portal = custom_enrollment(org, "Noridian Medicare Portal")
    PortalAccountRule.objects.create(portal=other_portal.portal, kind=PortalAccountRule.Kind.INACTIVITY_LOCKOUT_DAYS,
                                     number=60, value="60")
    PortalAccountRule.objects.create(portal=other_portal.portal, kind=PortalAccountRule.Kind.RECERT_INTERVAL_DAYS,
                                     number=365, value="365")
    PortalAccountRule.objects.create(portal=rw.enrollment.portal, kind=PortalAccountRule.Kind.RECERT_INTERVAL_DAYS,
                                     number=0, value="none")
    # The practice lets front desk also submit claims.
    policy = AccessPolicy.objects.create(organization=org, job_role=JobRole.FRONT_DESK)
    policy.functions.set(PortalFunction.objects.filter(code__in=["eligibility_benefits", "claim_status",
                                                                 "claim_submission"]))
    accounts = {}
    for person in (rw.bob_staff, hank, rw.bob_staff, hank, hank, rw.bob_staff):  # reviewers' own accounts
        accounts.setdefault(person.full_name, []).append(make_account(person, other_portal))
    specs = [
        (quitter, rw.enrollment, ("eligibility_benefits", "remittance_era", "payments_eft"), {}),
        (leaver, other_portal, ("claim_submission", "appeals"), {"last_login": today - datetime.timedelta(days=61)}),
        (ending, rw.enrollment, ("claim_status",), {"last_login": today - datetime.timedelta(days=91), "mfa": False}),
        (ending, other_portal, ("claim_status",), {"last_login": today - datetime.timedelta(days=90)}),
        (future, other_portal, ("claim_submission", "fee_schedules", "coordination_of_benefits", "appeals"),
         {"status": AccountStatus.SUSPENDED}),
        (reported, other_portal, (), {}),
        (clinician, other_portal, ("prior_authorization", "remittance_era", "payments_eft", "fee_schedules"), {}),
        (dave, rw.enrollment, ("eligibility_benefits", "claim_submission"), {}),
        (rw.gina, other_portal, ("eligibility_benefits",), {"status": AccountStatus.DEACTIVATION_PENDING}),
    ]
    for person, enrollment, functions, kw in specs:
        accounts.setdefault(person.full_name, []).append(make_account(person, enrollment, functions, **kw))
    for n in range(12):
        accounts.setdefault("Extra", []).append(make_account(make_staff(org, manager=rw.bob_staff if n % 3 else None),
                                                             other_portal if n % 2 else rw.enrollment))
    # No last login recorded, provisioned in the future relative to its creation day (a negative day count).
    PortalAccount.objects.filter(pk=accounts["Extra"][0].pk).update(
        last_login_attested=None, password_last_changed=today - datetime.timedelta(days=10),
        provisioned_at=timezone.now() + datetime.timedelta(days=3))
    PortalAccount.objects.filter(pk=accounts["Extra"][1].pk).update(
        provisioned_at=timezone.now() - datetime.timedelta(days=400, hours=5))
    clin = accounts[clinician.full_name][0]
    fn = {f.code: f for f in PortalFunction.objects.all()}
    for code, approved, revoked, expires in (("remittance_era", True, False, 5), ("payments_eft", True, True, 5),
                                             ("fee_schedules", True, False, -1)):
        AccessException.objects.create(
            organization=org, portal_account=clin, function=fn[code], reason="covering",
            approved_at=timezone.now() if approved else None, revoked_at=timezone.now() if revoked else None,
            expires_on=today + datetime.timedelta(days=expires))
    AccessException.objects.create(organization=org, portal_account=accounts[future.full_name][0],
                                   function=fn["fee_schedules"], reason="pending", expires_on=today)
    now = timezone.now()
    for i in range(12):  # more than the snapshot's 10, of mixed severity and age
        Finding.objects.create(organization=org, rule="inactive_account", severity="low", severity_rank=i % 3,
                               key=f"k{i}", title=f"Finding {i}", first_seen=now - datetime.timedelta(days=i),
                               last_seen=now, portal_account=clin)
    Finding.objects.create(organization=org, rule="shared_credential", severity="critical", severity_rank=0,
                           key="shared", title="Shared user ID", first_seen=now, last_seen=now,
                           portal_account=accounts["Extra"][2])
    Finding.objects.create(organization=org, rule="inactive_account", severity="low", key="gone", title="Resolved",
                           first_seen=now, last_seen=now, resolved_at=now, portal_account=accounts["Extra"][3])
    general = TrainingModule.objects.create(organization=org, title="Portal security", scope=Scope.GENERAL)
    portal_module = TrainingModule.objects.create(organization=org, title="Noridian basics", scope=Scope.PORTAL,
                                                  portal=other_portal.portal)
    era_module = TrainingModule.objects.create(organization=org, title="ERA handling", scope=Scope.FUNCTION,
                                               function=fn["remittance_era"])
    TrainingModule.objects.create(organization=org, title="Retired", scope=Scope.GENERAL, is_active=False)
    TrainingModule.objects.create(organization=w.other_org, title="Theirs", scope=Scope.GENERAL)

    def done(person, module, expires_in):
        TrainingCompletion.objects.create(organization=org, staff_member=person, module=module,
                                          completed_on=today - datetime.timedelta(days=300),
                                          expires_on=today + datetime.timedelta(days=expires_in))

    for person in (rw.bob_staff, hank, quitter, leaver, clinician, reported, future):
        done(person, general, 30)
    done(reported, general, -400)  # an older, lapsed one: the latest counts
    done(future, portal_module, -1)  # lapsed
    done(clinician, portal_module, 0)  # expires today: still current
    done(clinician, era_module, 10)
    done(quitter, era_module, -5)
    done(leaver, portal_module, 200)
    done(hank, portal_module, 200)
    cred = OrganizationCredential.objects.create(organization=org, kind="clearinghouse_sftp",
                                                 label="Clearinghouse SFTP", login_id="cascade-sftp")
    cred.custodians.set([rw.bob_staff, hank, leaver])  # both billing managers: an administrator reviews it
    OrganizationCredential.objects.create(organization=org, kind="clearinghouse_sftp", label="Spare login",
                                          login_id="spare", enrollment=other_portal)
    return {"org": org, "hank_user": hank_user, "accounts": accounts, "modules": [general, portal_module, era_module]}


@pytest.mark.parametrize("batch_size", [5000, 4])
def test_sql_built_items_equal_the_python_built_ones(rich, monkeypatch, batch_size):
    sql_campaign, py_campaign = launch_both_ways(rich["org"], monkeypatch, batch_size)
    sql_items, py_items = items_by_key(sql_campaign), items_by_key(py_campaign)
    assert len(sql_items) == PortalAccount.objects.filter(
        organization=rich["org"], status__in=REVIEWED_STATUSES).count() + 2
    assert sql_items.keys() == py_items.keys()
    for key, py in py_items.items():
        assert sql_items[key] == py, key
    assert sql_campaign.scope == py_campaign.scope
    # The data reaches every branch: each flag, every training label, every reviewer basis.
    flags = {f for i in sql_items.values() for f in i["flags"]}
    assert flags == {"terminated", "on_leave", "inactive", "beyond_policy", "shared_user_id", "open_findings",
                     "no_mfa"}
    assert {i["snapshot"]["training"] for i in sql_items.values()} == {"current", "expired", "missing", "unknown"}
    assert {i["reviewer_basis"] for i in sql_items.values()} == {"manager", "billing_manager", "administrator"}
    assert any(i["snapshot"]["open_findings_count"] == 12 and len(i["snapshot"]["open_findings"]) == 10
               for i in sql_items.values())
    assert any((i["snapshot"].get("days_to_lockout") or 0) < 0 for i in sql_items.values())
    assert any((i["snapshot"].get("days_to_recert") or 0) > 0 for i in sql_items.values())


def test_the_reviewer_is_never_the_holder(rich, monkeypatch):
    sql_campaign, _ = launch_both_ways(rich["org"], monkeypatch, 3)
    for item in ReviewItem.objects.filter(campaign=sql_campaign).select_related("holder", "credential"):
        assert item.reviewer_id is not None
        if item.kind == ReviewItem.Kind.ACCOUNT:
            assert item.reviewer_id != item.holder.user_id
        else:
            assert item.reviewer_id not in {c.user_id for c in item.credential.custodians.all()}
    hank_items = ReviewItem.objects.filter(campaign=sql_campaign, holder__user=rich["hank_user"])
    assert hank_items.count() == 3 and not hank_items.filter(reviewer=rich["hank_user"]).exists()


def test_sql_training_status_agrees_with_the_training_selector(rich):
    org = rich["org"]
    general = rich["modules"][0]
    campaign = campaign_launch(organization=org, period="2026Q4")  # every account needs the general module
    general.is_active = False
    general.save()
    later = campaign_launch(organization=org, period="2026Q3")  # now only some need a module
    ids = list(PortalAccount.objects.filter(organization=org, status__in=REVIEWED_STATUSES).values_list("pk", flat=True))
    states = set()
    for launched, active in ((campaign, True), (later, False)):
        expected = training_status_for_accounts(org, ids, today=timezone.localdate(), modules=[
            m for m in rich["modules"] if active or m != general])
        got = dict(ReviewItem.objects.filter(campaign=launched, kind="account").values_list(
            "portal_account_id", "snapshot__training"))
        assert got == {pk: TRAINING_LABELS[state] for pk, state in expected.items()}
        states |= set(expected.values())
    assert states == {"current", "expired", "due", "none required"}


def test_without_training_modules_the_snapshot_says_unknown(rw, at_launch, monkeypatch):
    sql_campaign, py_campaign = launch_both_ways(rw.w.org, monkeypatch, 2)
    assert items_by_key(sql_campaign) == items_by_key(py_campaign)
    assert set(sql_campaign.items.values_list("snapshot__training", flat=True)) == {"unknown"}


def test_only_administrators_or_nobody_to_review(rw, at_launch, monkeypatch):
    from accounts.models import Membership

    Membership.objects.filter(organization=rw.w.org, role=Role.BILLING_MANAGER).delete()
    sql_campaign, py_campaign = launch_both_ways(rw.w.org, monkeypatch, 2)
    assert items_by_key(sql_campaign) == items_by_key(py_campaign)
    assert set(sql_campaign.items.values_list("reviewer_basis", flat=True)) == {"administrator"}
    Membership.objects.filter(organization=rw.w.org, role=Role.ADMINISTRATOR).delete()
    sql_campaign = campaign_launch(organization=rw.w.org, period="2026Q2")
    with monkeypatch.context() as m:
        m.setattr(launch_module, "write_account_batch", python_batch_writer)
        py_campaign = campaign_launch(organization=rw.w.org, period="2026Q1")
    assert items_by_key(sql_campaign) == items_by_key(py_campaign)
    assert set(sql_campaign.items.values_list("reviewer_basis", flat=True)) == {"unassigned"}


def test_a_crashed_sql_launch_resumes_with_the_same_items(rich, monkeypatch):
    """Relaunch after a crash halfway fills in only what is missing, with the items an uninterrupted launch
    writes (the reviewer turns are replayed from the practice's first account)."""
    from django.db import transaction

    from reviews.launch_sql import insert_account_items

    org = rich["org"]
    whole = campaign_launch(organization=org, period="2026Q3", batch_size=4)
    calls = {"n": 0}

    def flaky(ctx, campaign, lo, hi):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("worker killed")
        insert_account_items(ctx, campaign, lo, hi)

    monkeypatch.setattr(launch_module, "write_account_batch", flaky)
    with pytest.raises(RuntimeError):
        campaign_launch(organization=org, period="2026Q4", batch_size=4)
    monkeypatch.undo()
    partial = launch_module.ReviewCampaign.objects.get(organization=org, period="2026Q4")
    assert partial.status == "launching" and partial.items.count() == 12
    # An item written before the crash stays as it was (ON CONFLICT DO NOTHING), even if edited since.
    first = partial.items.order_by("portal_account_id").first()
    with transaction.atomic():
        ReviewItem.objects.filter(pk=first.pk).update(reason="kept")
    campaign = campaign_launch(organization=org, period="2026Q4", batch_size=4)
    assert campaign.status == "open"
    resumed, uninterrupted = items_by_key(campaign), items_by_key(whole)
    assert resumed[("account", first.portal_account_id)].pop("reason") == "kept"
    uninterrupted[("account", first.portal_account_id)].pop("reason")
    assert resumed == uninterrupted


def test_sql_flags_are_the_models_flags():
    from reviews.launch_sql import SQL_FLAGGED

    assert SQL_FLAGGED == FLAGGED
