"""Import the practice's existing portal accounts (e.g. from the old spreadsheet), all or nothing.

Columns: work_email, portal, portal_user_id, status, functions, password_reference, mfa_enrolled,
last_login_attested. `portal` is the portal's name (or reference key) of one of the practice's
enrollments; `functions` is a ';'-separated list of function codes or names. Existing data is
recorded as it is: a user ID shared by two people or a generic desk login is kept and shows as a
finding, instead of being refused as it would be when typed in. Re-importing the same file skips
accounts already recorded (same person, enrollment and user ID).
"""

from __future__ import annotations

import csv
import io

from django.core.exceptions import ValidationError
from django.db import transaction

from audits.services import record_event
from carriers.models import PortalEnrollment, PortalFunction
from staff.models import StaffMember
from staff.roster_import import RosterImportError, _date, _decode

from .models import AccountStatus, PortalAccount
from .validators import validate_password_reference

COLUMNS = ("work_email", "portal", "portal_user_id", "status", "functions", "password_reference", "mfa_enrolled",
           "last_login_attested")
REQUIRED = ("work_email", "portal", "portal_user_id")
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0", ""}


def accounts_plan(*, organization, data: bytes) -> tuple[list[dict], list[tuple[int, str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if missing or unknown:
        return [], [(1, f"Wrong header: missing {', '.join(missing) or 'nothing'}; unknown {', '.join(unknown) or 'nothing'}. "
                        f"Expected: {', '.join(COLUMNS)}.")]
    staff = {s.work_email.lower(): s for s in StaffMember.objects.filter(organization=organization)}
    enrollments = {}
    for e in PortalEnrollment.objects.filter(organization=organization).select_related("portal"):
        enrollments.setdefault(e.portal.name.lower(), []).append(e)
        if e.portal.reference_key:
            enrollments.setdefault(e.portal.reference_key.lower(), []).append(e)
    functions = {}
    for f in PortalFunction.objects.all():
        functions[f.code.lower()] = f
        functions[f.name.lower()] = f
    rows, errors = [], []
    for line, raw in enumerate(reader, start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) != len(header):
            errors.append((line, f"Expected {len(header)} fields, found {len(raw)}."))
            continue
        v = dict(zip(header, (c.strip() for c in raw), strict=True))
        problems = []
        person = staff.get(v.get("work_email", "").lower())
        if person is None:
            problems.append(f"nobody on the roster has the work e-mail '{v.get('work_email', '')}'")
        matches = enrollments.get(v.get("portal", "").lower(), [])
        if len(matches) != 1:
            problems.append(f"portal '{v.get('portal', '')}' " + ("is not one of the practice's enrollments"
                                                                   if not matches else "matches several enrollments"))
        if not v.get("portal_user_id"):
            problems.append("portal_user_id is empty")
        status = (v.get("status") or "active").lower().replace(" ", "_")
        if status not in AccountStatus.values:
            problems.append(f"unknown status '{v.get('status')}'")
        fns = []
        for name in filter(None, (x.strip().lower() for x in v.get("functions", "").split(";"))):
            if name in functions:
                fns.append(functions[name])
            else:
                problems.append(f"unknown function '{name}'")
        try:
            validate_password_reference(v.get("password_reference", ""))
        except ValidationError:
            problems.append("password_reference is not a password-manager reference (never put a password here)")
        mfa = v.get("mfa_enrolled", "").lower()
        if mfa not in TRUE | FALSE:
            problems.append(f"mfa_enrolled must be yes or no, not '{mfa}'")
        try:
            last_login = _date(v.get("last_login_attested", ""))
        except ValueError as exc:
            problems.append(f"last_login_attested: {exc}")
            last_login = None
        if problems:
            errors.append((line, "; ".join(problems)))
            continue
        rows.append({"line": line, "staff_member": person, "enrollment": matches[0], "portal_user_id": v["portal_user_id"],
                     "status": status, "functions": fns, "password_reference": v.get("password_reference", ""),
                     "mfa_enrolled": mfa in TRUE, "last_login_attested": last_login})
    return rows, errors


@transaction.atomic
def portal_accounts_import(*, organization, data: bytes, acting_user) -> dict:
    """All or nothing: raises RosterImportError (and records nothing) if any row is bad."""
    rows, errors = accounts_plan(organization=organization, data=data)
    if errors:
        raise RosterImportError(errors)
    from findings.services import findings_evaluate_organization

    from .services import portal_account_create

    created = skipped = 0
    for row in rows:
        if PortalAccount.objects.filter(staff_member=row["staff_member"], enrollment=row["enrollment"],
                                        portal_user_id__iexact=row["portal_user_id"]).exists():
            skipped += 1
            continue
        fields = {k: row[k] for k in ("staff_member", "enrollment", "portal_user_id", "status", "functions",
                                      "password_reference", "mfa_enrolled", "last_login_attested")}
        portal_account_create(acting_user=acting_user, source=PortalAccount.Source.IMPORT, reevaluate=False, **fields)
        created += 1
    record_event("portal_account.imported", actor=acting_user, organization=organization,
                 object_type="access.portalaccount", object_label="portal account import",
                 changes={"created": created, "skipped": skipped})
    findings_evaluate_organization(organization=organization)
    return {"created": created, "skipped": skipped}
