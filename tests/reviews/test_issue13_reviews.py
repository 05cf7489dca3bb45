"""Issue 13 in reviews: bulk decisions never cover flagged items, sign-off is refused (button disabled, the
reasons listed) while blockers remain and asks to confirm, a billing manager is told who signs off, functions
by their names (never codes) on the pages and in the evidence, and the bulk Decision select has a name."""

import datetime
from html import unescape

import pytest
from django.urls import reverse

from audits.models import AuditEvent
from reviews import services
from reviews.evidence import evidence_csv_lines
from reviews.launch import campaign_launch
from reviews.models import ReviewItem
from staff.models import StaffMember


@pytest.fixture
def campaign(rw, at_launch):
    return campaign_launch(organization=rw.w.org)


def item_for(campaign, account):
    return ReviewItem.objects.get(campaign=campaign, portal_account=account)


def url(name, *args):
    return reverse(name, args=["cascade", *args])


def test_bulk_keep_skips_flagged_items_and_says_why(rw, campaign, client_for):
    frank, gina = item_for(campaign, rw.frank_acct), item_for(campaign, rw.gina_acct)
    ReviewItem.objects.filter(pk=gina.pk).update(flags=["shared_user_id"], flagged=True)
    assert frank.reviewer == rw.w.bob and gina.reviewer == rw.w.bob
    client = client_for(rw.w.bob)
    response = client.post(url("reviews_bulk_decide"), {"items": [frank.pk, gina.pk], "decision": "keep",
                                                        "reason": "Still on the front desk"}, follow=True)
    html = response.content.decode()
    frank.refresh_from_db()
    gina.refresh_from_db()
    assert frank.decision == "keep" and frank.decided_in_bulk
    assert gina.decision == "" and gina.decided_at is None  # left to be decided on its own
    assert "1 flagged item was not decided in bulk" in html and "shared user id" in html
    skipped = AuditEvent.objects.get(action="review_item.bulk_skipped")
    assert skipped.additional_data["items"] == [gina.pk]
    # It is then decided on its own, with its own reason.
    services.item_decide(item=gina, acting_user=rw.w.bob, decision="revoke", reason="Shares a login with Frank")
    gina.refresh_from_db()
    assert gina.decision == "revoke" and not gina.decided_in_bulk


def test_bulk_skips_a_holder_who_left_since_launch_and_an_account_pending_deactivation(rw, campaign):
    frank, gina = item_for(campaign, rw.frank_acct), item_for(campaign, rw.gina_acct)
    StaffMember.objects.filter(pk=rw.frank.pk).update(employment_status="terminated",
                                                      end_date=datetime.date(2026, 9, 30))
    rw.gina_acct.__class__.objects.filter(pk=rw.gina_acct.pk).update(status="deactivation_pending")
    done = services.items_decide_bulk(organization=rw.w.org, item_ids=[frank.pk, gina.pk], acting_user=rw.w.bob,
                                      decision="keep", reason="ok")
    assert list(done) == []
    assert {i.pk: why for i, why in done.skipped} == {frank.pk: ["left the practice since launch"],
                                                       gina.pk: ["deactivation pending"]}
    assert not ReviewItem.objects.filter(pk__in=[frank.pk, gina.pk]).exclude(decision="").exists()


def test_the_queue_says_which_items_are_decided_on_their_own_and_labels_the_bulk_select(rw, campaign, client_for):
    gina = item_for(campaign, rw.gina_acct)
    ReviewItem.objects.filter(pk=gina.pk).update(flags=["beyond_policy"], flagged=True)
    html = client_for(rw.w.bob).get(url("reviews_queue")).content.decode()
    assert '<label for="bulk-decision">Decision</label><select name="decision" id="bulk-decision"' in html
    assert f'value="{gina.pk}" form="bulk-form"' not in html  # no checkbox for the flagged item
    assert "Decide on its own (beyond policy)" in html
    frank = item_for(campaign, rw.frank_acct)
    assert f'value="{frank.pk}" form="bulk-form"' in html


def test_sign_off_is_refused_with_its_button_disabled_while_a_flagged_item_stands_kept_in_bulk(
        rw, campaign, client_for):
    for item in campaign.items.all():
        services.item_decide(item=item, acting_user=rw.w.alice if item.reviewer == rw.w.alice else item.reviewer,
                             decision="keep", reason="fine")
    # A flagged item kept in bulk (as the old bulk form allowed): the rubber stamp stops sign-off.
    gina = item_for(campaign, rw.gina_acct)
    ReviewItem.objects.filter(pk=gina.pk).update(flags=["beyond_policy"], flagged=True, decided_in_bulk=True)
    assert services.sign_off_blockers(campaign) == [
        "1 flagged item was kept in bulk; decide each on its own, with its own reason."]
    client = client_for(rw.w.alice)
    html = client.get(url("reviews_campaign", campaign.pk)).content.decode()
    assert '<button type="submit" disabled aria-disabled="true" aria-describedby="signoff-blockers">Sign off the campaign</button>' in html
    response = client.post(url("reviews_sign_off", campaign.pk), {"confirm": "on"}, follow=True)
    assert "cannot be signed off yet" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "open"
    assert not AuditEvent.objects.filter(action="review_campaign.signed_off").exists()
    # Decided again on its own: the blocker goes; sign-off then asks to confirm.
    services.item_decide(item=gina, acting_user=rw.w.alice, decision="keep", reason="Exception approved in May")
    assert services.sign_off_blockers(campaign) == []
    html = client.get(url("reviews_campaign", campaign.pk)).content.decode()
    assert "Signing off closes the campaign for good" in html
    client.post(url("reviews_sign_off", campaign.pk), {"note": "done"})
    campaign.refresh_from_db()
    assert campaign.status == "open"  # not confirmed
    client.post(url("reviews_sign_off", campaign.pk), {"note": "done", "confirm": "on"})
    campaign.refresh_from_db()
    assert campaign.status == "closed"
    assert AuditEvent.objects.filter(action="review_campaign.signed_off").count() == 1


def test_a_billing_manager_is_told_who_signs_off(rw, campaign, client_for):
    client = client_for(rw.w.bob)
    html = client.get(url("reviews_campaign", campaign.pk)).content.decode()
    assert "An administrator signs off the campaign: Alice Admin." in html
    assert "Sign off the campaign</button>" not in html
    for item in ReviewItem.objects.filter(campaign=campaign, reviewer=rw.w.bob):
        services.item_decide(item=item, acting_user=rw.w.bob, decision="keep", reason="fine")
    html = client.get(url("reviews_queue")).content.decode()
    assert "an administrator signs off the campaign (Alice Admin)" in html


def test_a_change_shows_function_names_on_the_pages_and_in_the_evidence(rw, campaign, client_for):
    bobs = item_for(campaign, rw.bob_acct)
    services.item_decide(item=bobs, acting_user=bobs.reviewer, decision="change", reason="Billing desk only",
                         functions_to_remove=["remittance_era"])
    bobs.refresh_from_db()
    name = bobs.functions_removed_names[0]
    assert name != "remittance_era" and "_" not in name
    html = client_for(rw.w.alice).get(url("reviews_campaign", campaign.pk)).content.decode()
    assert f"Change: remove {name}" in html and "remittance_era" not in html
    assert f"Remove: {name}." in bobs.remediation_task.notes
    csv_text = "".join(evidence_csv_lines(campaign))
    assert "remittance_era" not in csv_text and "eligibility_benefits" not in csv_text
    assert name in csv_text


def test_bulk_revoke_shows_who_gets_the_work_and_records_nothing_until_confirmed(rw, campaign, client_for,
                                                                                django_assert_max_num_queries):
    from access.models import ProvisioningTask

    frank, gina = item_for(campaign, rw.frank_acct), item_for(campaign, rw.gina_acct)
    ReviewItem.objects.filter(pk=gina.pk).update(flags=["shared_user_id"], flagged=True)
    client = client_for(rw.w.bob)
    body = {"items": [frank.pk, gina.pk], "decision": "revoke", "reason": "Front desk outsourced"}
    events = AuditEvent.objects.count()
    with django_assert_max_num_queries(30):
        html = unescape(client.post(url("reviews_bulk_decide"), body).content.decode())
    assert "Revoke 1 item?" in html
    assert "1 portal account moves to deactivation pending (this cannot be undone)." in html
    assert "1 deactivation task goes to" in html and "Revokes are final" in html
    assert "Left out: decide each on its own" in html and "shared user id" in html
    assert 'name="confirm" value="yes"' in html and 'value="Front desk outsourced"' in html
    frank.refresh_from_db()
    assert frank.decision == "" and not ProvisioningTask.objects.exists()
    assert AuditEvent.objects.count() == events
    client.post(url("reviews_bulk_decide"), {**body, "confirm": "yes"})
    frank.refresh_from_db()
    gina.refresh_from_db()
    assert frank.decision == "revoke" and frank.decided_in_bulk and gina.decision == ""
    assert ProvisioningTask.objects.get().portal_account_id == rw.frank_acct.pk
