import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from access.models import AccountStatus
from access.services import task_complete
from audits.models import AuditEvent
from reviews import services
from reviews.launch import campaign_launch
from reviews.models import ReviewCampaign, ReviewItem


@pytest.fixture
def campaign(rw, at_launch):
    return campaign_launch(organization=rw.w.org)


def decide_all(rw, campaign):
    items = {i.portal_account_id: i for i in campaign.items.all()}
    services.item_decide(item=items[rw.frank_acct.pk], acting_user=rw.w.bob, decision="keep", reason="Needed daily")
    services.item_decide(item=items[rw.gina_acct.pk], acting_user=rw.w.bob, decision="revoke", reason="Left intake")
    services.item_decide(item=items[rw.bob_acct.pk], acting_user=rw.w.alice, decision="change",
                         reason="ERA belongs to posting", functions_to_remove=["remittance_era"])
    return {pk: ReviewItem.objects.get(pk=i.pk) for pk, i in items.items()}


def test_sign_off_needs_every_item_decided_and_every_task_done(rw, campaign):
    with pytest.raises(ValidationError, match="3 items are still undecided"):
        services.campaign_sign_off(campaign=campaign, acting_user=rw.w.alice)
    items = decide_all(rw, campaign)
    with pytest.raises(ValidationError, match="2 remediation tasks are not done yet"):
        services.campaign_sign_off(campaign=campaign, acting_user=rw.w.alice)
    with pytest.raises(ValidationError, match="Only an administrator"):
        services.campaign_sign_off(campaign=campaign, acting_user=rw.w.bob)
    task_complete(task=items[rw.gina_acct.pk].remediation_task, acting_user=rw.w.alice,
                  payer_confirmation="Availity: user disabled, ref 99812")
    with pytest.raises(ValidationError, match="1 remediation task is not done yet"):
        services.campaign_sign_off(campaign=campaign, acting_user=rw.w.alice)
    services.remediation_complete(item=items[rw.bob_acct.pk], acting_user=rw.w.alice,
                                  payer_confirmation="Availity: ERA role removed")
    assert ReviewCampaign.objects.get(pk=campaign.pk).status == "open"
    services.campaign_sign_off(campaign=campaign, acting_user=rw.w.alice, note="Q4 review complete")
    campaign.refresh_from_db()
    assert campaign.status == "closed" and campaign.signed_off_by == rw.w.alice
    assert AuditEvent.objects.filter(action="review_campaign.signed_off", object_pk=str(campaign.pk)).count() == 1
    gina = ReviewItem.objects.get(campaign=campaign, portal_account=rw.gina_acct)
    assert gina.access_at_close["status"] == AccountStatus.DEACTIVATED
    bob = ReviewItem.objects.get(campaign=campaign, portal_account=rw.bob_acct)
    assert bob.access_at_close["functions"] == ["eligibility_benefits"]
    # Closed: decisions are final, sign-off happens once.
    with pytest.raises(ValidationError, match="signed off"):
        services.campaign_sign_off(campaign=campaign, acting_user=rw.w.alice)


def signed_off(rw, campaign):
    items = decide_all(rw, campaign)
    task_complete(task=items[rw.gina_acct.pk].remediation_task, acting_user=rw.w.alice,
                  payer_confirmation="Availity ref 99812")
    task_complete(task=items[rw.bob_acct.pk].remediation_task, acting_user=rw.w.alice,
                  payer_confirmation="Availity ref 99813")
    services.campaign_sign_off(campaign=campaign, acting_user=rw.w.alice, note="All done")
    return campaign


def test_evidence_csv_has_scope_launch_access_decisions_remediation_close_and_sign_off(rw, campaign, client_for):
    signed_off(rw, campaign)
    response = client_for(rw.w.carol).get(reverse("reviews_evidence_csv", args=["cascade", campaign.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:4] == ["# campaign", "Access review Q4 2026", "period", "2026Q4"]
    assert lines[2][0] == "# scope" and lines[2][1] == "3 portal accounts"
    assert lines[3][0] == "# sign-off" and lines[3][1].startswith("alice@cascade.example at ")
    rows = {r["holder"]: r for r in csv.DictReader(io.StringIO("\n".join(text.splitlines()[4:])))}
    gina = rows["Gina Front"]
    assert gina["functions_at_launch"] == "Claim status, Eligibility & benefits"  # names, never codes
    assert gina["decision"] == "Revoke" and gina["reason"] == "Left intake" and gina["decided_by"] == "Bob Billing"
    assert gina["decided_at"] and gina["reviewer"] == "bob@cascade.example"
    assert gina["remediation_status"] == "Done" and gina["payer_confirmation"] == "Availity ref 99812"
    assert gina["remediation_completed_by"] == "alice@cascade.example"
    assert gina["access_at_close"] == "deactivated: Claim status, Eligibility & benefits"
    bob = rows["Bob Billing"]
    assert bob["functions_removed"] == "Remittance / ERA" and bob["access_at_close"] == "active: Eligibility & benefits"
    assert rows["Frank Front"]["decision"] == "Keep" and rows["Frank Front"]["remediation_task"] == ""
    event = AuditEvent.objects.get(action="review_campaign.evidence_exported")
    assert event.changes == {"format": [None, "csv"]} and event.actor_label == "carol@cascade.example"


def test_evidence_page_is_printable_and_its_viewing_is_audited(rw, campaign, client_for):
    signed_off(rw, campaign)
    response = client_for(rw.w.carol).get(reverse("reviews_evidence", args=["cascade", campaign.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Access review evidence", "Gina Front", "Left intake", "Availity ref 99812", "All done",
                 "rubber-stamp", "nobody reviews their own access"):
        assert text in html
    assert AuditEvent.objects.filter(action="review_campaign.evidence_exported").count() == 1


def test_csv_neutralises_formulas_in_reasons(rw, campaign, client_for):
    item = campaign.items.get(portal_account=rw.frank_acct)
    services.item_decide(item=item, acting_user=rw.w.bob, decision="keep", reason="=HYPERLINK(\"x\")")
    text = b"".join(client_for(rw.w.alice).get(
        reverse("reviews_evidence_csv", args=["cascade", campaign.pk])).streaming_content).decode()
    assert "'=HYPERLINK" in text


@pytest.mark.parametrize("who,status", [("bob", 403), ("dave", 403), ("eve", 403), ("oscar", 403), ("alice", 200)])
def test_only_auditors_and_administrators_export_evidence(rw, campaign, client_for, who, status):
    user = getattr(rw.w, who)
    response = client_for(user).get(reverse("reviews_evidence_csv", args=["cascade", campaign.pk]))
    assert response.status_code == status
    if status == 403:
        assert not AuditEvent.objects.filter(action="review_campaign.evidence_exported").exists()
