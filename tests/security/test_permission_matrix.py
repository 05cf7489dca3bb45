"""The permission matrix, generated from the URL configuration and the OpenAPI schema.

Every route is discovered (other apps' new routes too). A route under /o/<org_slug>/ must declare
its permission (accounts.tenancy.org_view or HasOrganizationPermission + required_permission);
every other route must be listed below with the reason it is open. Then each route is called as
each role: anonymous, staff, billing manager, auditor, administrator, administrator of another
organization, and a login with no role; the answer must match accounts.roles.ROLE_PERMISSIONS.

Routes with object ids: OBJECT_FACTORIES gives real objects for some; the others are called with
an id that does not exist, so denied roles must get 403 (the role check runs before any lookup)
and allowed roles must get anything but 401/403/500 (usually 404).
"""

import re

import pytest
from django.urls import reverse

from accounts.models import GroupNPI, Membership, Role
from accounts.roles import ALL_ORGANIZATION_PERMISSIONS, ROLE_PERMISSIONS
from tests.factories import make_npi

from .routes import all_routes

# Open to anyone, with the reason.
PUBLIC = {
    "login": "signing in",
    "logout": "signing out must always work",
    "password_reset": "forgotten password: asks for an e-mail, says nothing about whether it exists",
    "password_reset_done": "static confirmation page",
    "password_reset_confirm": "the link from the reset e-mail; guarded by its signed token",
    "password_reset_complete": "static confirmation page",
    "healthz": "load-balancer probe: database and broker up or down, no data",
    "api-not-found": "any other address under /api/: a 404 in the API's error shape, no data",
}
# Open to any signed-in login, whatever its roles: they concern only the person themself.
SIGNED_IN = {
    "home": "picks one of the caller's own organizations",
    "invitation": "an invitation addressed to the caller's own login; anyone else's answers 404",
    "password_change": "own password",
    "password_change_done": "own password",
    "mfa_enroll": "own second factor",
    "mfa_verify": "own second factor",
    "mfa_recovery": "own second factor",
    "account_security": "own second factor",
    "session_keepalive": "own session (idle warning)",
    "session_status": "own session (idle warning)",
    "api-organizations": "lists only the caller's own organizations",
    "practices_summary": "one row per organization the caller has a role in, none other",
    "api-schema": "OpenAPI description of the API: a signed-in person or a credential (401 otherwise)",
    "api-docs": "Swagger UI for the schema: a signed-in person or a credential",
    # SCIM: no session at all; a credential with the scim scope, in its own organization only (tests/scim).
    **{name: "SCIM for identity providers: a credential with the scim scope (401 without, 403 without the scope)"
       for name in ("scim-spc", "scim-schemas", "scim-schema", "scim-resource-types", "scim-resource-type",
                    "scim-users", "scim-user", "scim-groups", "scim-bulk", "scim-not-found")},
}

# Routes whose view, after the role check, also checks the person (e.g. "your own queue"): a role
# that has the permission may still get 403 there. Denied roles must still get 403. With the reason.
ALSO_CHECKS_THE_PERSON = {
    "tasks": "a login without a staff-roster record has no task queue unless it manages portal accounts",
}

ROLES = ["anonymous", "staff", "billing_manager", "auditor", "administrator", "other_org_administrator", "no_role"]


def _user(world, role):
    return {
        "staff": world.dave, "billing_manager": world.bob, "auditor": world.carol,
        "administrator": world.alice, "other_org_administrator": world.oscar, "no_role": world.eve,
    }.get(role)


def allowed(role, perm) -> bool:
    """perm: one permission, or a tuple meaning any one of them (org_view(a, b))."""
    if role in ("anonymous", "other_org_administrator", "no_role"):
        return False
    wanted = (perm,) if isinstance(perm, str) else tuple(perm)
    return bool(ROLE_PERMISSIONS[Role(role)].intersection(wanted))


def _npi(world):
    row = GroupNPI.objects.create(organization=world.org, npi=make_npi(4242))
    return {"kind": "npi", "pk": row.pk}


def _membership(world):
    return {"pk": Membership.objects.get(organization=world.org, user=world.dave).pk}


def _staff_member(world):  # integrations API routes (staff_id)
    from staff.models import StaffMember

    row = StaffMember.objects.create(organization=world.org, full_name="Matrix Person", job_role="coder",
                                     work_email="matrix.person@cascade.example")
    return {"staff_id": row.pk}


def _api_credential(world):
    from integrations.services import credential_create

    credential, _ = credential_create(organization=world.org, acting_user=world.alice, name="Matrix",
                                      permissions=["accounts.view_staff"])
    return {"pk": credential.pk}


def _training_module(world):
    from training.models import TrainingModule

    return {"pk": TrainingModule.objects.create(organization=world.org, title="Matrix module").pk}


# url name -> world -> the kwargs (besides org_slug) of a real object of world.org.
# Other apps: add your routes here to have them called with real objects as well.
OBJECT_FACTORIES = {
    "organization_identifier_remove": _npi,
    "member_remove": _membership,
    "security_member_unlock": _membership,
    "security_member_mfa_reset": _membership,
    "api-staff-detail": _staff_member,
    "api-staff-terminate": _staff_member,
    "integrations_credential_revoke": _api_credential,
    "training_module": _training_module,
    "training_module_edit": _training_module,
    "training_record": _training_module,
}

ROUTES = [r for r in all_routes() if not r.route.startswith("admin/")]
ORG_ROUTES = [r for r in ROUTES if r.is_org_route]


def test_the_url_configuration_was_discovered():
    names = {r.name for r in ROUTES}
    assert {"dashboard", "members", "login", "api-organization", "security_overview"} <= names
    assert len(ORG_ROUTES) >= 8


def test_every_route_has_a_rule():
    missing, unknown = [], []
    for route in ROUTES:
        if route.is_org_route:
            perm = route.required_permission()
            if perm is None:
                missing.append(route.label)
            elif not set((perm,) if isinstance(perm, str) else perm) <= ALL_ORGANIZATION_PERMISSIONS:
                unknown.append(f"{route.label}: {perm}")
        elif route.name not in PUBLIC and route.name not in SIGNED_IN:
            missing.append(route.label)
    assert missing == [], (
        "Routes without a permission rule: use @org_view(perm) / HasOrganizationPermission under "
        f"/o/<org_slug>/, or list an intentionally open route in PUBLIC/SIGNED_IN with the reason: {missing}"
    )
    assert unknown == [], f"Permissions that no role has (typo?): {unknown}"


def test_the_open_and_exception_lists_hold_no_stale_names():
    names = {r.name for r in ROUTES}
    for listed in (PUBLIC, SIGNED_IN, OBJECT_FACTORIES):
        assert set(listed) - names == set()


def _client(role, world, client, client_for):
    user = _user(world, role)
    return client if user is None else client_for(user)


def _call(client, url, *, api):
    response = client.get(url)
    method = "GET"
    if response.status_code == 405:  # a POST-only action: an empty POST must be refused the same way
        response = client.post(url, {})
        method = "POST"
    return method, response


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("route", ORG_ROUTES, ids=lambda r: r.label)
def test_the_matrix_for_every_organization_route(route, world, client, client_for):
    perm = route.required_permission()
    assert perm, f"{route.label} declares no permission"
    values = {"org_slug": world.org.slug}
    factory = OBJECT_FACTORIES.get(route.name)
    if factory is not None:
        values.update(factory(world))
    problems = []
    for role in ROLES:
        client.logout()
        method, response = _call(_client(role, world, client, client_for), route.url(values), api=route.is_api)
        status = response.status_code
        where = f"{method} {route.label} as {role}: {status}"
        if status >= 500:
            problems.append(f"{where} (server error)")
        elif role == "anonymous":
            if not (_is_login_redirect(response) or status in (401, 403)):
                problems.append(f"{where}, expected the sign-in page or 401/403")
        elif allowed(role, perm):
            if status == 403 and route.name in ALSO_CHECKS_THE_PERSON:
                continue
            if status in (401, 403) or _is_login_redirect(response):
                problems.append(f"{where}, expected access ({perm})")
            if factory is not None and status == 404:
                problems.append(f"{where}, expected the object of OBJECT_FACTORIES to be found")
        elif status != 403:
            problems.append(f"{where}, expected 403 (lacks {perm})")
    assert problems == []


@pytest.mark.parametrize("route", [r for r in ORG_ROUTES if r.name in OBJECT_FACTORIES], ids=lambda r: r.label)
def test_an_object_of_another_organization_is_404_through_ones_own_organization(route, world, client_for):
    values = {"org_slug": world.other_org.slug, **OBJECT_FACTORIES[route.name](world)}
    client = client_for(world.oscar)
    _, response = _call(client, route.url(values), api=route.is_api)
    assert response.status_code == 404


@pytest.mark.parametrize("route", ORG_ROUTES, ids=lambda r: r.label)
def test_an_unknown_organization_is_404_for_a_signed_in_user(route, world, client_for):
    values = {"org_slug": "no-such-practice"}
    _, response = _call(client_for(world.alice), route.url(values), api=route.is_api)
    assert response.status_code == 404, f"{route.label}: {response.status_code}"


@pytest.mark.parametrize("name", sorted(SIGNED_IN))
def test_signed_in_routes_refuse_anonymous_visitors(name, db, client):
    route = next(r for r in ROUTES if r.name == name)
    method, response = _call(client, route.url({}), api=route.is_api)
    assert _is_login_redirect(response) or response.status_code in (401, 403), f"{method} {name}: {response.status_code}"


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_routes_answer_anonymous_visitors(name, db, client):
    route = next(r for r in ROUTES if r.name == name)
    response = client.get(route.url({"uidb64": "MQ", "token": "set-password"}))
    assert response.status_code < 500 and not _is_login_redirect(response), f"{name}: {response.status_code}"


def test_the_django_admin_is_for_platform_operators_only(world, client, client_for):
    assert client.get("/admin/").status_code == 302
    response = client_for(world.alice).get("/admin/")  # an administrator of a practice is no operator
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- the API, from its OpenAPI schema --------------------------------------------------------
def _schema_operations():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method


def _route_for_schema_path(path):
    # "/api/v1/o/{org_slug}/" -> the route "api/v1/o/<slug:org_slug>/"
    for route in ROUTES:
        shape = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.route)
        if shape == path:
            return route
    return None


def test_every_api_operation_in_the_schema_has_a_rule(db):
    operations = list(_schema_operations())
    assert operations, "the schema lists no operation"
    problems = []
    for path, method in operations:
        route = _route_for_schema_path(path)
        if route is None:
            problems.append(f"{method.upper()} {path}: no URL route found")
        elif route.is_org_route and not route.required_permission():
            problems.append(f"{method.upper()} {path}: no HasOrganizationPermission/required_permission")
        elif not route.is_org_route and route.name not in PUBLIC and route.name not in SIGNED_IN:
            problems.append(f"{method.upper()} {path}: not under /o/<org_slug>/ and not listed as open")
    assert problems == []


ORG_API_OPERATIONS = [
    (path, method) for path, method in _schema_operations()
    if (r := _route_for_schema_path(path)) is not None and r.is_org_route
]


@pytest.mark.parametrize("path,method", ORG_API_OPERATIONS, ids=lambda v: str(v))
def test_every_api_operation_refuses_roles_without_the_permission(path, method, world, client, client_for):
    route = _route_for_schema_path(path)
    perm = route.required_permission()
    url = route.url({"org_slug": world.org.slug})
    for role in ROLES:
        client.logout()
        if allowed(role, perm):
            continue
        response = getattr(_client(role, world, client, client_for), method)(url, {}, content_type="application/json")
        assert response.status_code in (401, 403), f"{method.upper()} {path} as {role}: {response.status_code}"
