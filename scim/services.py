"""SCIM Users are the roster's staff members. Every change goes through staff.services (so a SCIM
deactivation is exactly the roster page's termination: accounts flagged, the leaver's checklist with its
one-hour clock, the e-mails), with the API credential as the actor taken from the context.

A SCIM write is first turned into one flat state (userName, name parts, active, title, enterprise
attributes), validated as a whole, and only then applied in one transaction: a refused request changes
nothing.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from staff import services as staff_services
from staff.models import EmploymentStatus, JobRole, StaffMember

from .errors import ScimError
from .filters import CORE, ENTERPRISE
from .models import JobTitleMapping, ScimIdentity

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
STATE_KEYS = ("userName", "externalId", "displayName", "givenName", "familyName", "formatted", "active", "title",
              "employeeNumber", "department", "manager")
# Attributes of the core and enterprise User schemas that PortalGov does not keep: accepted and ignored,
# since identity providers send them whatever is mapped. Anything outside both schemas is refused.
IGNORED_CORE = {"nickname", "profileurl", "usertype", "preferredlanguage", "locale", "timezone", "password",
                "phonenumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles", "x509certificates",
                "meta", "id", "name.middlename", "name.honorificprefix", "name.honorificsuffix"}
IGNORED_ENTERPRISE = {"costcenter", "organization", "division"}
LIMITS = {"externalId": 200, "givenName": 100, "familyName": 100, "title": 100, "employeeNumber": 64,
          "department": 100, "displayName": 200, "formatted": 200}


def _strip_urn(path: str) -> tuple[str, bool]:
    """('department', True) for the enterprise URN; ('name.givenName', False) for core paths."""
    low = path.lower()
    for urn, enterprise in ((ENTERPRISE.lower(), True), (CORE.lower(), False)):
        if low.startswith(urn + ":"):
            return path[len(urn) + 1:], enterprise
        if low == urn:
            return "", enterprise
    return path, False


# --- reading ------------------------------------------------------------------------------------
def users_queryset(organization):
    return (StaffMember.objects.filter(organization=organization)
            .exclude(scim_identity__deprovisioned_at__isnull=False)
            .select_related("manager", "scim_identity").order_by("pk"))


def get_user(organization, scim_id: str) -> StaffMember:
    if not str(scim_id).isdigit() or len(str(scim_id)) > 18:
        raise ScimError(404, "noTarget", f"No User {scim_id!r} in this practice.")
    staff = users_queryset(organization).filter(pk=int(scim_id)).first()
    if staff is None:
        raise ScimError(404, "noTarget", f"No User {scim_id!r} in this practice.")
    return staff


def _identity(staff) -> ScimIdentity | None:
    try:
        return staff.scim_identity
    except ScimIdentity.DoesNotExist:
        return None


def state_of(staff: StaffMember) -> dict:
    ident = _identity(staff)
    return {
        "userName": staff.work_email, "externalId": ident.external_id if ident else "",
        "displayName": staff.full_name, "givenName": ident.given_name if ident else "",
        "familyName": ident.family_name if ident else "", "formatted": staff.full_name,
        "active": staff.employment_status == EmploymentStatus.ACTIVE,
        "title": (ident.title if ident and ident.title else staff.get_job_role_display()),
        "employeeNumber": ident.employee_number if ident else "", "department": ident.department if ident else "",
        "manager": staff.manager_id,
    }


def represent(staff: StaffMember, base_url: str) -> dict:
    s = state_of(staff)
    location = f"{base_url}/Users/{staff.pk}"
    ident = _identity(staff)
    enterprise = {k: s[k] for k in ("employeeNumber", "department") if s[k]}
    if staff.manager_id:
        enterprise["manager"] = {"value": str(staff.manager_id), "$ref": f"{base_url}/Users/{staff.manager_id}",
                                 "displayName": staff.manager.full_name}
    name = {"formatted": staff.full_name}
    if s["givenName"]:
        name["givenName"] = s["givenName"]
    if s["familyName"]:
        name["familyName"] = s["familyName"]
    user = {
        "schemas": [CORE, ENTERPRISE],
        "id": str(staff.pk),
        "userName": staff.work_email,
        "name": name,
        "displayName": staff.full_name,
        "active": s["active"],
        "emails": [{"value": staff.work_email, "type": "work", "primary": True}],
        "title": s["title"],
        ENTERPRISE: enterprise,
        "meta": {"resourceType": "User", "created": (ident.created_at if ident else staff.created_at).isoformat(),
                 "lastModified": max(staff.updated_at, ident.updated_at if ident else staff.updated_at).isoformat(),
                 "location": location,
                 "version": f'W/"{int(staff.updated_at.timestamp() * 1000)}"'},
    }
    if s["externalId"]:
        user["externalId"] = s["externalId"]
    return user


# --- parsing a resource or a patch into the flat state -----------------------------------------------
def _bool(value, attr="active") -> bool:
    # Entra ID sends "True"/"False" strings in PATCH values.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ScimError(400, "invalidValue", f"{attr} must be true or false, not {value!r}.")


def _text(value, attr) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScimError(400, "invalidValue", f"{attr} must be a string, not {type(value).__name__}.")
    value = value.strip()
    if attr in LIMITS and len(value) > LIMITS[attr]:
        raise ScimError(400, "invalidValue", f"{attr} is longer than {LIMITS[attr]} characters.")
    return value


def _manager(value):
    if value in (None, ""):
        return None
    if isinstance(value, dict):
        value = value.get("value")
        if value in (None, ""):
            return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 18:
        return int(value.strip())
    raise ScimError(400, "invalidValue", f"manager must name a User id of this practice, not {value!r}.")


def _work_email(emails) -> str | None:
    if emails is None:
        return None
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise ScimError(400, "invalidValue", "emails must be a list of objects with value, type and primary.")
    chosen = ([e for e in emails if e.get("primary") in (True, "true", "True")]
              or [e for e in emails if str(e.get("type", "")).lower() == "work"] or emails)
    return _text(chosen[0].get("value"), "emails") if chosen else None


def _set(state: dict, path: str, value, *, remove: bool = False) -> None:
    """Apply one attribute path (case-insensitive, with or without its schema URN) to the state."""
    bare, enterprise = _strip_urn(path.strip())
    key = bare.lower()
    if enterprise:
        if key == "":
            if not isinstance(value, dict):
                raise ScimError(400, "invalidValue", "The enterprise extension is an object.")
            for sub, sub_value in value.items():
                _set(state, f"{ENTERPRISE}:{sub}", sub_value, remove=remove)
            return
        if key in ("employeenumber", "department"):
            name = "employeeNumber" if key == "employeenumber" else "department"
            state[name] = "" if remove else _text(value, name)
            return
        if key in ("manager", "manager.value"):
            state["manager"] = None if remove else _manager(value)
            return
        if key in IGNORED_ENTERPRISE or key.startswith("manager."):
            return
        raise ScimError(400, "invalidPath", f"The enterprise extension has no attribute {bare!r}.")
    simple = {"username": "userName", "externalid": "externalId", "displayname": "displayName", "title": "title",
              "name.givenname": "givenName", "name.familyname": "familyName", "name.formatted": "formatted"}
    if key == "active":
        if remove:
            raise ScimError(400, "mutability", "active cannot be removed; set it to false to record a leaver.")
        state["active"] = _bool(value)
    elif key == "username":
        if remove:
            raise ScimError(400, "mutability", "userName (the work e-mail) is required and cannot be removed.")
        state["userName"] = _text(value, "userName")
    elif key in simple:
        state[simple[key]] = "" if remove else _text(value, simple[key])
    elif key == "name":
        if remove:
            state.update(givenName="", familyName="")
            return
        if not isinstance(value, dict):
            raise ScimError(400, "invalidValue", "name is an object (givenName, familyName, formatted).")
        for sub, sub_value in value.items():
            _set(state, f"name.{sub}", sub_value)
    elif key == "emails" or re.fullmatch(r'emails\[\s*type\s+eq\s+"work"\s*\](\.value)?', key) or key == "emails.value":
        if remove:
            raise ScimError(400, "mutability", "The work e-mail is the userName and cannot be removed.")
        email = _work_email(value) if key == "emails" else _text(value, "emails")
        if email:
            state["userName"] = email
    elif key in ("schemas",):
        return
    elif key in IGNORED_CORE or key.split(".")[0] in IGNORED_CORE or key.split("[")[0] in IGNORED_CORE:
        return
    else:
        raise ScimError(400, "invalidPath", f"A User has no attribute {path!r}.")


def state_from_resource(data, *, base: dict | None = None) -> dict:
    """A whole User (POST or PUT): what it leaves out is cleared (PUT replaces)."""
    if not isinstance(data, dict):
        raise ScimError(400, "invalidSyntax", "The request body must be a SCIM User object.")
    schemas = data.get("schemas")
    if not isinstance(schemas, list) or CORE not in schemas:
        raise ScimError(400, "invalidSyntax", f'schemas must be a list including "{CORE}".')
    if unknown := [s for s in schemas if s not in (CORE, ENTERPRISE)]:
        raise ScimError(400, "invalidSyntax", f"Unknown schema: {unknown[0]!r}.")
    state = {"userName": "", "externalId": "", "displayName": "", "givenName": "", "familyName": "",
             "formatted": "", "active": True, "title": "", "employeeNumber": "", "department": "", "manager": None}
    if base is not None:
        # PUT: the active flag and userName stay unless sent (some providers leave them out of a replace).
        state["active"], state["userName"] = base["active"], base["userName"]
    emails = data.get("emails")
    for attr, value in data.items():
        if attr == "emails":
            continue
        _set(state, attr, value)
    if emails is not None and not data.get("userName"):
        if email := _work_email(emails):
            state["userName"] = email
    return state


def state_from_patch(data, current: dict) -> dict:
    if not isinstance(data, dict):
        raise ScimError(400, "invalidSyntax", "The request body must be a PatchOp object.")
    if data.get("schemas") != [PATCH_OP]:
        raise ScimError(400, "invalidSyntax", f'schemas must be ["{PATCH_OP}"].')
    ops = data.get("Operations")
    if not isinstance(ops, list) or not ops:
        raise ScimError(400, "invalidSyntax", "Operations must be a non-empty list.")
    if len(ops) > 100:
        raise ScimError(400, "tooMany", "At most 100 operations in one PATCH.")
    state = dict(current)
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("op"), str):
            raise ScimError(400, "invalidSyntax", 'Each operation is an object with "op" (add, replace or remove).')
        if unknown := set(op) - {"op", "path", "value"}:
            raise ScimError(400, "invalidSyntax", f"Unknown member of an operation: {sorted(unknown)[0]!r}.")
        kind = op["op"].strip().lower()
        path = op.get("path")
        if path is not None and (not isinstance(path, str) or not path.strip()):
            raise ScimError(400, "invalidPath", "path must be a non-empty string.")
        if kind not in ("add", "replace", "remove"):
            raise ScimError(400, "invalidSyntax", f"Unknown op {op['op']!r}: use add, replace or remove.")
        if kind == "remove":
            if path is None:
                raise ScimError(400, "noTarget", "remove needs a path.")
            _set(state, path, None, remove=True)
            continue
        if "value" not in op:
            raise ScimError(400, "invalidSyntax", f"{kind} needs a value.")
        if path is None:
            # Entra ID's form: {"op": "replace", "value": {"active": false, "name.givenName": "X"}}
            if not isinstance(op["value"], dict):
                raise ScimError(400, "invalidValue", "Without a path, value must be an object of attributes.")
            for attr, value in op["value"].items():
                _set(state, attr, value)
        else:
            _set(state, path, op["value"])
    return state


# --- applying ------------------------------------------------------------------------------------
def job_role_for_title(organization, title: str) -> str | None:
    """The practice's mapping first, then PortalGov's own job role names ("Coder", "front_desk")."""
    title = (title or "").strip()
    if not title:
        return None
    mapped = JobTitleMapping.objects.filter(organization=organization, title__iexact=title).first()
    if mapped:
        return mapped.job_role
    low = title.lower()
    for value, label in JobRole.choices:
        if low in (value, label.lower()):
            return value
    return None


def _full_name(state: dict) -> str:
    name = (state["displayName"] or state["formatted"]
            or " ".join(p for p in (state["givenName"], state["familyName"]) if p)).strip()
    if not name:
        raise ScimError(400, "invalidValue", "Give the person's name: displayName, name.formatted or "
                                             "name.givenName and name.familyName.")
    return name[:200]


def _check_email(value: str) -> str:
    if not value:
        raise ScimError(400, "invalidValue", "userName (the work e-mail) is required.")
    try:
        validate_email(value)
    except ValidationError:
        raise ScimError(400, "invalidValue", f"userName must be the person's work e-mail; {value[:80]!r} is not one.")
    if len(value) > 254:
        raise ScimError(400, "invalidValue", "userName is longer than 254 characters.")
    return value.lower()


def _resolve_manager(organization, manager_id, staff=None):
    if manager_id is None:
        return None
    manager = StaffMember.objects.filter(organization=organization, pk=manager_id).first()
    if manager is None:
        raise ScimError(400, "invalidValue", f"manager {manager_id} is no User of this practice.")
    if staff is not None and manager.pk == staff.pk:
        raise ScimError(400, "invalidValue", "A person cannot be their own manager.")
    return manager


def _scim_error(exc: ValidationError) -> ScimError:
    if hasattr(exc, "error_dict"):
        detail = "; ".join(f"{k}: {' '.join(str(m) for e in v for m in e.messages)}" for k, v in exc.error_dict.items())
    else:
        detail = " ".join(exc.messages)
    uniqueness = "already belongs to" in detail
    return ScimError(409 if uniqueness else 400, "uniqueness" if uniqueness else "invalidValue", detail)


def _identity_fields(state: dict) -> dict:
    return {"external_id": state["externalId"], "given_name": state["givenName"], "family_name": state["familyName"],
            "title": state["title"], "employee_number": state["employeeNumber"], "department": state["department"]}


def user_create(*, organization, state: dict) -> tuple[StaffMember, dict]:
    email = _check_email(state["userName"])
    full_name = _full_name(state)
    holder = StaffMember.objects.filter(organization=organization, work_email__iexact=email).first()
    if holder is not None:
        gone = " (deprovisioned: re-hire them on the roster page)" if (
            (i := _identity(holder)) and i.deprovisioned_at) else ""
        raise ScimError(409, "uniqueness", f"userName {email} already belongs to User {holder.pk}{gone}.")
    job_role = job_role_for_title(organization, state["title"])
    if job_role is None:
        raise ScimError(400, "invalidValue",
                        f"title {state['title']!r} maps to no PortalGov job role: an administrator maps it (Django "
                        "admin, SCIM job title mappings) or send one of: "
                        + ", ".join(label for _, label in JobRole.choices) + ".")
    manager = _resolve_manager(organization, state["manager"])
    try:
        with transaction.atomic():
            staff = staff_services.staff_create(organization=organization, acting_user=None, full_name=full_name,
                                                work_email=email, job_role=job_role, manager=manager, source="scim")
            ScimIdentity.objects.create(organization=organization, staff_member=staff, **_identity_fields(state))
            if not state["active"]:
                staff_services.staff_terminate(staff=staff, acting_user=None,
                                               source="scim: created inactive by the identity provider")
    except ValidationError as exc:
        raise _scim_error(exc)
    except IntegrityError:
        raise ScimError(409, "uniqueness", f"userName {email} was just added by another request.")
    return StaffMember.objects.select_related("manager", "scim_identity").get(pk=staff.pk), {"userName": [None, email]}


def user_apply(*, staff: StaffMember, state: dict) -> tuple[StaffMember, dict]:
    """Bring a person to the state; returns the person and the changes (empty when nothing changed)."""
    organization = staff.organization
    before = state_of(staff)
    email = _check_email(state["userName"])
    full_name = _full_name(state)
    if state["active"] and staff.employment_status == EmploymentStatus.TERMINATED:
        ended = f" on {staff.end_date:%Y-%m-%d}" if staff.end_date else ""
        raise ScimError(400, "mutability",
                        f"{staff.full_name} left the practice{ended}: the leaver checklist ends their portal access. "
                        "A returning employee is re-hired by an administrator on the roster page, not re-activated "
                        "by the identity provider.")
    manager = _resolve_manager(organization, state["manager"], staff)
    roster: dict = {}
    if email != staff.work_email:
        roster["work_email"] = email
    if full_name != staff.full_name:
        roster["full_name"] = full_name
    if (manager.pk if manager else None) != staff.manager_id:
        roster["manager"] = manager
    # An unmapped title never blocks an update (a leaver's deactivation must always go through):
    # the job role stays and the title is kept for the administrator to map.
    if state["title"] != before["title"] and (role := job_role_for_title(organization, state["title"])):
        if role != staff.job_role:
            roster["job_role"] = role
    ident_new = _identity_fields(state)
    ident = _identity(staff)
    ident_old = {k: getattr(ident, k) for k in ident_new} if ident else {k: "" for k in ident_new}
    changes = {k: [before.get(k), state.get(k)] for k in STATE_KEYS if before.get(k) != state.get(k)}
    try:
        with transaction.atomic():
            if roster:
                staff_services.staff_update(staff=staff, acting_user=None, source="scim", **roster)
            if ident_new != ident_old:
                ScimIdentity.objects.update_or_create(staff_member=staff, defaults={
                    "organization": organization, **ident_new})
            if not state["active"] and staff.employment_status == EmploymentStatus.ACTIVE:
                staff_services.staff_terminate(staff=staff, acting_user=None,
                                               source="scim: deactivated in the identity provider")
            elif state["active"] and staff.employment_status == EmploymentStatus.ON_LEAVE:
                staff_services.staff_update(staff=staff, acting_user=None, source="scim: back from leave",
                                            employment_status=EmploymentStatus.ACTIVE)
    except ValidationError as exc:
        raise _scim_error(exc)
    except IntegrityError:
        raise ScimError(409, "uniqueness", f"userName {email} was just taken by another request.")
    return StaffMember.objects.select_related("manager", "scim_identity").get(pk=staff.pk), changes


def user_delete(*, staff: StaffMember) -> dict:
    """DELETE: the leaver flow at once; the roster record stays (history, checklist) but SCIM no longer sees it."""
    with transaction.atomic():
        if staff.employment_status != EmploymentStatus.TERMINATED:
            staff_services.staff_terminate(staff=staff, acting_user=None,
                                           source="scim: deleted in the identity provider")
        ScimIdentity.objects.update_or_create(staff_member=staff, defaults={
            "organization": staff.organization, "deprovisioned_at": timezone.now()})
    return {"active": [staff.employment_status == EmploymentStatus.ACTIVE, False], "deprovisioned": [False, True]}
