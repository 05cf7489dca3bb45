"""Documents the bearer scheme in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiCredentialScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.ApiCredentialAuthentication"
    name = "apiCredential"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organization's API credential (Integrations page): `Authorization: Bearer pgv_...`. "
                           "It carries only the permissions chosen for it, in its own organization.",
        }
