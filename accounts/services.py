"""State changes for organizations and memberships; each writes its audit event in the same transaction."""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from guardian.models import UserObjectPermission

from audits.services import record_event

from .models import Invitation, Membership, Organization, Role
from .roles import ALL_ORGANIZATION_PERMISSIONS, ROLE_PERMISSIONS


def _grants(membership: Membership):
    """The user's guardian grants on the membership's organization (a queryset), and the content type."""
    ct = ContentType.objects.get_for_model(Organization)  # cached after the first call
    return UserObjectPermission.objects.filter(user_id=membership.user_id, content_type=ct,
                                               object_pk=str(membership.organization_id)), ct


def _codenames(perms) -> set[str]:
    return {p.split(".", 1)[1] for p in perms}  # "accounts.view_staff" -> "view_staff"


def _sync_grants(membership: Membership) -> None:
    """Make the user's guardian grants on the organization exactly those of the role.

    What guardian's remove_perm/assign_perm per permission did (about 30 queries a grant), in three: one DELETE
    of the organization permissions the role lacks, one read of those it has, one INSERT of the missing ones.
    """
    wanted = _codenames(ROLE_PERMISSIONS[membership.role])
    grants, ct = _grants(membership)
    grants.filter(permission__codename__in=_codenames(ALL_ORGANIZATION_PERMISSIONS) - wanted).delete()
    have = set(grants.values_list("permission__codename", flat=True))
    missing = Permission.objects.filter(content_type=ct, codename__in=wanted - have)
    UserObjectPermission.objects.bulk_create([
        UserObjectPermission(user_id=membership.user_id, permission=perm, content_type=ct,
                             object_pk=str(membership.organization_id)) for perm in missing])


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
    grants, _ = _grants(membership)
    grants.filter(permission__codename__in=_codenames(ALL_ORGANIZATION_PERMISSIONS)).delete()
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


INVITATION_LIFETIME_DAYS = 14


class InvitationClosed(Exception):
    """The invitation was answered, withdrawn or has expired."""


def member_invite(*, organization: Organization, email: str, full_name: str, role: str,
                  acting_user) -> tuple[Membership | None, Invitation | None]:
    """Offer the person with this e-mail a role here. -> (membership, None) or (None, invitation).

    Someone who already has a role here gets the new role at once: their login is already this
    organization's to manage. Anyone else gets an invitation they accept or decline; the role
    starts only then, so nobody can take over another practice's login (and with it the right to
    unlock it or reset its second factor). Whether the e-mail already has a PortalGov login changes
    nothing the administrator sees: the same invitation, the same message, the same audit event.
    A new login is created without a usable password; its e-mail carries a link to set one.
    """
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    User = get_user_model()
    role = Role(role)
    email = email.strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and Membership.objects.filter(organization=organization, user=user).exists():
            return membership_grant(organization=organization, user=user, role=role, acting_user=acting_user), None
        if not full_name.strip():
            raise ValidationError({"full_name": "Give the person's full name."})
        if user is None:
            user = User.objects.create_user(email=email, password=None, full_name=full_name.strip())
        now = timezone.now()
        invitation = Invitation.objects.select_for_update().filter(
            organization=organization, user=user, answered_at__isnull=True).first()
        if invitation is None:
            invitation = Invitation(organization=organization, user=user)
        invitation.role = role
        invitation.invited_by = acting_user if getattr(acting_user, "pk", None) else None
        invitation.created_at = now
        invitation.expires_at = now + dt.timedelta(days=INVITATION_LIFETIME_DAYS)
        invitation.save()
        record_event("login.invited", actor=acting_user, organization=organization, target=invitation,
                     object_label=email, changes={"role": [None, role.value],
                                                  "expires_at": invitation.expires_at.isoformat()})
        transaction.on_commit(lambda: _send_invitation(invitation))
    return None, invitation


def _send_invitation(invitation: Invitation) -> None:
    from django.conf import settings
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user, organization = invitation.user, invitation.organization
    answer = f"{settings.SITE_URL}{reverse('invitation', args=[invitation.pk])}"
    steps = f"Sign in to PortalGov and accept or decline it here:\n{answer}\n"
    if not user.has_usable_password():
        path = reverse("password_reset_confirm", kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
        steps = (f"First choose your password here (the link works once and expires):\n{settings.SITE_URL}{path}\n\n"
                 f"Then accept or decline the invitation here:\n{answer}\n")
    inviter = getattr(invitation.invited_by, "full_name", "") or "Your practice administrator"
    send_mail(
        subject=f"PortalGov: {organization.legal_name} invites you",
        message=(f"{inviter} invites you to the role {invitation.get_role_display().lower()} in PortalGov for "
                 f"{organization.legal_name}. The role starts only if you accept; the invitation expires on "
                 f"{invitation.expires_at:%Y-%m-%d}.\n\n{steps}"),
        from_email=None, recipient_list=[user.email],
    )


@transaction.atomic
def invitation_answer(*, invitation: Invitation, user, accept: bool) -> Membership | None:
    """The invited person accepts (the role starts) or declines. Only they can: the caller checks."""
    from django.utils import timezone

    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("organization", "invited_by").get(
        pk=invitation.pk, user=user)
    if not invitation.is_open:
        raise InvitationClosed("This invitation was already answered, withdrawn or has expired.")
    invitation.answered_at = timezone.now()
    invitation.accepted = accept
    invitation.save(update_fields=["answered_at", "accepted"])
    membership = None
    if accept:
        membership = membership_grant(organization=invitation.organization, user=user, role=invitation.role,
                                      acting_user=user)
    record_event(
        "invitation.accepted" if accept else "invitation.declined", actor=user,
        organization=invitation.organization, target=invitation, object_label=user.email,
        changes={"role": [None, invitation.role] if accept else [None, None],
                 "invited_by": getattr(invitation.invited_by, "email", "")},
    )
    return membership


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, acting_user) -> None:
    from django.utils import timezone

    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.answered_at is not None:
        raise InvitationClosed("This invitation was already answered.")
    invitation.answered_at = timezone.now()
    invitation.accepted = False
    invitation.save(update_fields=["answered_at", "accepted"])
    record_event("invitation.withdrawn", actor=acting_user, organization=invitation.organization_id,
                 target=invitation, object_label=invitation.user.email)
