"""Audit events about a login that happen outside any organization's pages (password reset)."""

from django.contrib.auth import get_user_model

from audits.services import record_event
from core.context import Actor, current_actor


def _organization_of(user):
    if user is None:
        return None
    if user.last_organization_id:
        return user.last_organization_id
    return user.memberships.order_by("pk").values_list("organization_id", flat=True).first()


def password_reset_requested(email: str) -> None:
    """Who asked (anonymous, from the request's address) for which e-mail. The page's answer does not
    change; the event sits in the organization of the login, or deployment-wide when there is none."""
    email = (email or "").strip().lower()
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    record_event(
        "password_reset.requested", actor=current_actor() or Actor(kind="anonymous", label="anonymous"),
        organization=_organization_of(user), target=user, object_type="accounts.user", object_label=email,
    )


def password_reset_completed(user, *, first_password: bool) -> None:
    """The link from the e-mail was used and a new password set (an invited login's first password too)."""
    record_event("password_reset.completed", actor=user, organization=_organization_of(user), target=user,
                 changes={"first_password": first_password})
