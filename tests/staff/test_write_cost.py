"""The cost of a roster write does not grow with the roster, and the audited diff holds fields only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.models import AuditEvent
from staff.models import StaffMember
from staff.services import staff_create, staff_with_email

pytestmark = pytest.mark.django_db


def _create(world, n):
    return staff_create(organization=world.org, acting_user=world.alice, full_name=f"Person {n}",
                        work_email=f"Person{n}@Cascade.example", job_role="coder")


def test_staff_create_costs_the_same_queries_whatever_the_roster_size(world):
    _create(world, 0)
    with CaptureQueriesContext(connection) as small:
        _create(world, 1)
    StaffMember.objects.bulk_create([
        StaffMember(organization=world.org, full_name=f"Filler {i}", work_email=f"f{i}@cascade.example",
                    job_role="coder") for i in range(300)])
    with CaptureQueriesContext(connection) as large:
        _create(world, 2)
    assert len(large) == len(small)
    # e-mail check, insert, diff event, business event (+ transaction statements)
    assert len([q for q in small.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) <= 6


def test_the_email_check_is_case_blind_and_refuses_a_duplicate(world):
    _create(world, 7)
    assert staff_with_email(world.org, " PERSON7@cascade.EXAMPLE ").get().full_name == "Person 7"
    with pytest.raises(Exception, match="already belongs to Person 7"):
        _create(world, 7)


@pytest.mark.postgres
def test_the_email_check_uses_the_unique_index(world):
    StaffMember.objects.bulk_create([
        StaffMember(organization=world.org, full_name=f"Filler {i}", work_email=f"f{i}@cascade.example",
                    job_role="coder") for i in range(500)])
    with connection.cursor() as cur:
        cur.execute("ANALYZE staff_staffmember")  # a practice of 500: the FK index alone would read them all
    plan = staff_with_email(world.org, "someone@cascade.example").explain()
    assert "uniq_staff_email_per_org" in plan, plan


def test_the_audited_diff_holds_the_concrete_fields_only(world):
    staff = _create(world, 3)
    # The field diff and the service's event share the canonical name (audits/actions.py); the diff is the one
    # that carries the row's own organization column.
    diff = next(e for e in AuditEvent.objects.filter(action="staff.created", object_pk=str(staff.pk))
                if "organization" in e.changes)
    assert diff.changes["full_name"] == [None, "Person 3"]
    assert diff.changes["work_email"] == [None, "person3@cascade.example"]
    assert diff.changes["organization"] == [None, world.org.pk]
    # reverse relations (reports, portal_accounts, ...) are not fields of the row: no junk, no queries
    assert not {"reports", "portal_accounts", "findings", "review_items"} & set(diff.changes)
    assert "updated_at" not in diff.changes  # excluded when StaffMember was governed
    staff.full_name = "Person Three"
    staff.save()
    update = AuditEvent.objects.get(action="staff.updated", object_pk=str(staff.pk))
    assert update.changes == {"full_name": ["Person 3", "Person Three"]}
