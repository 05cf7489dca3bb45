"""Roster import from CSV: the whole file is checked first; any bad row means nothing is imported.

Columns (header row required, in any order): full_name, work_email, job_role, employment_status,
start_date, end_date, manager_email. Dates are YYYY-MM-DD or MM/DD/YYYY. People are matched to the
roster by work e-mail, so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from audits.services import record_event
from core.csvsafe import csv_unsafe

from .models import EmploymentStatus, JobRole, StaffMember
from .services import staff_create, staff_update, staff_with_email
from .validators import GENERIC_STAFF_NAME_RULE, is_generic_name

REQUIRED_COLUMNS = ("full_name", "work_email", "job_role")
OPTIONAL_COLUMNS = ("employment_status", "start_date", "end_date", "manager_email")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000


class RosterImportError(Exception):
    """The file cannot be imported; `errors` lists (line, message) pairs."""

    def __init__(self, errors):
        super().__init__("; ".join(f"line {ln}: {msg}" if ln else msg for ln, msg in errors))
        self.errors = errors


@dataclass
class RosterRow:
    line: int
    full_name: str
    work_email: str
    job_role: str
    employment_status: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    manager_email: str


@dataclass
class RosterPlan:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    creates: list[RosterRow] = field(default_factory=list)
    updates: list[tuple[RosterRow, dict]] = field(default_factory=list)
    unchanged: list[RosterRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _choice(value: str, choices) -> str | None:
    v = value.strip().lower()
    for code, label in choices:
        if v in (code, label.lower(), label.lower().replace("-", " ")):
            return code
    v2 = v.replace(" ", "_").replace("-", "_")
    for code, _label in choices:
        if v2 == code:
            return code
    return None


def _date(value: str) -> datetime.date | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{value}' is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise RosterImportError([(0, f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterImportError([(line, "The file is not UTF-8 text (save it as 'CSV UTF-8' and try again).")])


def roster_plan(*, organization, data: bytes) -> RosterPlan:
    """Validate every row and work out what would change; touches nothing."""
    plan = RosterPlan()
    try:
        text = _decode(data)
    except RosterImportError as exc:
        plan.errors = exc.errors
        return plan
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        plan.errors.append((1, "The file is empty; the first line must be the header."))
        return plan
    header = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [h for h in header if h and h not in ALL_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(unknown)}")
        plan.errors.append((1, "Wrong header: " + "; ".join(parts) + f". Expected: {', '.join(ALL_COLUMNS)}."))
        return plan

    existing = {s.work_email.lower(): s for s in StaffMember.objects.filter(organization=organization)
                .select_related("manager")}
    seen: dict[str, int] = {}
    for line_no, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(plan.rows) + len(plan.errors) >= MAX_ROWS:
            plan.errors.append((line_no, f"More than {MAX_ROWS} rows; split the file."))
            break
        if len(raw) != len(header):
            plan.errors.append((line_no, f"Expected {len(header)} fields, found {len(raw)}."))
            continue
        values = dict(zip(header, (csv_unsafe(c.strip()) for c in raw), strict=True))
        row_errors = []
        name = values.get("full_name", "")
        if not name:
            row_errors.append("full_name is empty")
        elif is_generic_name(name):
            row_errors.append(f"full_name '{name[:80]}' is a desk or role name; {GENERIC_STAFF_NAME_RULE}")
        elif len(name) > StaffMember._meta.get_field("full_name").max_length:
            row_errors.append(f"full_name is longer than {StaffMember._meta.get_field('full_name').max_length} characters")
        email = values.get("work_email", "").lower()
        try:
            validate_email(email)
            if len(email) > StaffMember._meta.get_field("work_email").max_length:
                raise ValidationError("too long")
        except ValidationError:
            row_errors.append(f"'{email[:80]}' is not an e-mail address")
        else:
            if email in seen:
                row_errors.append(f"duplicate work e-mail {email} (also on line {seen[email]})")
            else:
                seen[email] = line_no
        role = _choice(values.get("job_role", ""), JobRole.choices)
        if role is None:
            row_errors.append(f"unknown job role '{values.get('job_role', '')}'")
        status_raw = values.get("employment_status", "") or "active"
        status = _choice(status_raw, EmploymentStatus.choices)
        if status is None:
            row_errors.append(f"unknown employment status '{status_raw}'")
        dates = {}
        for col in ("start_date", "end_date"):
            try:
                dates[col] = _date(values.get(col, ""))
            except ValueError as exc:
                row_errors.append(f"{col}: {exc}")
        if dates.get("start_date") and dates.get("end_date") and dates["end_date"] < dates["start_date"]:
            row_errors.append("end_date is before start_date")
        if row_errors:
            plan.errors.append((line_no, "; ".join(row_errors)))
            continue
        plan.rows.append(RosterRow(line_no, name, email, role, status, dates["start_date"], dates["end_date"],
                                   values.get("manager_email", "").lower()))

    in_file = {r.work_email for r in plan.rows} | set(seen)
    for row in plan.rows:
        if row.manager_email and row.manager_email not in in_file and row.manager_email not in existing:
            plan.errors.append((row.line, f"manager {row.manager_email} is neither in the file nor on the roster"))
        if row.manager_email == row.work_email:
            plan.errors.append((row.line, "a person cannot be their own manager"))
    plan.errors.sort()
    if plan.errors:
        return plan

    for row in plan.rows:
        current = existing.get(row.work_email)
        if current is None:
            plan.creates.append(row)
            continue
        diff = {}
        for f in ("full_name", "job_role", "employment_status", "start_date", "end_date"):
            if getattr(current, f) != getattr(row, f):
                diff[f] = (getattr(current, f), getattr(row, f))
        current_mgr = current.manager.work_email.lower() if current.manager_id else ""
        if current_mgr != row.manager_email:
            diff["manager"] = (current_mgr, row.manager_email)
        if diff:
            plan.updates.append((row, diff))
        else:
            plan.unchanged.append(row)
    return plan


@transaction.atomic
def roster_import(*, organization, data: bytes, acting_user) -> RosterPlan:
    """Apply a roster file, all or nothing. Raises RosterImportError (and changes nothing) if any row is bad."""
    plan = roster_plan(organization=organization, data=data)
    if not plan.ok:
        raise RosterImportError(plan.errors)
    by_email: dict[str, StaffMember] = {}
    for row in plan.creates:
        by_email[row.work_email] = staff_create(
            organization=organization, acting_user=acting_user, full_name=row.full_name, work_email=row.work_email,
            job_role=row.job_role, employment_status=row.employment_status, start_date=row.start_date,
            end_date=row.end_date, source="roster import",
        )
    for row, diff in plan.updates:
        staff = staff_with_email(organization, row.work_email).get()
        fields = {f: new for f, (_old, new) in diff.items() if f != "manager"}
        if fields:
            staff = staff_update(staff=staff, acting_user=acting_user, source="roster import", **fields)
        by_email[row.work_email] = staff
    # Managers last: a manager may be a new row further down the file.
    for row in plan.creates + [r for r, d in plan.updates if "manager" in d]:
        manager = None
        if row.manager_email:
            manager = staff_with_email(organization, row.manager_email).get()
        staff = by_email[row.work_email]
        if staff.manager_id != (manager.pk if manager else None):
            staff_update(staff=staff, acting_user=acting_user, source="roster import", manager=manager)
    record_event(
        "staff.roster_imported", actor=acting_user, organization=organization,
        object_type="staff.roster", object_label="roster import",
        changes={"created": len(plan.creates), "updated": len(plan.updates), "unchanged": len(plan.unchanged)},
    )
    return plan
