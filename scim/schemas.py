"""SCIM discovery (RFC 7644 4, RFC 7643 5-7): what PortalGov supports and the User schema it keeps."""

from .filters import CORE, ENTERPRISE

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"


def list_response(resources: list) -> dict:
    return {"schemas": [LIST], "totalResults": len(resources), "startIndex": 1, "itemsPerPage": len(resources),
            "Resources": resources}


def service_provider_config(base: str, max_results: int) -> dict:
    return {
        "schemas": [SPC],
        "documentationUri": "https://portalgov.example/docs/api#scim",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "API credential",
            "description": "The token of a PortalGov API credential with the scim scope: Authorization: Bearer pgv_...",
            "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base}/ServiceProviderConfig"},
    }


def _attr(name, type_="string", *, required=False, mutability="readWrite", returned="default", uniqueness="none",
          multi=False, sub=None, description="", case_exact=False):
    out = {"name": name, "type": type_, "multiValued": multi, "description": description, "required": required,
           "mutability": mutability, "returned": returned, "uniqueness": uniqueness}
    if type_ == "string":
        out["caseExact"] = case_exact
    if sub:
        out["subAttributes"] = sub
    return out


def _user_attributes():
    return [
        _attr("userName", required=True, uniqueness="server", description="The person's work e-mail."),
        _attr("externalId", case_exact=True, description="The identity provider's id of the person."),
        _attr("name", "complex", sub=[_attr("formatted"), _attr("givenName"), _attr("familyName")]),
        _attr("displayName", description="The name on the roster."),
        _attr("active", "boolean", description="false records a leaver: portal accounts flagged and the leaver's "
                                               "checklist opened with its deadline (one hour by default)."),
        _attr("title", description="Job title, mapped to a PortalGov job role per practice."),
        _attr("emails", "complex", multi=True, sub=[_attr("value"), _attr("type"), _attr("primary", "boolean")],
              description="The work e-mail (the same as userName)."),
    ]


def _enterprise_attributes():
    return [
        _attr("employeeNumber"),
        _attr("department"),
        _attr("manager", "complex", sub=[_attr("value", description="The manager's User id."),
                                         _attr("$ref", "reference", mutability="readOnly"),
                                         _attr("displayName", mutability="readOnly")]),
    ]


def all_schemas(base: str) -> list[dict]:
    return [
        {"schemas": [SCHEMA], "id": CORE, "name": "User", "description": "A person on the practice roster",
         "attributes": _user_attributes(), "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{CORE}"}},
        {"schemas": [SCHEMA], "id": ENTERPRISE, "name": "EnterpriseUser", "description": "Enterprise User",
         "attributes": _enterprise_attributes(),
         "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{ENTERPRISE}"}},
    ]


def schema(schema_id: str, base: str) -> dict | None:
    return next((s for s in all_schemas(base) if s["id"] == schema_id), None)


def resource_types(base: str) -> list[dict]:
    return [{
        "schemas": [RESOURCE_TYPE], "id": "User", "name": "User", "endpoint": "/Users",
        "description": "A person on the practice roster", "schema": CORE,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
        "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"},
    }]
