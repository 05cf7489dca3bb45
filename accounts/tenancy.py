"""The one helper every view and API call uses to find the current organization and check the role.

Unknown organization -> 404. A login with no role there -> 403 (so the existence of an
organization the person belongs to is never hidden from them, and nothing else leaks). A role
that lacks the permission -> 403.
"""

import zoneinfo
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.shortcuts import get_object_or_404
from django.utils import timezone
from guardian.core import ObjectPermissionChecker
from rest_framework.permissions import BasePermission

from .models import Membership, Organization
from .roles import ROLE_PERMISSIONS, VIEW_ORGANIZATION


def resolve_organization(request, slug: str, perm: str | tuple[str, ...] = VIEW_ORGANIZATION) -> Organization:
    """Return the organization named by `slug` if request.user holds `perm` on it (a tuple: any of them).

    Sets request.organization, request.membership and request.org_perms (the set of
    permissions the user holds there, for navigation and templates).
    """
    user = request.user
    if not user.is_authenticated:
        get_object_or_404(Organization, slug=slug)  # unknown organization: 404 before anything else
        raise PermissionDenied("Sign in first.")
    if getattr(user, "is_api_credential", False):
        return _resolve_for_credential(request, get_object_or_404(Organization, slug=slug), user, perm)
    # One query on every page: the person's memberships with their organizations, which the page's practice
    # switcher lists too (accounts.context_processors reads them from the request: no second query). The
    # organization alone is read only when there is no membership, to tell 404 from 403.
    memberships = user_memberships(request)
    membership = next((m for m in memberships if m.organization.slug == slug), None)
    if membership is None:
        get_object_or_404(Organization, slug=slug)
        raise PermissionDenied("You have no role in this organization.")
    organization = membership.organization
    if not user.is_active:
        raise PermissionDenied("You have no role in this organization.")
    granted = _role_permissions(user, membership, organization)
    wanted = (perm,) if isinstance(perm, str) else tuple(perm)
    if not granted.intersection(wanted):
        raise PermissionDenied("Your role in this organization does not allow this.")
    request.organization = organization
    request.membership = membership
    request.org_perms = frozenset(granted)
    if user.last_organization_id != organization.pk:
        user.last_organization = organization
        user.save(update_fields=["last_organization"])
    return organization


MEMBERSHIPS_ATTR = "_portalgov_memberships"
_generation = [0]  # bumped whenever this process saves or deletes a membership or an organization


@receiver([post_save, post_delete], sender=Membership, dispatch_uid="tenancy_memberships_changed")
@receiver([post_save, post_delete], sender=Organization, dispatch_uid="tenancy_organizations_changed")
def _memberships_changed(**kwargs):
    _generation[0] += 1


def user_memberships(request) -> list:
    """The signed-in person's memberships with their organizations (by the organization's name), read once
    per request and kept on the request only: a role granted, changed or removed shows on the next request,
    and a view that changes one during this request makes the next reader (the page's switcher) read again."""
    cached = getattr(request, MEMBERSHIPS_ATTR, None)
    if cached is not None and cached[0] == _generation[0]:
        return cached[1]
    generation = _generation[0]
    memberships = list(Membership.objects.filter(user=request.user).select_related("organization"))
    setattr(request, MEMBERSHIPS_ATTR, (generation, memberships))
    return memberships


def request_memberships(request):
    """The list user_memberships read on this request if it is still current, else None."""
    cached = getattr(request, MEMBERSHIPS_ATTR, None)
    return cached[1] if cached is not None and cached[0] == _generation[0] else None


def _role_permissions(user, membership, organization) -> frozenset[str]:
    """What the membership's role allows (accounts.roles), read from the membership row this request
    already loaded, so a role change takes effect on the next request and no permission query runs.

    The guardian grants are written from the same table by accounts.services (_sync_grants) and are
    kept for the admin; asking guardian here cost two queries and ~15 ms on every page. A platform
    superuser keeps guardian's answer (every permission of the model), as before.
    """
    if user.is_superuser:
        checker = ObjectPermissionChecker(user)
        return frozenset(f"accounts.{p}" for p in checker.get_perms(organization))
    return ROLE_PERMISSIONS.get(membership.role, frozenset())


def _resolve_for_credential(request, organization, principal, perm) -> Organization:
    """An integrations API credential (integrations.authentication.ApiPrincipal): it holds the
    permissions it was given, and only in its own organization."""
    granted = principal.permissions_in(organization)
    if not granted:
        raise PermissionDenied("This API credential belongs to another organization.")
    wanted = (perm,) if isinstance(perm, str) else tuple(perm)
    if not granted.intersection(wanted):
        raise PermissionDenied("This API credential does not carry the permission this needs.")
    request.organization = organization
    request.membership = None
    request.org_perms = granted
    return organization


def organization_zone(organization):
    try:
        return zoneinfo.ZoneInfo(organization.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def org_view(perm: str = VIEW_ORGANIZATION, *any_of: str):
    """Decorator for views under /o/<org_slug>/...: resolves the organization and checks `perm`.

    Several permissions mean "any one of them", e.g. org_view(RUN_ACCESS_REVIEWS, VIEW_AUDIT_LOG)
    for a page reviewers and auditors both read; required_permission is then that tuple.

    The permission is recorded on the view (view.required_permission) so the permission-matrix
    test can read every route's rule from the URL configuration.
    """

    rule = (perm, *any_of) if any_of else perm

    def decorator(view):
        @wraps(view)
        def wrapper(request, org_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            organization = resolve_organization(request, org_slug, rule)
            with timezone.override(organization_zone(organization)):  # the practice's clock on its pages
                return view(request, *args, **kwargs)

        wrapper.required_permission = rule
        return wrapper

    return decorator


class HasOrganizationPermission(BasePermission):
    """DRF: the view names `required_permission`; the URL carries org_slug."""

    def has_permission(self, request, view):
        slug = view.kwargs.get("org_slug")
        if slug is None:
            return request.user.is_authenticated
        resolve_organization(request, slug, getattr(view, "required_permission", VIEW_ORGANIZATION))
        return True
