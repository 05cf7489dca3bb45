"""The REST API beyond the roster: training, access reviews (decisions under the page's rules), provisioning
tasks; one error shape, bounded pages, consistent filters, another organization's ids, flat query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import ProvisioningTask
from accounts import roles
from audits.models import AuditEvent
from reviews.launch import campaign_launch
from reviews.models import ReviewItem
from training.models import TrainingCompletion, TrainingModule

from ..reviews.conftest import at_launch, rw  # noqa: F401 (fixtures)


def url(org, tail=""):
    return f"/api/v1/o/{org.slug}/{tail}"


@pytest.fixture
def campaign(rw, at_launch):  # noqa: F811
    return campaign_launch(organization=rw.w.org)


def _item(campaign, account):
    return ReviewItem.objects.get(campaign=campaign, portal_account=account)


def test_review_campaigns_and_items_read(rw, campaign, client_for):  # noqa: F811
    bob = client_for(rw.w.bob)
    listed = bob.get(url(rw.w.org, "review-campaigns/")).json()
    assert [c["id"] for c in listed["results"]] == [campaign.pk]
    assert bob.get(url(rw.w.org, f"review-campaigns/{campaign.pk}/")).json()["name"] == campaign.name
    items = bob.get(url(rw.w.org, f"review-campaigns/{campaign.pk}/items/"), {"state": "pending"}).json()
    assert items["count"] == ReviewItem.objects.filter(campaign=campaign).count() >= 3
    assert bob.get(url(rw.w.org, f"review-campaigns/{campaign.pk}/items/"), {"state": "maybe"}).status_code == 400
    assert bob.get(url(rw.w.org, f"review-campaigns/{campaign.pk}/items/"), {"flagged": ""}).status_code == 400


def test_a_decision_through_the_api_obeys_the_pages_rules(rw, campaign, client_for):  # noqa: F811
    bob = client_for(rw.w.bob)
    gina = _item(campaign, rw.gina_acct)  # assigned to bob
    ReviewItem.objects.filter(pk=gina.pk).update(flags=["open_findings"], flagged=True)
    decide = url(rw.w.org, f"review-items/{gina.pk}/decide/")
    refused = bob.post(decide, {"decision": "keep", "reason": " "}, content_type="application/json")
    assert refused.status_code == 400 and "open findings" in refused.json()["errors"]["reason"][0]
    assert ReviewItem.objects.get(pk=gina.pk).decision == ""
    # Self-review: bob's own account, even if it lands with him.
    mine = _item(campaign, rw.bob_acct)
    ReviewItem.objects.filter(pk=mine.pk).update(reviewer=rw.w.bob)
    response = bob.post(url(rw.w.org, f"review-items/{mine.pk}/decide/"), {"decision": "keep", "reason": "mine"},
                        content_type="application/json")
    assert response.status_code == 400 and "Self-review" in response.json()["errors"]["non_field_errors"][0]
    ok = bob.post(decide, {"decision": "keep", "reason": "Checks eligibility daily"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["decision"] == "keep"
    assert AuditEvent.objects.filter(action="review_item.decided", object_pk=str(gina.pk)).exists()


def test_a_credential_cannot_decide(rw, campaign, make_credential, api):  # noqa: F811
    _, token = make_credential(roles.VIEW_PORTAL_ACCOUNTS, name="GRC tool")
    item = _item(campaign, rw.gina_acct)
    response = api(token).post(url(rw.w.org, f"review-items/{item.pk}/decide/"), {"decision": "keep"})
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert api(token).get(url(rw.w.org, "review-campaigns/")).status_code == 200


def test_another_organizations_ids_are_404(rw, campaign, client_for):  # noqa: F811
    oscar = client_for(rw.w.oscar)
    item = _item(campaign, rw.gina_acct)
    assert oscar.get(url(rw.w.other_org, f"review-campaigns/{campaign.pk}/")).status_code == 404
    response = oscar.post(url(rw.w.other_org, f"review-items/{item.pk}/decide/"), {"decision": "revoke", "reason": "x"},
                          content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert ReviewItem.objects.get(pk=item.pk).decision == ""


def test_training_modules_and_completions(rw, make_credential, api, at_launch):  # noqa: F811
    module = TrainingModule.objects.create(organization=rw.w.org, title="Portal security", renewal_months=12)
    _, token = make_credential(roles.VIEW_STAFF, roles.MANAGE_STAFF, name="LMS")
    lms = api(token)
    assert [m["title"] for m in lms.get(url(rw.w.org, "training-modules/"), {"active": "yes"}).json()["results"]] == [
        "Portal security"]
    created = lms.post(url(rw.w.org, "training-completions/"),
                       {"staff_member": rw.frank.pk, "module": module.pk, "completed_on": "2026-09-30"})
    assert created.status_code == 201, created.content
    assert created.json()["expires_on"] == "2027-09-30"
    assert AuditEvent.objects.filter(action="training_completion.recorded", actor_label="api:LMS").exists()
    future = lms.post(url(rw.w.org, "training-completions/"),
                      {"staff_member": rw.frank.pk, "module": module.pk, "completed_on": "2030-01-01"})
    assert future.status_code == 400 and "completed_on" in future.json()["errors"]
    theirs = TrainingModule.objects.create(organization=rw.w.other_org, title="Theirs")
    other = lms.post(url(rw.w.org, "training-completions/"),
                     {"staff_member": rw.frank.pk, "module": theirs.pk, "completed_on": "2026-09-01"})
    assert other.status_code == 400 and "module" in other.json()["errors"]
    assert TrainingCompletion.objects.count() == 1
    listed = lms.get(url(rw.w.org, "training-completions/"), {"staff_member": rw.frank.pk}).json()
    assert listed["count"] == 1


def test_provisioning_tasks_and_their_filters(rw, client_for):  # noqa: F811
    from access.services import provisioning_task_create

    for acct in (rw.frank_acct, rw.gina_acct):
        provisioning_task_create(account=acct, kind=ProvisioningTask.Kind.DEACTIVATE, acting_user=rw.w.alice)
    alice = client_for(rw.w.alice)
    body = alice.get(url(rw.w.org, "provisioning-tasks/"), {"kind": "deactivate", "status": "open"}).json()
    assert body["count"] == 2 and {t["portal_user_id"] for t in body["results"]} == {
        rw.frank_acct.portal_user_id, rw.gina_acct.portal_user_id}
    assert alice.get(url(rw.w.org, "provisioning-tasks/"), {"staff_member": rw.frank.pk}).json()["count"] == 1
    for bad in ({"kind": "explode"}, {"status": ""}, {"staff_member": "abc"}, {"staff_member": "0"},
                {"staff_member": "99999999999999999999999"}):
        response = alice.get(url(rw.w.org, "provisioning-tasks/"), bad)
        assert response.status_code == 400, bad
        assert set(response.json()) == {"detail", "code", "errors"}


@pytest.mark.parametrize("tail", ["staff/", "portal-accounts/", "findings/", "provisioning-tasks/",
                                  "training-modules/", "training-completions/", "review-campaigns/", "contracts/",
                                  "directory/"])
def test_every_list_has_a_bounded_page(world, client_for, tail):
    alice = client_for(world.alice)
    assert alice.get(url(world.org, tail), {"limit": "200"}).status_code == 200
    for bad in ("0", "201", "-1", "100000000000000000000", "ten", ""):
        response = alice.get(url(world.org, tail), {"limit": bad})
        assert response.status_code == 400 and "limit" in response.json()["errors"], (tail, bad)
    huge = alice.get(url(world.org, tail), {"offset": "100000000000000000000"})
    assert huge.status_code == 400 and "offset" in huge.json()["errors"]
    assert alice.get(url(world.org, tail), {"offset": "2147483647"}).status_code == 200


def test_lists_take_a_fixed_number_of_queries(rw, campaign, client_for):  # noqa: F811
    from access.services import provisioning_task_create

    alice = client_for(rw.w.alice)
    provisioning_task_create(account=rw.frank_acct, kind=ProvisioningTask.Kind.DEACTIVATE, acting_user=rw.w.alice)
    module = TrainingModule.objects.create(organization=rw.w.org, title="Security")
    TrainingCompletion.objects.create(organization=rw.w.org, staff_member=rw.admin_staff, module=module,
                                      completed_on=datetime.date(2026, 9, 1), expires_on=datetime.date(2027, 9, 1))
    tails = ["provisioning-tasks/", f"review-campaigns/{campaign.pk}/items/", "training-completions/"]
    counts = {}
    for tail in tails:
        alice.get(url(rw.w.org, tail))
        with CaptureQueriesContext(connection) as q:
            alice.get(url(rw.w.org, tail))
        counts[tail] = len(q)
    provisioning_task_create(account=rw.gina_acct, kind=ProvisioningTask.Kind.DEACTIVATE, acting_user=rw.w.alice)
    provisioning_task_create(account=rw.bob_acct, kind=ProvisioningTask.Kind.DEACTIVATE, acting_user=rw.w.alice)
    for person in (rw.frank, rw.gina, rw.bob_staff):
        TrainingCompletion.objects.create(organization=rw.w.org, staff_member=person, module=module,
                                          completed_on=datetime.date(2026, 9, 1), expires_on=datetime.date(2027, 9, 1))
    for tail in tails:
        with CaptureQueriesContext(connection) as q:
            alice.get(url(rw.w.org, tail))
        assert len(q) == counts[tail], tail
