import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from access.models import OrganizationCredential
from access.policy_services import credential_rotated
from reviews import services
from reviews.demo import seed_demo_review
from reviews.launch import campaign_launch
from reviews.models import ReviewCampaign, ReviewItem


@pytest.fixture
def credential(rw):
    cred = OrganizationCredential.objects.create(organization=rw.w.org, kind="clearinghouse_sftp",
                                                 label="Clearinghouse SFTP", login_id="cascade-sftp")
    cred.custodians.set([rw.bob_staff])
    return cred


def test_organization_credentials_are_reviewed_by_someone_who_is_not_a_custodian(rw, credential, at_launch):
    campaign = campaign_launch(organization=rw.w.org)
    item = ReviewItem.objects.get(campaign=campaign, credential=credential)
    assert item.kind == "credential" and item.reviewer == rw.w.alice  # Bob is a custodian
    assert item.snapshot["custodians"] == ["Bob Billing"] and item.snapshot["login_id"] == "cascade-sftp"
    with pytest.raises(ValidationError, match="holds this access"):
        services.item_reassign(item=item, acting_user=rw.w.alice, to_user=rw.w.bob)
    with pytest.raises(ValidationError, match="not changed"):
        services.item_decide(item=item, acting_user=rw.w.alice, decision="change", reason="x",
                             functions_to_remove=["x"])


def test_revoking_a_credential_requires_its_rotation_before_sign_off(rw, credential, at_launch):
    campaign = campaign_launch(organization=rw.w.org)
    for item in campaign.items.select_related("portal_account"):
        user = rw.w.alice if item.reviewer == rw.w.alice else rw.w.bob
        if item.kind == "credential":
            services.item_decide(item=item, acting_user=user, decision="revoke", reason="Password known too widely")
        else:
            services.item_decide(item=item, acting_user=user, decision="keep")
    credential.refresh_from_db()
    assert credential.rotation_required
    with pytest.raises(ValidationError, match="1 remediation task is not done yet"):
        services.campaign_sign_off(campaign=campaign, acting_user=rw.w.alice)
    with time_machine.travel(datetime.datetime(2026, 10, 2, 9, tzinfo=datetime.UTC), tick=False):
        credential_rotated(credential=credential, acting_user=rw.w.alice)
        services.campaign_sign_off(campaign=campaign, acting_user=rw.w.alice)
    assert ReviewCampaign.objects.get(pk=campaign.pk).status == "closed"


def test_seed_demo_review_is_idempotent(rw, at_launch):
    first = seed_demo_review(rw.w.org)
    second = seed_demo_review(rw.w.org)
    assert first.pk == second.pk and first.status == "open"
    assert ReviewItem.objects.filter(campaign=first).count() == 3
