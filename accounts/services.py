"""State changes for organizations and memberships; each writes its audit event in the same transaction."""

from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from audits.services import record_event

from .models import Membership, Organization, Role
from .roles import ALL_ORGANIZATION_PERMISSIONS, ROLE_PERMISSIONS


def _sync_grants(membership: Membership) -> None:
    """Make the user's guardian grants on the organization exactly those of the role."""
    wanted = ROLE_PERMISSIONS[membership.role]
    for perm in ALL_ORGANIZATION_PERMISSIONS - wanted:
        remove_perm(perm, membership.user, membership.organization)
    for perm in wanted:
        assign_perm(perm, membership.user, membership.organization)


@transaction.atomic
def membership_grant(*, organization: Organization, user, role: str, acting_user=None) -> Membership:
    """Give `user` the app role `role` in `organization` (replacing any role they had there)."""
    role = Role(role)
    membership = Membership.objects.filter(organization=organization, user=user).first()
    before = membership.role if membership else None
    if membership is None:
        membership = Membership.objects.create(organization=organization, user=user, role=role)
    elif membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    _sync_grants(membership)
    if before != role:
        record_event(
            "membership.granted" if before is None else "membership.role_changed",
            actor=acting_user,
            organization=organization,
            target=membership,
            changes={"role": [before, role.value]},
        )
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership, acting_user=None) -> None:
    for perm in ALL_ORGANIZATION_PERMISSIONS:
        remove_perm(perm, membership.user, membership.organization)
    record_event(
        "membership.revoked",
        actor=acting_user,
        organization=membership.organization,
        target=membership,
        changes={"role": [membership.role, None]},
    )
    membership.delete()


@transaction.atomic
def organization_update(*, organization: Organization, acting_user, **fields) -> Organization:
    changes = {}
    for name, value in fields.items():
        old = getattr(organization, name)
        if old != value:
            changes[name] = [old, value]
            setattr(organization, name, value)
    organization.full_clean()
    if changes:
        organization.save()
        record_event(
            "organization.updated", actor=acting_user, organization=organization,
            target=organization, changes=changes,
        )
    return organization


def login_managed_by_organization(*, user, acting_user, organization) -> None:
    """Refuse an organization's administrator a change to a login that other organizations share.

    A login can belong to several practices; resetting its second factor or clearing its lock-out
    affects all of them, so only the person, or a platform operator, may do that.
    """
    from django.core.exceptions import PermissionDenied

    if acting_user is None or getattr(acting_user, "pk", None) == user.pk or getattr(acting_user, "is_staff", False):
        return
    if Membership.objects.filter(user=user).exclude(organization=organization).exists():
        raise PermissionDenied(
            f"{user} also signs in to other organizations; ask a platform operator to do this."
        )
