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


def test_the_schema_documents_the_bearer_credential(db, client):
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
