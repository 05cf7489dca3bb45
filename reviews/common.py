"""Small helpers shared by the reviews services: who is acting and what their role lets them do."""

from __future__ import annotations

from accounts.models import Membership, User
from accounts.roles import ROLE_PERMISSIONS
from core.context import Actor, current_actor


def as_user(acting_user) -> User | None:
    if isinstance(acting_user, User):
        return acting_user
    if isinstance(acting_user, Actor) and isinstance(acting_user.user, User):
        return acting_user.user
    return None


def actor_label(acting_user) -> str:
    user = as_user(acting_user)
    if user is not None:
        return user.full_name or user.email
    if isinstance(acting_user, Actor):
        return acting_user.label
    actor = current_actor()
    return actor.label if actor else "system"


def user_perms(user, organization) -> frozenset[str]:
    """The permissions a login holds in an organization, from its app role (one query)."""
    if user is None or not user.is_active:
        return frozenset()
    role = (Membership.objects.filter(user=user, organization=organization).values_list("role", flat=True).first())
    return ROLE_PERMISSIONS.get(role, frozenset())
