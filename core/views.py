import logging

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import roles
from accounts.tenancy import org_view

from .dashboard import DashboardFacts, dashboard_cards, dashboard_trends, my_access, needs_you_now

log = logging.getLogger(__name__)


@org_view(roles.VIEW_ORGANIZATION)
def dashboard(request):
    org, perms = request.organization, request.org_perms
    facts = DashboardFacts(org, request.user)  # read once, shown by both "needs you now" and the cards
    context = {
        "needs": needs_you_now(organization=org, user=request.user, perms=perms, facts=facts),
        "cards": dashboard_cards(request, facts=facts),
        # Without the practice-wide pages, the dashboard is about the person's own access.
        "personal": roles.VIEW_PORTAL_ACCOUNTS not in perms,
        "trends": dashboard_trends(org, perms),
    }
    if context["personal"]:
        context.update(my_access(organization=org, user=request.user))
    return render(request, "core/dashboard.html", context)


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, connection.vendor
    except Exception as exc:  # any driver error means "down"
        log.warning("healthz: database check failed: %s", exc)
        return False, type(exc).__name__


def _broker_ok() -> tuple[bool, str]:
    from portalgov.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2, interval_start=0, interval_step=0)
            return True, conn.transport_cls if isinstance(conn.transport_cls, str) else conn.transport.driver_type
    except Exception as exc:
        log.warning("healthz: broker check failed: %s", exc)
        return False, type(exc).__name__


@never_cache
@require_GET
def healthz(request):
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    healthy = db_ok and broker_ok
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
    }
    return JsonResponse(body, status=200 if healthy else 503)


def _who_can(request) -> list:
    """The practice's administrators, for a member refused a step there: the page says who can take it.
    Never shown to someone with no role in that practice (it would name its people)."""
    from accounts.models import Membership, Role

    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("org_slug") if match else None
    user = getattr(request, "user", None)
    if not slug or user is None or not user.is_authenticated or getattr(user, "is_api_credential", False):
        return []
    if not Membership.objects.filter(organization__slug=slug, user=user).exists():
        return []
    return list(Membership.objects.filter(organization__slug=slug, role=Role.ADMINISTRATOR, user__is_active=True)
                .exclude(user=user).select_related("user").order_by("user__full_name")[:5])


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else "You do not have access to this page."
    return render(request, "403.html", {"reason": reason, "who_can": _who_can(request)}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without a request context: the failing request may be what broke.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)
