"""The OpenAPI schema generates, validates and warns about nothing, and documents the bearer scheme."""

import pytest
from django.core.management import call_command

INTEGRATION_PATHS = [
    "/api/v1/o/{org_slug}/staff/", "/api/v1/o/{org_slug}/staff/upsert/", "/api/v1/o/{org_slug}/staff/{staff_id}/",
    "/api/v1/o/{org_slug}/staff/{staff_id}/terminate/", "/api/v1/o/{org_slug}/portal-accounts/",
    "/api/v1/o/{org_slug}/portal-accounts/{account_id}/", "/api/v1/o/{org_slug}/findings/",
    "/api/v1/o/{org_slug}/audit-events/",
]


def test_the_schema_validates_without_warnings(db, tmp_path):
    # --fail-on-warn turns any drf-spectacular warning (an untyped field, an unknown path parameter) into an error.
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in INTEGRATION_PATHS:
        assert f"  {path}:" in text, path


def test_the_schema_documents_the_bearer_credential(world, client):
    client.force_login(world.carol)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    scheme = schema["components"]["securitySchemes"]["apiCredential"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for path in INTEGRATION_PATHS:
        operations = [op for method, op in schema["paths"][path].items() if method in ("get", "post")]
        assert operations and all({"apiCredential": []} in op["security"] for op in operations), path
    assert "password_reference" not in repr(schema["components"]["schemas"]["PortalAccount"])


@pytest.mark.parametrize("path", INTEGRATION_PATHS)
def test_every_integration_path_is_in_the_permission_matrix(path):
    from tests.security.test_permission_matrix import _route_for_schema_path

    route = _route_for_schema_path(path)
    assert route is not None and route.required_permission()


def test_schema_and_docs_need_a_person_or_a_credential(world, client, make_credential):
    anonymous = client.get("/api/schema/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/docs/").status_code == 302  # a person is sent to sign in
    for bad in ("Bearer pgv_nope_nope", "Bearer", "Bearer a b"):
        response = client.get("/api/schema/", HTTP_AUTHORIZATION=bad)
        assert response.status_code == 401, bad
        assert client.get("/api/docs/", HTTP_AUTHORIZATION=bad).status_code == 401, bad
    _, token = make_credential(name="docs reader")
    assert client.get("/api/schema/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    client.force_login(world.dave)
    assert client.get("/api/docs/").status_code == 200


def test_every_operation_documents_its_errors_with_one_shape(world, client):
    client.force_login(world.carol)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"detail", "code"}
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            for code in ("400", "401", "403", "404", "429"):
                assert code in op["responses"], (method, path, code)
            assert "Retry-After" in op["responses"]["429"]["headers"]
    staff = schema["components"]["schemas"]["StaffMember"]["properties"]
    assert staff["manager_email"]["nullable"] is True
    limit = next(p for p in schema["paths"]["/api/v1/o/{org_slug}/staff/"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["minimum"] == 1 and limit["schema"]["maximum"] == 200
    assert not any(p.startswith("/scim/") for p in schema["paths"])
