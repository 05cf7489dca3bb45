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


def login_invite_or_grant(*, organization: Organization, email: str, full_name: str, role: str,
                          acting_user) -> tuple[Membership, bool]:
    """Give the person with this e-mail a role here; without a PortalGov login yet, invite them.

    An invitation creates a login with no usable password and e-mails a one-time link to set one
    (Django's password-reset token: it expires and dies once a password is set). -> (membership, invited)
    """
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.tokens import default_token_generator
    from django.core.exceptions import ValidationError
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    User = get_user_model()
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            return membership_grant(organization=organization, user=user, role=role, acting_user=acting_user), False
        if not full_name.strip():
            raise ValidationError({"full_name": "Give the person's full name: they have no PortalGov login yet."})
        user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
        membership = membership_grant(organization=organization, user=user, role=role, acting_user=acting_user)
        record_event("login.invited", actor=acting_user, organization=organization, target=user,
                     changes={"role": [None, Role(role).value]})
        path = reverse("password_reset_confirm", kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
        link = f"{settings.SITE_URL}{path}"
        inviter = getattr(acting_user, "full_name", "") or "Your practice administrator"
        transaction.on_commit(lambda: send_mail(
            subject=f"PortalGov: {organization.legal_name} invites you",
            message=(f"{inviter} gave you the role {Role(role).label.lower()} in PortalGov for "
                     f"{organization.legal_name}.\n\nChoose your password here (the link works once and expires):\n"
                     f"{link}\n"),
            from_email=None, recipient_list=[user.email],
        ))
    return membership, True
