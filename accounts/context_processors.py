from .models import Membership


def tenancy(request):
    """The current organization, the user's permissions there, and the organizations to switch to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_organization": getattr(request, "organization", None),
        "org_perms": getattr(request, "org_perms", frozenset()),
        "my_memberships": Membership.objects.filter(user=user).select_related("organization"),
    }
