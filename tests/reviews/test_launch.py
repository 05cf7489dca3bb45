import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from access.models import AccountStatus
from audits.models import AuditEvent
from reviews.launch import campaign_launch, launch_due_campaigns
from reviews.models import ReviewCampaign, ReviewItem

from .factories import make_account


def test_launch_snapshots_every_active_account_with_a_reviewer_who_is_not_the_holder(rw, at_launch):
    make_account(rw.gina, rw.enrollment, status=AccountStatus.DEACTIVATED)  # not reviewed
    campaign = campaign_launch(organization=rw.w.org, acting_user=rw.w.alice)
    assert campaign.period == "2026Q4" and campaign.status == ReviewCampaign.Status.OPEN
    assert str(campaign.due_on) == "2026-10-15"
    items = {i.portal_account_id: i for i in campaign.items.all()}
    assert set(items) == {rw.frank_acct.pk, rw.gina_acct.pk, rw.bob_acct.pk}
    assert items[rw.frank_acct.pk].reviewer == rw.w.bob
    assert items[rw.frank_acct.pk].reviewer_basis == "manager"
    assert items[rw.gina_acct.pk].reviewer == rw.w.bob
    assert items[rw.gina_acct.pk].reviewer_basis == "billing_manager"
    # Bob's own account goes to someone else: the administrator.
    assert items[rw.bob_acct.pk].reviewer == rw.w.alice
    snap = items[rw.bob_acct.pk].snapshot
    assert snap["holder"] == "Bob Billing" and snap["portal"] == "Availity Essentials"
    assert [f["code"] for f in snap["functions"]] == ["eligibility_benefits", "remittance_era"]
    assert snap["training"] == "unknown" and snap["mfa_enrolled"] is True
    assert snap["last_login"] == "2026-11-01" or snap["last_login"]
    assert campaign.scope["items"] == 3 and campaign.scope["accounts"] == 3
    assert AuditEvent.objects.filter(action="review_campaign.launched", organization_id=rw.w.org.pk).count() == 1


def test_launch_flags_leavers_and_access_beyond_policy(rw, at_launch):
    rw.gina.employment_status = "terminated"
    rw.gina.save()
    campaign = campaign_launch(organization=rw.w.org)
    gina = campaign.items.get(portal_account=rw.gina_acct)
    assert "terminated" in gina.flags and gina.flagged
    frank = campaign.items.get(portal_account=rw.frank_acct)
    assert frank.flags == [] and not frank.flagged


def test_launching_twice_leaves_one_campaign_with_each_account_once(rw, at_launch):
    first = campaign_launch(organization=rw.w.org)
    second = campaign_launch(organization=rw.w.org)
    call_command("launch_review", "--org", "cascade", "--period", "2026Q4")
    assert first.pk == second.pk
    assert ReviewCampaign.objects.filter(organization=rw.w.org).count() == 1
    assert ReviewItem.objects.filter(campaign=first).count() == 3
    assert AuditEvent.objects.filter(action="review_campaign.launched").count() == 1


def test_a_launch_that_crashed_halfway_is_finished_by_the_next_run(rw, at_launch, monkeypatch):
    for _ in range(5):
        make_account(rw.gina, rw.enrollment)  # 8 accounts in all
    import reviews.launch

    real = reviews.launch.write_account_batch  # the batch writer (INSERT ... ON CONFLICT DO NOTHING)
    calls = {"n": 0}

    def flaky(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real(*args, **kw)

    monkeypatch.setattr(reviews.launch, "write_account_batch", flaky)
    with pytest.raises(RuntimeError):
        campaign_launch(organization=rw.w.org, batch_size=2)
    campaign = ReviewCampaign.objects.get(organization=rw.w.org)
    assert campaign.status == ReviewCampaign.Status.LAUNCHING
    assert campaign.items.count() == 4  # two batches committed before the crash
    monkeypatch.setattr(reviews.launch, "write_account_batch", real)
    # The scheduled job finishes what was left; a second run changes nothing.
    assert launch_due_campaigns()["resumed"] == 1
    campaign_launch(organization=rw.w.org, batch_size=2)
    campaign.refresh_from_db()
    assert campaign.status == ReviewCampaign.Status.OPEN
    assert ReviewCampaign.objects.filter(organization=rw.w.org).count() == 1
    accounts = list(campaign.items.values_list("portal_account_id", flat=True))
    assert len(accounts) == 8 and len(set(accounts)) == 8


def test_scheduled_launch_only_in_the_first_week_of_the_quarter(rw, time_machine):
    import datetime

    time_machine.move_to(datetime.datetime(2026, 11, 20, 6, tzinfo=datetime.UTC), tick=False)
    assert launch_due_campaigns()["launched"] == 0
    time_machine.move_to(datetime.datetime(2027, 1, 1, 5, tzinfo=datetime.UTC), tick=False)
    assert launch_due_campaigns()["launched"] == 2  # cascade and other
    assert launch_due_campaigns()["launched"] == 0
    assert ReviewCampaign.objects.get(organization=rw.w.org).period == "2027Q1"


def test_launch_command_refuses_a_bad_period_and_an_unknown_org(rw, at_launch):
    with pytest.raises(CommandError, match="not a review period"):
        call_command("launch_review", "--org", "cascade", "--period", "2026Q7")
    with pytest.raises(CommandError, match="No organization"):
        call_command("launch_review", "--org", "nope")
    assert not ReviewCampaign.objects.exists()


def test_the_scheduled_tasks_record_a_job_run_and_isolate_a_failing_organization(rw, time_machine, monkeypatch):
    import datetime

    from hygiene.models import JobRun
    from reviews import launch as launch_module
    from reviews.jobs import JobFailed
    from reviews.tasks import launch_due, remind_and_escalate

    time_machine.move_to(datetime.datetime(2027, 1, 2, 5, tzinfo=datetime.UTC), tick=False)
    real = launch_module.campaign_launch

    def fails_for_cascade(*, organization, **kw):
        if organization.slug == "cascade":
            raise RuntimeError("boom")
        return real(organization=organization, **kw)

    monkeypatch.setattr(launch_module, "campaign_launch", fails_for_cascade)
    with pytest.raises(JobFailed):
        launch_due.apply().get()
    run = JobRun.objects.get(job="reviews_launch")
    assert run.status == "failed" and run.counts["launched"] == 1 and run.errors[0]["organization"] == "cascade"
    assert ReviewCampaign.objects.filter(organization=rw.w.other_org).count() == 1
    monkeypatch.setattr(launch_module, "campaign_launch", real)
    assert launch_due.apply().get()["counts"]["launched"] == 1  # the retry launches cascade only
    assert remind_and_escalate.apply().get()["counts"]["campaigns"] == 2
    assert JobRun.objects.filter(job="reviews_remind_and_escalate", status="succeeded").count() == 1


def test_launch_queries_do_not_grow_with_accounts(rw, at_launch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign_launch(organization=rw.w.org, period="2026Q1")  # warm-up: content types, caches
    with CaptureQueriesContext(connection) as small:
        campaign_launch(organization=rw.w.org, period="2026Q3")
    for _ in range(30):
        make_account(rw.gina, rw.enrollment)
    with CaptureQueriesContext(connection) as large:
        campaign_launch(organization=rw.w.org, period="2026Q2")
    assert ReviewItem.objects.filter(campaign__period="2026Q2").count() == 33
    import difflib

    diff = list(difflib.unified_diff([q["sql"][:90] for q in small.captured_queries if "SAVEPOINT" not in q["sql"]],
                                     [q["sql"][:90] for q in large.captured_queries if "SAVEPOINT" not in q["sql"]],
                                     lineterm="", n=0))
    assert len(large) == len(small), diff
