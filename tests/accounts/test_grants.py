"""A role's guardian grants on its organization are exactly ROLE_PERMISSIONS[role], through every change of
role and a revocation, and nothing leaks to another organization (the grants are written in bulk)."""

from guardian.models import UserObjectPermission
from guardian.shortcuts import get_perms

from accounts.models import Membership, Role, User
from accounts.roles import ROLE_PERMISSIONS
from accounts.services import membership_grant, membership_revoke


def _perms(user, org):
    return {f"accounts.{p}" for p in get_perms(User.objects.get(pk=user.pk), org)}


def test_grants_follow_every_role_change_and_revocation(world):
    user = world.eve
    membership_grant(organization=world.other_org, user=user, role=Role.AUDITOR)
    for role in (Role.ADMINISTRATOR, Role.STAFF, Role.BILLING_MANAGER, Role.AUDITOR, Role.ADMINISTRATOR):
        membership_grant(organization=world.org, user=user, role=role)
        assert _perms(user, world.org) == ROLE_PERMISSIONS[role], role
        membership_grant(organization=world.org, user=user, role=role)  # the same role again changes nothing
        assert _perms(user, world.org) == ROLE_PERMISSIONS[role], role
        assert _perms(user, world.other_org) == ROLE_PERMISSIONS[Role.AUDITOR]
    membership_revoke(membership=Membership.objects.get(organization=world.org, user=user))
    assert _perms(user, world.org) == set()
    assert not UserObjectPermission.objects.filter(user=user, object_pk=str(world.org.pk)).exists()
    assert _perms(user, world.other_org) == ROLE_PERMISSIONS[Role.AUDITOR]
