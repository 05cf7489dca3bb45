from .models import Membership
from .tenancy import request_memberships


def tenancy(request):
    """The current organization, the user's permissions there, and the organizations to switch to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # On a practice's page resolve_organization already read them (one query for both); elsewhere a lazy
    # query, run only if the page shows the switcher.
    memberships = request_memberships(request)
    if memberships is None:
        memberships = Membership.objects.filter(user=user).select_related("organization")
    return {
        "current_organization": getattr(request, "organization", None),
        "org_perms": getattr(request, "org_perms", frozenset()),
        "my_memberships": memberships,
    }
