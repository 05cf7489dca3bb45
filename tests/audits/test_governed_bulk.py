"""(d) Bulk paths on governed models leave events (or are refused), in the same transaction."""

import pytest
from django.db import transaction

from accounts.models import Membership, Organization, Role
from audits.models import AuditEvent
from audits.registry import GOVERNED, GovernedBulkWriteRefused, GovernedQuerySetMixin, check_governed_managers

pytestmark = pytest.mark.django_db


def test_governed_models_get_the_governed_queryset_without_a_migration():
    assert isinstance(Membership.objects.all(), GovernedQuerySetMixin)
    assert isinstance(Organization.objects.all(), GovernedQuerySetMixin)
    assert check_governed_managers() == []


def test_save_writes_an_auditlog_diff_in_the_same_table(world):
    world.org.practice_county = "King"
    world.org.save()
    event = AuditEvent.objects.filter(action="organization.updated", object_pk=str(world.org.pk)).latest()
    assert event.changes["practice_county"][1] == "King"
    assert event.organization_id == world.org.pk


def test_queryset_update_leaves_one_diff_per_row(world):
    qs = Membership.objects.filter(organization=world.org, role=Role.STAFF)
    pks = list(qs.values_list("pk", flat=True))
    assert Membership.objects.filter(pk__in=pks).update(role=Role.AUDITOR) == len(pks)
    events = AuditEvent.objects.filter(action="membership.updated", object_pk__in=[str(p) for p in pks])
    assert events.count() == len(pks)
    event = events.first()
    assert event.changes == {"role": [Role.STAFF.value, Role.AUDITOR.value]}
    assert event.additional_data == {"via": "queryset.update"}
    assert event.organization_id == world.org.pk


def test_related_manager_update_is_covered_too(world):
    before = AuditEvent.objects.filter(action="membership.updated").count()
    n = world.org.memberships.update(role=Role.STAFF) if hasattr(world.org, "memberships") else \
        Membership.objects.filter(organization=world.org).update(role=Role.STAFF)
    assert AuditEvent.objects.filter(action="membership.updated").count() - before <= n
    assert AuditEvent.objects.filter(action="membership.updated").count() > before


def test_bulk_create_and_bulk_update_leave_events(world):
    orgs = Organization.objects.bulk_create([
        Organization(legal_name="Bulk One, LLC", slug="bulk-one", tin="123456789", billing_states=["WA"]),
        Organization(legal_name="Bulk Two, LLC", slug="bulk-two", tin="223456789", billing_states=["WA"]),
    ])
    created = AuditEvent.objects.filter(action="organization.created", additional_data__via="bulk_create")
    assert created.count() == 2
    for org in orgs:
        org.practice_county = "Pierce"
    assert Organization.objects.bulk_update(orgs, ["practice_county"]) == 2
    updated = AuditEvent.objects.filter(action="organization.updated", additional_data__via="bulk_update")
    assert {e.object_pk for e in updated} == {str(o.pk) for o in orgs}
    assert all(e.changes["practice_county"][1] == "Pierce" for e in updated)


def test_queryset_delete_is_logged_per_row(world):
    pks = list(Membership.objects.filter(organization=world.other_org).values_list("pk", flat=True))
    Membership.objects.filter(pk__in=pks).delete()
    assert AuditEvent.objects.filter(action="membership.deleted",
                                     object_pk__in=[str(p) for p in pks]).count() == len(pks)


def test_bulk_events_roll_back_with_the_change(world):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        Membership.objects.filter(organization=world.org).update(role=Role.STAFF)
        raise RuntimeError("the service failed later")
    assert AuditEvent.objects.count() == before


def test_refuse_policy_blocks_bulk_writes(world):
    GOVERNED[Membership] = "refuse"
    try:
        with pytest.raises(GovernedBulkWriteRefused):
            Membership.objects.filter(organization=world.org).update(role=Role.STAFF)
        with pytest.raises(GovernedBulkWriteRefused):
            Membership.objects.bulk_update(list(Membership.objects.all()), ["role"])
        with pytest.raises(GovernedBulkWriteRefused):
            Membership.objects.bulk_create([Membership(organization=world.org, user=world.eve, role=Role.STAFF)])
    finally:
        GOVERNED[Membership] = "audit"
    assert not Membership.objects.filter(user=world.eve).exists()
