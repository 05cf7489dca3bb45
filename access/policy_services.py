"""Policy edits, exceptions beyond policy, and organization-level credentials."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audits.services import record_event
from carriers.models import PortalFunction
from staff.models import JobRole, StaffMember

from .models import AccessException, AccessPolicy, OrganizationCredential, PortalAccount
from .policy import DEFAULT_POLICY, policy_for_organization
from .validators import validate_password_reference

MAX_EXCEPTION_DAYS = 365


def _user(acting_user):
    return acting_user if isinstance(acting_user, User) else None


def _reevaluate(organization) -> None:
    from findings.services import findings_evaluate_organization

    findings_evaluate_organization(organization=organization)


@transaction.atomic
def access_policy_set(*, organization, job_role: str, function_codes, acting_user) -> AccessPolicy | None:
    """Set the functions one job role may hold in this organization. Setting the shipped default
    back removes the override."""
    job_role = JobRole(job_role)
    codes = set(function_codes)
    fns = list(PortalFunction.objects.filter(code__in=codes))
    unknown = codes - {f.code for f in fns}
    if unknown:
        raise ValidationError(f"Unknown portal function(s): {', '.join(sorted(unknown))}.")
    before = sorted(policy_for_organization(organization).get(job_role, frozenset()))
    after = sorted(codes)
    if before == after:
        return AccessPolicy.objects.filter(organization=organization, job_role=job_role).first()
    row = None
    if codes == set(DEFAULT_POLICY.get(job_role, frozenset())):
        AccessPolicy.objects.filter(organization=organization, job_role=job_role).delete()
    else:
        row, _ = AccessPolicy.objects.update_or_create(organization=organization, job_role=job_role,
                                                       defaults={"updated_by": _user(acting_user)})
        row.functions.set(fns)
    record_event("access_policy.changed", actor=acting_user, organization=organization,
                 object_type="access.accesspolicy", object_id=job_role, object_label=job_role.label,
                 changes={"functions": [before, after]})
    _reevaluate(organization)
    return row


@transaction.atomic
def exception_request(*, account: PortalAccount, function, reason: str, expires_on: datetime.date,
                      acting_user) -> AccessException:
    """Ask to let this account hold a function beyond policy. Someone else must approve it."""
    if isinstance(function, str):
        function = PortalFunction.objects.filter(code=function).first()
        if function is None:
            raise ValidationError({"function": "Unknown portal function."})
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError({"reason": "Give the reason for the exception (at least a sentence)."})
    today = timezone.localdate()
    if expires_on <= today:
        raise ValidationError({"expires_on": "The expiry date must be in the future."})
    if expires_on > today + datetime.timedelta(days=MAX_EXCEPTION_DAYS):
        raise ValidationError({"expires_on": f"An exception lasts at most {MAX_EXCEPTION_DAYS} days."})
    exc = AccessException.objects.create(
        organization_id=account.organization_id, portal_account=account, function=function, reason=reason,
        requested_by=_user(acting_user), expires_on=expires_on,
    )
    record_event("access_exception.requested", actor=acting_user, organization=account.organization_id, target=exc,
                 changes={"function": [None, function.code], "expires_on": [None, expires_on.isoformat()]},
                 message=reason)
    return exc


@transaction.atomic
def exception_approve(*, exception: AccessException, acting_user) -> AccessException:
    exception = AccessException.objects.select_for_update().get(pk=exception.pk)
    approver = _user(acting_user)
    if approver is None:
        raise ValidationError("An exception is approved by a person.")
    if exception.requested_by_id == approver.pk:
        raise ValidationError("You asked for this exception; someone else must approve it.")
    if exception.approved_at or exception.revoked_at:
        raise ValidationError("This exception has already been decided.")
    if exception.expires_on < timezone.localdate():
        raise ValidationError("This exception has already expired.")
    exception.approved_by = approver
    exception.approved_at = timezone.now()
    exception.save(update_fields=["approved_by", "approved_at"])
    record_event("access_exception.approved", actor=acting_user, organization=exception.organization_id,
                 target=exception, changes={"approved_by": [None, approver.email]})
    _reevaluate(exception.portal_account.organization)
    return exception


@transaction.atomic
def exception_revoke(*, exception: AccessException, acting_user, reason: str = "") -> AccessException:
    if exception.revoked_at:
        return exception
    exception.revoked_at = timezone.now()
    exception.save(update_fields=["revoked_at"])
    record_event("access_exception.revoked", actor=acting_user, organization=exception.organization_id,
                 target=exception, message=reason)
    _reevaluate(exception.portal_account.organization)
    return exception


@transaction.atomic
def credential_create(*, organization, acting_user, kind: str, label: str, login_id: str,
                      password_reference: str = "", enrollment=None, custodians=()) -> OrganizationCredential:
    validate_password_reference(password_reference)
    custodians = list(custodians)
    if not custodians:
        raise ValidationError({"custodians": "Name at least one custodian of an organization credential."})
    if any(c.organization_id != organization.pk for c in custodians):
        raise ValidationError({"custodians": "Custodians must be on this practice's roster."})
    cred = OrganizationCredential.objects.create(
        organization=organization, kind=OrganizationCredential.Kind(kind), label=label.strip(),
        login_id=login_id.strip(), password_reference=password_reference, enrollment=enrollment,
        rotated_on=timezone.localdate(),
    )
    cred.custodians.set(custodians)
    record_event("organization_credential.created", actor=acting_user, organization=organization, target=cred,
                 changes={"login_id": [None, cred.login_id], "custodians": [None, [c.full_name for c in custodians]]})
    return cred


@transaction.atomic
def credential_require_rotation(*, credential: OrganizationCredential, acting_user, reason: str) -> OrganizationCredential:
    """Ask for a rotation for another reason than a custodian leaving (e.g. a review decision)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the credential must be rotated."})
    credential.rotation_required = True
    credential.rotation_reason = reason[:300]
    credential.save(update_fields=["rotation_required", "rotation_reason"])
    record_event("organization_credential.rotation_required", actor=acting_user,
                 organization=credential.organization_id, target=credential, message=credential.rotation_reason)
    _reevaluate(credential.organization)
    return credential


def credentials_flag_for_custodian(*, staff: StaffMember, acting_user) -> int:
    """A custodian left: every credential they knew must be rotated."""
    count = 0
    for cred in staff.custodied_credentials.filter(rotation_required=False):
        cred.rotation_required = True
        cred.rotation_reason = f"custodian {staff.full_name} left"
        cred.save(update_fields=["rotation_required", "rotation_reason"])
        record_event("organization_credential.rotation_required", actor=acting_user,
                     organization=cred.organization_id, target=cred, message=cred.rotation_reason)
        count += 1
    return count


@transaction.atomic
def credential_rotated(*, credential: OrganizationCredential, acting_user, custodians=None,
                       password_reference: str | None = None) -> OrganizationCredential:
    if password_reference is not None:
        validate_password_reference(password_reference)
        credential.password_reference = password_reference
    credential.rotated_on = timezone.localdate()
    credential.rotation_required = False
    credential.rotation_reason = ""
    credential.save()
    if custodians is not None:
        credential.custodians.set(custodians)
    record_event("organization_credential.rotated", actor=acting_user, organization=credential.organization_id,
                 target=credential)
    _reevaluate(credential.organization)
    return credential
