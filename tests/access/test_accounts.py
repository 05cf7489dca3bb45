"""Portal accounts: one person one credential (invariant 1), lifecycle, generic names,
passwords never stored (invariant 6)."""

import pytest
from django.core.exceptions import ValidationError

from access.lifecycle import TRANSITIONS, InvalidTransition
from access.models import AccountStatus, OrganizationCredential, PortalAccount
from access.policy_services import credential_create
from access.services import portal_account_create, portal_account_transition, portal_account_update
from audits.models import AuditEvent
from findings.models import Finding
from findings.services import finding_silence
from staff.models import JobRole
from staff.services import staff_terminate

from ..staff.factories import make_enrollment, make_staff


@pytest.fixture
def desk(world):
    admin = make_staff(world.org, "Maria Admin", job_role=JobRole.PRACTICE_MANAGER)
    enrollment = make_enrollment(world.org, admin=admin)
    jane = make_staff(world.org, "Jane Doe")
    john = make_staff(world.org, "John Roe")
    return enrollment, jane, john


def _active(staff, enrollment, uid, user, **kw):
    return portal_account_create(staff_member=staff, enrollment=enrollment, acting_user=user, portal_user_id=uid,
                                 status=AccountStatus.ACTIVE, functions=["eligibility_benefits"], **kw)


def test_a_user_id_held_by_someone_else_is_refused_naming_the_holder(world, desk):
    enrollment, jane, john = desk
    _active(jane, enrollment, "jdoe01", world.alice)
    with pytest.raises(ValidationError, match="already held by Jane Doe"):
        _active(john, enrollment, "JDOE01", world.alice)
    assert PortalAccount.objects.filter(staff_member=john).count() == 0


def test_the_same_user_id_on_another_portal_is_fine(world, desk):
    enrollment, jane, john = desk
    _active(jane, enrollment, "jdoe01", world.alice)
    other = make_enrollment(world.org, admin=enrollment.administrators.first().staff_member)
    _active(john, other, "jdoe01", world.alice)


def test_imported_clashes_become_a_shared_credential_finding_that_cannot_be_silenced(world, desk):
    enrollment, jane, john = desk
    _active(jane, enrollment, "frontjd", world.alice)
    portal_account_create(staff_member=john, enrollment=enrollment, acting_user=world.alice, portal_user_id="FrontJD",
                          status=AccountStatus.ACTIVE, source=PortalAccount.Source.IMPORT)
    finding = Finding.objects.get(organization=world.org, rule="shared_credential", resolved_at__isnull=True)
    assert finding.severity == "critical"
    assert "Jane Doe" in finding.title and "John Roe" in finding.title
    with pytest.raises(ValidationError, match="cannot be silenced"):
        finding_silence(finding=finding, acting_user=world.alice, reason="they sit at the same desk anyway")
    finding.refresh_from_db()
    assert finding.silenced_at is None


def test_one_account_id_recorded_twice_is_a_finding(world, desk):
    enrollment, jane, _ = desk
    for _ in range(2):
        portal_account_create(staff_member=jane, enrollment=enrollment, acting_user=world.alice,
                              portal_user_id="jdoe01", status=AccountStatus.ACTIVE, source=PortalAccount.Source.IMPORT)
    finding = Finding.objects.get(organization=world.org, rule="shared_credential", resolved_at__isnull=True)
    assert "recorded 2 times for Jane Doe" in finding.title


def test_the_shared_credential_finding_resolves_when_one_holder_is_deactivated(world, desk):
    enrollment, jane, john = desk
    _active(jane, enrollment, "kpatel7", world.alice)
    clash = portal_account_create(staff_member=john, enrollment=enrollment, acting_user=world.alice,
                                  portal_user_id="kpatel7", status=AccountStatus.ACTIVE,
                                  source=PortalAccount.Source.IMPORT)
    portal_account_transition(account=clash, to_status="deactivation_pending", acting_user=world.alice)
    assert Finding.objects.filter(rule="shared_credential", resolved_at__isnull=True).exists()
    portal_account_transition(account=clash, to_status="deactivated", acting_user=world.alice)
    finding = Finding.objects.get(rule="shared_credential")
    assert finding.resolved_at is not None


@pytest.mark.parametrize("name", ["Front Desk", "billing", "FRONT_DESK_2", "Billing Office", "reception1"])
def test_generic_account_names_are_refused(world, desk, name):
    enrollment, jane, _ = desk
    with pytest.raises(ValidationError, match="generic account name"):
        _active(jane, enrollment, name, world.alice)


def test_imported_generic_names_become_findings(world, desk):
    enrollment, jane, _ = desk
    portal_account_create(staff_member=jane, enrollment=enrollment, acting_user=world.alice, portal_user_id="Billing",
                          status=AccountStatus.ACTIVE, source=PortalAccount.Source.IMPORT)
    assert Finding.objects.filter(rule="generic_account_name", resolved_at__isnull=True).count() == 1


def test_allowed_transitions_only_with_a_clear_error(world, desk):
    enrollment, jane, _ = desk
    account = portal_account_create(staff_member=jane, enrollment=enrollment, acting_user=world.alice,
                                    functions=["eligibility_benefits"])
    with pytest.raises(InvalidTransition, match="A requested account cannot become suspended"):
        portal_account_transition(account=account, to_status="suspended", acting_user=world.alice)
    with pytest.raises(ValidationError, match="portal user ID"):
        portal_account_transition(account=account, to_status="active", acting_user=world.alice)
    account.refresh_from_db()
    assert account.status == "requested"
    portal_account_update(account=account, acting_user=world.alice, portal_user_id="jdoe01")
    for status in ["active", "suspended", "active", "deactivation_pending", "deactivated"]:
        portal_account_transition(account=account, to_status=status, acting_user=world.alice)
    with pytest.raises(InvalidTransition, match="nothing \\(it is final\\)"):
        portal_account_transition(account=account, to_status="active", acting_user=world.alice)
    events = AuditEvent.objects.filter(action="portal_account.status_changed", object_id=str(account.pk))
    assert events.count() == 5


def test_the_lifecycle_table_is_the_one_place_for_transitions():
    assert TRANSITIONS["requested"] == {"active", "deactivated"}
    assert TRANSITIONS["deactivated"] == frozenset()


# --- invariant 6: portal passwords are never stored ---------------------------------------------

def test_no_model_has_a_field_that_could_hold_a_portal_password():
    for model in (PortalAccount, OrganizationCredential):
        names = {f.name for f in model._meta.get_fields()}
        assert not {n for n in names if "password" in n} - {"password_reference", "password_last_changed"}


@pytest.mark.parametrize("value", ["Hunter2!", "s3cr3t-P@ss", "correct horse battery staple"])
def test_a_password_typed_as_the_reference_is_refused(world, desk, value):
    enrollment, jane, _ = desk
    with pytest.raises(ValidationError, match="never the password itself"):
        _active(jane, enrollment, "jdoe01", world.alice, password_reference=value)
    assert not PortalAccount.objects.exists()
    assert not AuditEvent.objects.filter(changes__icontains=value).exists()


@pytest.mark.parametrize("value", ["op://Billing/Availity - J. Doe", "Bitwarden: Availity - Jane Doe",
                                   "keeper://record/8f2a"])
def test_a_password_manager_reference_is_accepted(world, desk, value):
    enrollment, jane, _ = desk
    account = _active(jane, enrollment, "jdoe01", world.alice, password_reference=value)
    assert account.password_reference == value


# --- organization credentials: outside the one-person rule, rotated when a custodian leaves -------

def test_organization_credentials_are_kept_out_of_the_one_person_rule_and_rotated_when_a_custodian_leaves(
        world, desk):
    enrollment, jane, john = desk
    cred = credential_create(organization=world.org, acting_user=world.alice, kind="clearinghouse_sftp",
                             label="Clearinghouse SFTP", login_id="cascade-sftp", custodians=[jane, john],
                             password_reference="op://Ops/Clearinghouse SFTP")
    assert not Finding.objects.filter(resolved_at__isnull=True).exclude(rule="enrollment_without_administrator")
    staff_terminate(staff=john, acting_user=world.alice)
    cred.refresh_from_db()
    assert cred.rotation_required and "John Roe" in cred.rotation_reason
    assert Finding.objects.filter(rule="credential_rotation_due", credential=cred, resolved_at__isnull=True).exists()


def test_an_organization_credential_needs_a_custodian(world):
    with pytest.raises(ValidationError, match="custodian"):
        credential_create(organization=world.org, acting_user=world.alice, kind="submitter", label="Submitter",
                          login_id="SUB123", custodians=[])


def test_governed_models_leave_field_diffs_in_the_audit_log(world, desk):
    enrollment, jane, _ = desk
    account = _active(jane, enrollment, "jdoe01", world.alice)
    portal_account_transition(account=account, to_status="suspended", acting_user=world.alice)
    diffs = AuditEvent.objects.filter(action="portal_account.updated", object_pk=str(account.pk))
    assert diffs.exists()
