import datetime

import pytest

from reviews.launch import campaign_launch
from tests.reviews.factories import make_account, make_staff
from training.services import completion_record

pytestmark = pytest.mark.django_db


def test_review_snapshot_shows_current_expired_and_missing_training(tw, django_assert_max_num_queries):
    org, alice = tw.w.org, tw.w.alice
    tw.portal_module.is_active = False
    tw.portal_module.save()
    completion_record(organization=org, staff_member=tw.dave_staff, module=tw.general,
                      completed_on=datetime.date(2026, 3, 1), acting_user=alice)
    completion_record(organization=org, staff_member=tw.gina, module=tw.general,
                      completed_on=datetime.date(2025, 3, 1), acting_user=alice)
    hal = make_staff(org, "Hal New")
    hal_acct = make_account(hal, tw.enrollment)
    campaign = campaign_launch(organization=org, acting_user=alice)
    training = {i.portal_account_id: i.snapshot["training"] for i in campaign.items.all()}
    assert training == {tw.dave_acct.pk: "current", tw.gina_acct.pk: "expired", hal_acct.pk: "missing"}
