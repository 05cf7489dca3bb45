import datetime

import pytest
import time_machine
from django.core import mail

from access.models import ProvisioningTask
from findings.models import Finding
from reviews import services
from reviews.launch import campaign_launch
from reviews.models import ReviewCampaign, ReviewItem, ReviewReminder, ReviewSettings
from reviews.reminders import remind_and_escalate_all


def on(day: int, month: int = 10):
    return time_machine.travel(datetime.datetime(2026, month, day, 7, 0, tzinfo=datetime.UTC), tick=False)


def run_day(day, capture, month=10):
    mail.outbox.clear()
    with on(day, month), capture(execute=True):
        counts = remind_and_escalate_all()
    return counts, sorted(m.to[0] for m in mail.outbox)


@pytest.fixture
def launched(rw, django_capture_on_commit_callbacks):
    with on(1), django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_launch(organization=rw.w.org)
    return campaign


def test_launch_mails_every_reviewer_once(rw, launched, django_capture_on_commit_callbacks):
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@cascade.example", "bob@cascade.example"]
    assert "2 access-review items wait for you" in next(m for m in mail.outbox if m.to == ["bob@cascade.example"]).subject
    assert "/o/cascade/reviews/mine/" in mail.outbox[0].body
    # The job runs again the same day (or twice): no second e-mail.
    assert run_day(1, django_capture_on_commit_callbacks)[1] == []
    assert ReviewReminder.objects.filter(kind="launch").count() == 2


def test_reminder_schedule_weekly_then_3_and_1_days_before_then_daily_overdue(rw, launched,
                                                                              django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    both = ["alice@cascade.example", "bob@cascade.example"]
    assert run_day(2, cap)[1] == []
    assert run_day(8, cap)[1] == both  # a week after launch
    assert run_day(9, cap)[1] == []
    assert run_day(12, cap)[1] == both  # 3 days before the due date (15 October)
    assert run_day(13, cap)[1] == []
    assert run_day(14, cap)[1] == both  # 1 day before
    # Bob decides everything he has: only Alice is reminded from now on.
    with on(14):
        for item in ReviewItem.objects.filter(reviewer=rw.w.bob):
            services.item_decide(item=item, acting_user=rw.w.bob, decision="keep")
    assert run_day(15, cap)[1] == ["alice@cascade.example"]  # two weeks after launch
    counts, to = run_day(16, cap)
    # Overdue: Alice gets her daily reminder and, as the administrator, the escalation.
    assert to == ["alice@cascade.example", "alice@cascade.example"]
    assert counts["escalated"] == 1
    kinds = set(ReviewReminder.objects.filter(sent_on=datetime.date(2026, 10, 16)).values_list("kind", flat=True))
    assert kinds == {"overdue", "escalation"}
    assert run_day(17, cap)[1] == ["alice@cascade.example", "alice@cascade.example"]  # daily while overdue
    assert run_day(17, cap)[1] == []  # same day again: nothing


def test_escalation_marks_items_and_raises_the_overdue_finding_until_decided(rw, launched,
                                                                             django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    run_day(15, cap)  # due today: not overdue yet
    assert not ReviewItem.objects.filter(escalated_at__isnull=False).exists()
    assert not Finding.objects.filter(rule="review_overdue").exists()
    counts, _ = run_day(16, cap)
    assert counts["escalated"] == 3
    campaign = ReviewCampaign.objects.get()
    assert campaign.escalated_on == datetime.date(2026, 10, 16)
    finding = Finding.objects.get(rule="review_overdue", resolved_at__isnull=True)
    assert "3 item(s) undecided" in finding.title
    # The administrator may now decide the escalated items, Bob's as well as her own.
    with on(16):
        for item in ReviewItem.objects.order_by("pk"):
            services.item_decide(item=item, acting_user=rw.w.alice, decision="keep")
    run_day(17, cap)
    assert Finding.objects.get(rule="review_overdue").resolved_at is not None


def test_revoke_rule_revokes_what_is_undecided_after_the_grace_days(rw, django_capture_on_commit_callbacks):
    ReviewSettings.objects.create(organization=rw.w.org, undecided_rule="revoke", escalate_after_days=2,
                                  reminder_days_before=[3, 1])
    with on(1), django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_launch(organization=rw.w.org)
    with on(2):
        services.item_decide(item=campaign.items.get(portal_account=rw.frank_acct), acting_user=rw.w.bob,
                             decision="keep")
    run_day(17, django_capture_on_commit_callbacks)
    assert ReviewItem.objects.filter(decision="revoke").count() == 0  # still in the grace days
    counts, _ = run_day(18, django_capture_on_commit_callbacks)
    assert counts["auto_revoked"] == 2
    revoked = ReviewItem.objects.filter(decision="revoke")
    assert {i.portal_account_id for i in revoked} == {rw.gina_acct.pk, rw.bob_acct.pk}
    assert all(i.decided_by is None and i.decided_by_label.startswith("job:") for i in revoked)
    assert ProvisioningTask.objects.filter(kind="deactivate", status="open").count() == 2
    assert run_day(18, django_capture_on_commit_callbacks)[0]["auto_revoked"] == 0  # idempotent
