"""Reading a portal's user list (CSV or XLSX) into checked rows. Nothing here touches the database
except to look up function names; every problem is reported with its line before anything is compared."""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from core.csvsafe import csv_unsafe

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

ACTIVE_WORDS = {"active", "enabled", "yes", "y", "a", "true", "1", "approved"}
INACTIVE_WORDS = {"inactive", "disabled", "locked", "suspended", "deleted", "terminated", "revoked", "expired",
                  "no", "n", "false", "0", "deactivated", "removed", "i", "d"}


class UserListError(Exception):
    """The file cannot be compared. errors: [(line, message)], line 0 for the file as a whole."""

    def __init__(self, errors):
        super().__init__("; ".join(m for _, m in errors))
        self.errors = errors


@dataclass
class UserListFile:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number, header -> cell)


@dataclass
class ListedUser:
    line: int
    user_id: str
    full_name: str = ""
    email: str = ""
    active: bool | None = None  # None: the list has no status column
    last_login: datetime.date | None = None
    functions: list[str] | None = None  # codes; None: the list has no functions column
    tin: str = ""
    raw: dict = field(default_factory=dict)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserListError([(0, "The file is neither UTF-8 nor Windows-1252 text.")])


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # defusedxml is installed, so openpyxl parses XML safely

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UserListError([(0, f"The spreadsheet cannot be read ({exc.__class__.__name__}); save it again as XLSX or CSV.")])
    sheet = book.worksheets[0]
    out = []
    for row in sheet.iter_rows(values_only=True):
        out.append([_cell(v) for v in row])
        if len(out) > MAX_ROWS + 1:
            break
    book.close()
    return out


def read_user_list(data: bytes, filename: str) -> UserListFile:
    if not data:
        raise UserListError([(0, "The file is empty.")])
    if len(data) > MAX_BYTES:
        raise UserListError([(0, f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")])
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        table = _read_xlsx(data)
    else:
        table = [[csv_unsafe(c.strip()) for c in row] for row in csv.reader(io.StringIO(_decode(data), newline=""))]
    while table and not any(table[-1]):
        table.pop()
    if not table or not any(table[0]):
        raise UserListError([(1, "The first line must be the header (column names).")])
    headers = [h.strip() for h in table[0]]
    while headers and not headers[-1]:
        headers.pop()
    seen = set()
    for h in headers:
        if not h:
            raise UserListError([(1, "A column has no name in the header.")])
        if h.lower() in seen:
            raise UserListError([(1, f"The column '{h}' appears twice in the header.")])
        seen.add(h.lower())
    if len(table) - 1 > MAX_ROWS:
        raise UserListError([(0, f"More than {MAX_ROWS} users; split the file.")])
    rows = []
    for line, raw in enumerate(table[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        cells = list(raw) + [""] * (len(headers) - len(raw))
        if any(c.strip() for c in cells[len(headers):]):
            raise UserListError([(line, f"Expected {len(headers)} fields, found {len(raw)}.")])
        rows.append((line, dict(zip(headers, (c.strip() for c in cells[:len(headers)]), strict=True))))
    return UserListFile(headers=headers, rows=rows)


def _date(value: str) -> datetime.date | None:
    value = value.strip()
    if not value or value.lower() in {"never", "n/a", "-"}:
        return None
    value = value.split("T")[0].split(" ")[0]
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{value}' is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("&", "and"))


def function_lookup() -> dict[str, str]:
    """normalized name or code -> function code."""
    from carriers.models import PortalFunction

    lookup = {}
    for code, name in PortalFunction.objects.values_list("code", "name"):
        lookup[_norm(code)] = code
        lookup[_norm(name)] = code
    return lookup


def check_columns(file: UserListFile, columns: dict, ignored: list) -> None:
    """The file's columns must be exactly the mapped and the ignored ones: an unknown column means the
    portal changed its export (or this is another portal's list), so nothing is compared."""
    from .models import FIELDS

    if not columns.get("user_id"):
        raise UserListError([(1, "Choose the column that holds the portal user ID.")])
    known = {h.lower() for h in list(columns.values()) + list(ignored) if h}
    unknown = [h for h in file.headers if h.lower() not in known]
    missing = [f"{FIELDS[f]} ('{h}')" for f, h in columns.items() if h and h.lower() not in
               {x.lower() for x in file.headers}]
    problems = []
    if missing:
        problems.append("missing column(s) the saved mapping expects: " + ", ".join(missing))
    if unknown:
        problems.append("unknown column(s): " + ", ".join(f"'{h}'" for h in unknown))
    if problems:
        raise UserListError([(1, "; ".join(problems) + ". Check that this is this portal's user list, "
                                  "then map the columns again.")])


def listed_users(file: UserListFile, columns: dict) -> list[ListedUser]:
    by_lower = {h.lower(): h for h in file.headers}
    col = {f: by_lower.get(h.lower()) for f, h in columns.items() if h}
    fns = function_lookup() if "functions" in col else {}
    errors, users, seen = [], [], {}
    for line, cells in file.rows:
        problems = []
        uid = cells.get(col["user_id"], "").strip()
        if not uid:
            problems.append("the user ID is empty")
        elif uid.lower() in seen:
            problems.append(f"duplicate user ID {uid} (also on line {seen[uid.lower()]})")
        else:
            seen[uid.lower()] = line
        user = ListedUser(line=line, user_id=uid, raw={f: cells.get(h, "") for f, h in col.items()})
        user.full_name = cells.get(col.get("full_name"), "") if "full_name" in col else ""
        user.email = cells.get(col.get("email"), "").lower() if "email" in col else ""
        user.tin = re.sub(r"\D", "", cells.get(col.get("tin"), "")) if "tin" in col else ""
        if "status" in col:
            word = cells.get(col["status"], "").strip().lower()
            if word in ACTIVE_WORDS:
                user.active = True
            elif word in INACTIVE_WORDS:
                user.active = False
            else:
                problems.append(f"unknown status '{word[:40]}' (use Active or Disabled)")
        if "last_login" in col:
            try:
                user.last_login = _date(cells.get(col["last_login"], ""))
            except ValueError as exc:
                problems.append(f"last login: {exc}")
        if "functions" in col:
            names = [n.strip() for n in re.split(r"[;|,]", cells.get(col["functions"], "")) if n.strip()]
            unknown = [n for n in names if _norm(n) not in fns]
            if unknown:
                problems.append("unknown function(s) " + ", ".join(f"'{n[:40]}'" for n in unknown))
            user.functions = sorted({fns[_norm(n)] for n in names if _norm(n) in fns})
        if problems:
            errors.append((line, "; ".join(problems)))
        else:
            users.append(user)
    if errors:
        raise UserListError(errors)
    return users
