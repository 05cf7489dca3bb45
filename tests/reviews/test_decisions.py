import datetime

import pytest
from django.core.exceptions import ValidationError

from access.models import AccountStatus, ProvisioningTask
from audits.models import AuditEvent
from reviews import services
from reviews.launch import campaign_launch
from reviews.models import ReviewCampaign, ReviewDecision, ReviewItem


@pytest.fixture
def campaign(rw, at_launch):
    return campaign_launch(organization=rw.w.org)


def item_for(campaign, account):
    return ReviewItem.objects.get(campaign=campaign, portal_account=account)


def assert_nothing_changed(item):
    item.refresh_from_db()
    assert item.decision == "" and item.decided_at is None
    assert not ReviewDecision.objects.filter(item=item).exists()
    assert not ProvisioningTask.objects.filter(portal_account=item.portal_account).exists()
    assert not AuditEvent.objects.filter(action="review_item.decided", object_pk=str(item.pk)).exists()


def test_keep_records_who_when_why_and_creates_no_task(rw, campaign):
    item = item_for(campaign, rw.frank_acct)
    services.item_decide(item=item, acting_user=rw.w.bob, decision="keep", reason="Front desk, checks eligibility",
                         keep_until=datetime.date(2027, 3, 31))
    item.refresh_from_db()
    assert item.decision == "keep" and item.decided_by == rw.w.bob and item.keep_until == datetime.date(2027, 3, 31)
    assert item.remediation_task is None
    assert not ProvisioningTask.objects.filter(portal_account=rw.frank_acct).exists()
    history = ReviewDecision.objects.get(item=item)
    assert history.snapshot_seen["portal"] == "Availity Essentials" and history.decided_by_label == "Bob Billing"
    event = AuditEvent.objects.get(action="review_item.decided", object_pk=str(item.pk))
    assert event.changes["decision"] == [None, "keep"] and event.message == "Front desk, checks eligibility"


def test_revoke_puts_the_account_in_deactivation_and_gives_the_portal_admin_a_task(rw, campaign):
    item = item_for(campaign, rw.gina_acct)
    services.item_decide(item=item, acting_user=rw.w.bob, decision="revoke", reason="Moved to the clinic")
    item.refresh_from_db()
    task = item.remediation_task
    assert task.kind == ProvisioningTask.Kind.DEACTIVATE and task.status == "open"
    assert task.assignee == rw.admin_staff  # the enrollment's primary administrator
    rw.gina_acct.refresh_from_db()
    assert rw.gina_acct.status == AccountStatus.DEACTIVATION_PENDING


def test_change_gives_a_change_task_that_removes_the_chosen_functions(rw, campaign):
    item = item_for(campaign, rw.frank_acct)
    services.item_decide(item=item, acting_user=rw.w.bob, decision="change", reason="No claim status needed",
                         functions_to_remove=["claim_status"])
    item.refresh_from_db()
    task = item.remediation_task
    assert task.kind == ProvisioningTask.Kind.CHANGE
    assert sorted(task.functions.values_list("code", flat=True)) == ["eligibility_benefits"]
    assert "Remove: Claim status." in task.notes  # function names, never codes
    # When the portal administrator does it, the account loses exactly that function.
    from access.services import task_complete

    task_complete(task=task, acting_user=rw.w.alice, payer_confirmation="Availity ticket 4411")
    assert list(rw.frank_acct.functions.values_list("code", flat=True)) == ["eligibility_benefits"]
    assert services.remediation_done(ReviewItem.objects.get(pk=item.pk))


def test_self_review_is_refused(rw, campaign):
    item = item_for(campaign, rw.bob_acct)
    assert item.reviewer == rw.w.alice
    with pytest.raises(ValidationError, match="Self-review is not allowed"):
        # even if the item somehow lands with the holder
        ReviewItem.objects.filter(pk=item.pk).update(reviewer=rw.w.bob)
        services.item_decide(item=item, acting_user=rw.w.bob, decision="keep", reason="mine")
    assert_nothing_changed(item)
    ReviewItem.objects.filter(pk=item.pk).update(reviewer=rw.w.alice)
    with pytest.raises(ValidationError, match="holds this access"):
        services.item_reassign(item=item, acting_user=rw.w.alice, to_user=rw.w.bob)
    with pytest.raises(ValidationError, match="holds this access"):
        services.item_delegate(item=item, acting_user=rw.w.alice, to_user=rw.w.bob)


def test_a_decision_on_someone_elses_item_is_refused(rw, campaign):
    item = item_for(campaign, rw.bob_acct)  # assigned to alice
    with pytest.raises(ValidationError, match="does not run access reviews"):
        services.item_decide(item=item, acting_user=rw.w.carol, decision="keep")  # an auditor
    with pytest.raises(ValidationError, match="does not run access reviews"):
        services.item_decide(item=item, acting_user=rw.w.oscar, decision="keep")  # another practice's admin
    other = item_for(campaign, rw.gina_acct)  # assigned to bob
    with pytest.raises(ValidationError, match="assigned to Bob Billing, not to you"):
        services.item_decide(item=other, acting_user=rw.w.alice, decision="revoke", reason="x")
    assert_nothing_changed(item)
    assert_nothing_changed(other)


@pytest.mark.parametrize("decision,flags,message", [
    ("revoke", [], "say why you chose revoke"),
    ("change", [], "say why you chose change"),
    ("not_sure", [], "say why you chose not sure"),
    ("keep", ["open_findings"], "it has open findings"),
    ("keep", ["beyond_policy"], "beyond policy"),
])
def test_a_missing_required_reason_is_refused(rw, campaign, decision, flags, message):
    item = item_for(campaign, rw.gina_acct)
    ReviewItem.objects.filter(pk=item.pk).update(flags=flags)
    with pytest.raises(ValidationError, match=message):
        services.item_decide(item=item, acting_user=rw.w.bob, decision=decision, reason="  ",
                             functions_to_remove=["claim_status"])
    assert_nothing_changed(item)
    rw.gina_acct.refresh_from_db()
    assert rw.gina_acct.status == AccountStatus.ACTIVE


def test_a_decision_in_a_closed_campaign_is_refused(rw, campaign):
    ReviewCampaign.objects.filter(pk=campaign.pk).update(status="closed", closed_at=datetime.datetime(
        2026, 10, 20, tzinfo=datetime.UTC))
    item = item_for(campaign, rw.gina_acct)
    with pytest.raises(ValidationError, match="decisions are final"):
        services.item_decide(item=item, acting_user=rw.w.bob, decision="keep")
    assert_nothing_changed(item)


def test_a_keep_may_be_revised_until_close_but_change_and_revoke_stand(rw, campaign):
    item = item_for(campaign, rw.gina_acct)
    services.item_decide(item=item, acting_user=rw.w.bob, decision="keep")
    with pytest.raises(ValidationError, match="only they or an administrator may revise it"):
        services.item_decide(item=item, acting_user=rw.w.carol, decision="revoke", reason="x")
    services.item_decide(item=item, acting_user=rw.w.bob, decision="revoke", reason="She moved to the clinic")
    item.refresh_from_db()
    assert item.decision == "revoke" and item.remediation_task is not None
    assert list(ReviewDecision.objects.filter(item=item).values_list("decision", flat=True)) == ["keep", "revoke"]
    event = AuditEvent.objects.filter(action="review_item.decided", object_pk=str(item.pk)).order_by("pk").last()
    assert event.changes["decision"] == ["keep", "revoke"]
    with pytest.raises(ValidationError, match="the decision is final"):
        services.item_decide(item=item, acting_user=rw.w.alice, decision="keep")
    assert ReviewItem.objects.get(pk=item.pk).decision == "revoke"


def test_change_must_name_held_functions_and_not_all_of_them(rw, campaign):
    item = item_for(campaign, rw.frank_acct)
    with pytest.raises(ValidationError, match="Choose the functions"):
        services.item_decide(item=item, acting_user=rw.w.bob, decision="change", reason="x")
    with pytest.raises(ValidationError, match="not held"):
        services.item_decide(item=item, acting_user=rw.w.bob, decision="change", reason="x",
                             functions_to_remove=["payments_eft"])
    with pytest.raises(ValidationError, match="is a revoke"):
        services.item_decide(item=item, acting_user=rw.w.bob, decision="change", reason="x",
                             functions_to_remove=["claim_status", "eligibility_benefits"])
    assert_nothing_changed(item)


def test_not_sure_goes_to_an_administrator_who_decides(rw, campaign):
    item = item_for(campaign, rw.gina_acct)
    services.item_decide(item=item, acting_user=rw.w.bob, decision="not_sure", reason="Does she still do intake?")
    item.refresh_from_db()
    assert item.decision == "not_sure" and item.escalated_at is not None
    with pytest.raises(ValidationError, match="waits for an administrator"):
        services.item_decide(item=item, acting_user=rw.w.bob, decision="keep")
    services.item_decide(item=item, acting_user=rw.w.alice, decision="revoke", reason="Left intake in August")
    item.refresh_from_db()
    assert item.decision == "revoke" and item.decided_by == rw.w.alice
    assert list(ReviewDecision.objects.filter(item=item).values_list("decision", flat=True)) == ["not_sure", "revoke"]


def test_bulk_decisions_are_all_or_nothing_and_marked_bulk(rw, campaign):
    frank, gina, bobs = (item_for(campaign, a) for a in (rw.frank_acct, rw.gina_acct, rw.bob_acct))
    with pytest.raises(ValidationError, match="Nothing was decided.*Self-review is not allowed"):
        services.items_decide_bulk(organization=rw.w.org, item_ids=[frank.pk, gina.pk, bobs.pk],
                                   acting_user=rw.w.bob, decision="keep", reason="Still on the front desk")
    assert_nothing_changed(frank)
    with pytest.raises(ValidationError, match="one reason"):
        services.items_decide_bulk(organization=rw.w.org, item_ids=[frank.pk], acting_user=rw.w.bob,
                                   decision="keep", reason="")
    done = services.items_decide_bulk(organization=rw.w.org, item_ids=[frank.pk, gina.pk], acting_user=rw.w.bob,
                                      decision="keep", reason="Still on the front desk")
    assert [i.decided_in_bulk for i in done] == [True, True]
    assert AuditEvent.objects.filter(action="review_item.decided").count() == 2


def test_bulk_refuses_items_of_another_organization(rw, campaign):
    with pytest.raises(ValidationError, match="do not exist in this organization"):
        services.items_decide_bulk(organization=rw.w.other_org, item_ids=[item_for(campaign, rw.gina_acct).pk],
                                   acting_user=rw.w.oscar, decision="keep", reason="x")


def test_delegation_and_reassignment_are_recorded(rw, campaign):
    item = item_for(campaign, rw.gina_acct)
    services.item_delegate(item=item, acting_user=rw.w.bob, to_user=rw.w.alice, reason="I am on leave")
    item.refresh_from_db()
    assert item.reviewer == rw.w.alice and item.delegated_by == rw.w.bob and item.reviewer_basis == "delegated"
    assert AuditEvent.objects.filter(action="review_item.delegated", object_pk=str(item.pk)).exists()
    with pytest.raises(ValidationError, match="Only the item's reviewer"):
        services.item_delegate(item=item, acting_user=rw.w.bob, to_user=rw.w.bob)
    with pytest.raises(ValidationError, match="Only an administrator"):
        services.item_reassign(item=item, acting_user=rw.w.bob, to_user=rw.w.bob)
    with pytest.raises(ValidationError, match="does not run access reviews"):
        services.item_reassign(item=item, acting_user=rw.w.alice, to_user=rw.w.carol)
    services.item_reassign(item=item, acting_user=rw.w.alice, to_user=rw.w.bob)
    assert AuditEvent.objects.filter(action="review_item.reassigned", object_pk=str(item.pk)).exists()


def test_an_item_without_a_reviewer_waits_for_an_administrator_to_assign_one(rw, campaign):
    item = item_for(campaign, rw.gina_acct)
    ReviewItem.objects.filter(pk=item.pk).update(reviewer=None, reviewer_basis="unassigned")
    with pytest.raises(ValidationError, match="has no reviewer yet"):
        services.item_decide(item=item, acting_user=rw.w.bob, decision="keep")
    services.item_reassign(item=item, acting_user=rw.w.alice, to_user=rw.w.bob)
    services.item_decide(item=item, acting_user=rw.w.bob, decision="keep")
