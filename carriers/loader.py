"""Loads the sourced reference directory (carriers/reference_data/*.csv) into the database.

All or nothing: every file is read and checked first; any bad row stops the load with the file
name and line number, and nothing is written. The write itself runs in one transaction.
Idempotent: a row is saved only if a value changed, so a second run changes nothing.
Only reference rows (organization IS NULL) are touched; a practice's own carriers, custom
portals, reach, contracts and enrollments are never read or written here.
"""

import csv
import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from accounts.validators import US_STATES

from .models import (
    Carrier,
    LineOfBusiness,
    MacCoverage,
    MacJurisdiction,
    MacType,
    Portal,
    PortalAccountRule,
    PortalFunction,
    PortalReach,
    Verification,
)

FILES = {
    "functions": ("functions.csv", ["code", "name", "sensitivity", "description"]),
    "carriers": ("carriers.csv", ["key", "name", "lines_of_business", "mac_type", "payer_ids", "verification", "as_of", "source", "notes"]),
    "portals": ("portals.csv", ["key", "name", "architecture", "operator", "url", "url_note", "states", "functions", "verification", "as_of", "source", "carriers_note", "functions_note"]),
    "reach": ("reach.csv", ["carrier_key", "portal_key", "functions", "lines_of_business", "verification", "source", "notes"]),
    "rules": ("account_rules.csv", ["portal_key", "kind", "value", "number", "scope", "verification", "as_of", "last_checked", "source", "notes"]),
    "macs": ("mac_jurisdictions.csv", ["code", "type", "contractor", "portal_key", "states", "nationwide", "verification", "as_of", "source", "notes"]),
    "splits": ("mac_county_splits.csv", ["code", "state", "part", "counties", "verification", "source"]),
}  # fmt: skip

# Default downtime steps by architecture; a practice writes its own on its enrollment.
DEFAULT_DOWNTIME = {
    Portal.Architecture.MAC: (
        "1. Check the MAC's website for an outage notice.\n2. Use the MAC's interactive voice response (IVR) "
        "line for eligibility and claim status.\n3. Hold claim corrections until the portal is back; note what was deferred."
    ),
    Portal.Architecture.HUB: (
        "1. Check the hub's status page or news banner.\n2. Go to the payer's own portal, or call the carrier's "
        "provider-services line (fallback phone).\n3. Record manual eligibility checks in the patient's account."
    ),
}
GENERIC_DOWNTIME = (
    "1. Check the portal's website for an outage notice.\n2. Call the carrier's provider-services line (fallback phone) "
    "for eligibility, claim status or urgent authorizations.\n3. Record what was done by phone and re-check online later."
)


class DirectoryDataError(Exception):
    """A reference file is missing or corrupt; the message names the file and line."""


@dataclass
class LoadResult:
    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    retired: dict = field(default_factory=dict)

    def bump(self, kind: str, what: str, n: int = 1):
        bucket = getattr(self, kind)
        bucket[what] = bucket.get(what, 0) + n

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "retired": self.retired}

    def summary(self) -> str:
        if not self.changed:
            return "Reference directory already up to date: nothing changed."
        parts = []
        for kind in ("created", "updated", "retired"):
            bucket = getattr(self, kind)
            if bucket:
                parts.append(f"{kind} " + ", ".join(f"{n} {what}" for what, n in sorted(bucket.items())))
        return "Reference directory loaded: " + "; ".join(parts) + "."


# --- reading and checking ------------------------------------------------------------------------

_url = URLValidator(schemes=["http", "https"])


class _Row(dict):
    line: int
    file: str

    def fail(self, message: str):
        raise DirectoryDataError(f"{self.file}, line {self.line}: {message}")


def _read(directory: Path, name: str, header: list[str]) -> list[_Row]:
    path = directory / name
    if not path.is_file():
        raise DirectoryDataError(f"{name}: file not found in {directory}.")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh, strict=True)
            try:
                found = next(reader)
            except StopIteration:
                raise DirectoryDataError(f"{name}, line 1: the file is empty.") from None
            if found != header:
                raise DirectoryDataError(f"{name}, line 1: expected columns {','.join(header)}; found {','.join(found)}.")
            rows = []
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    raise DirectoryDataError(
                        f"{name}, line {reader.line_num}: expected {len(header)} values, found {len(values)}."
                    )
                row = _Row(zip(header, (v.strip() for v in values), strict=True))
                row.line, row.file = reader.line_num, name
                rows.append(row)
            return rows
    except csv.Error as exc:
        raise DirectoryDataError(f"{name}, line {reader.line_num}: {exc}.") from None
    except UnicodeDecodeError:
        raise DirectoryDataError(f"{name}: not UTF-8 text.") from None


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(";") if p.strip()]


def _choice(row, col, choices, allow_blank=False):
    value = row[col]
    if allow_blank and value == "":
        return value
    if value not in choices:
        row.fail(f"{col} '{value}' is not one of {', '.join(sorted(c for c in choices if c))}.")
    return value


def _date(row, col):
    if not row[col]:
        return None
    try:
        return datetime.date.fromisoformat(row[col])
    except ValueError:
        row.fail(f"{col} '{row[col]}' is not a date (YYYY-MM-DD).")


def _states(row, col):
    codes = [s.upper() for s in _split(row[col])]
    bad = [s for s in codes if s not in US_STATES]
    if bad:
        row.fail(f"unknown state code {', '.join(bad)} in {col}.")
    return codes


def _unique(rows, key_fn, what):
    seen = {}
    for row in rows:
        key = key_fn(row)
        if key in seen:
            row.fail(f"duplicate {what} {key} (first on line {seen[key]}).")
        seen[key] = row.line


def read_dataset(directory: Path | None = None) -> dict:
    """Read and check every file. Returns parsed rows, or raises DirectoryDataError."""
    directory = Path(directory or settings.PORTALGOV_SHARED_DATA_DIR)
    raw = {k: _read(directory, name, header) for k, (name, header) in FILES.items()}
    verifications = set(Verification.values)
    data: dict = {k: [] for k in raw}

    for row in raw["functions"]:
        if not row["code"] or not row["name"]:
            row.fail("code and name are required.")
        _choice(row, "sensitivity", set(PortalFunction.Sensitivity.values))
        data["functions"].append(dict(row))
    _unique(raw["functions"], lambda r: r["code"], "function")
    function_codes = {r["code"] for r in raw["functions"]} | set(PortalFunction.objects.values_list("code", flat=True))

    def functions(row, col="functions"):
        codes = _split(row[col])
        bad = [c for c in codes if c not in function_codes]
        if bad:
            row.fail(f"unknown portal function {', '.join(bad)}.")
        return codes

    lobs = set(LineOfBusiness.values)
    for row in raw["carriers"]:
        if not row["key"] or not row["name"]:
            row.fail("key and name are required.")
        lob = _split(row["lines_of_business"])
        if bad := [x for x in lob if x not in lobs]:
            row.fail(f"unknown line of business {', '.join(bad)}.")
        data["carriers"].append({
            **row, "lines_of_business": lob, "as_of": _date(row, "as_of"),
            "mac_type": _choice(row, "mac_type", set(MacType.values), allow_blank=True),
            "verification": _choice(row, "verification", verifications),
        })
    _unique(raw["carriers"], lambda r: r["key"], "carrier key")
    carrier_keys = {r["key"] for r in raw["carriers"]}

    for row in raw["portals"]:
        if not row["key"] or not row["name"]:
            row.fail("key and name are required.")
        if row["url"]:
            try:
                _url(row["url"])
            except ValidationError:
                row.fail(f"url '{row['url']}' is not a valid http(s) address.")
        data["portals"].append({
            **row, "states": _states(row, "states"), "functions": functions(row),
            "architecture": _choice(row, "architecture", set(Portal.Architecture.values)),
            "verification": _choice(row, "verification", verifications), "as_of": _date(row, "as_of"),
        })
    _unique(raw["portals"], lambda r: r["key"], "portal key")
    portal_keys = {r["key"] for r in raw["portals"]}

    def portal_ref(row):
        if row["portal_key"] not in portal_keys:
            row.fail(f"portal_key '{row['portal_key']}' is not in portals.csv.")
        return row["portal_key"]

    for row in raw["reach"]:
        if row["carrier_key"] not in carrier_keys:
            row.fail(f"carrier_key '{row['carrier_key']}' is not in carriers.csv.")
        lob = _split(row["lines_of_business"])
        if bad := [x for x in lob if x not in lobs]:
            row.fail(f"unknown line of business {', '.join(bad)}.")
        data["reach"].append({
            **row, "portal_key": portal_ref(row), "functions": functions(row), "lines_of_business": lob,
            "verification": _choice(row, "verification", verifications),
        })
    _unique(raw["reach"], lambda r: (r["carrier_key"], r["portal_key"]), "reach")

    for row in raw["rules"]:
        kind = _choice(row, "kind", set(PortalAccountRule.Kind.values))
        number = None
        if row["number"]:
            if not row["number"].isdigit():
                row.fail(f"number '{row['number']}' is not a whole number.")
            number = int(row["number"])
        if not row["value"]:
            row.fail("value is required.")
        # Every rule says where it comes from and when someone last checked that source, so the
        # portal page can show its age; an undated source page keeps as_of blank.
        if not row["source"]:
            row.fail("source is required (the public pages that back the rule).")
        if not row["last_checked"]:
            row.fail("last_checked is required (the date the source was last checked, YYYY-MM-DD).")
        data["rules"].append({
            **row, "kind": kind, "number": number, "portal_key": portal_ref(row), "as_of": _date(row, "as_of"),
            "last_verified": _date(row, "last_checked"), "verification": _choice(row, "verification", verifications),
        })
    _unique(raw["rules"], lambda r: (r["portal_key"], r["kind"]), "account rule")
    # Completeness: every reference portal has its rules, or a not_published row saying none are known.
    ruled = {r["portal_key"] for r in raw["rules"]}
    for row in raw["portals"]:
        if row["key"] not in ruled:
            row.fail(f"portal '{row['key']}' has no account rules: add them to account_rules.csv, "
                     "or a not_published row with the date its sources were checked.")

    for row in raw["macs"]:
        if not row["code"] or not row["contractor"]:
            row.fail("code and contractor are required.")
        nationwide = row["nationwide"].lower() in {"yes", "true", "1"}
        states = _states(row, "states")
        if not states and not nationwide:
            row.fail("states are required unless nationwide is yes.")
        data["macs"].append({
            **row, "type": _choice(row, "type", set(MacType.values)), "portal_key": portal_ref(row),
            "states": states, "nationwide": nationwide, "as_of": _date(row, "as_of"),
            "verification": _choice(row, "verification", verifications),
        })
    _unique(raw["macs"], lambda r: r["code"], "jurisdiction")
    mac_codes = {r["code"] for r in raw["macs"]}

    for row in raw["splits"]:
        if row["code"] not in mac_codes:
            row.fail(f"code '{row['code']}' is not in mac_jurisdictions.csv.")
        if row["state"].upper() not in US_STATES:
            row.fail(f"unknown state code {row['state']}.")
        counties = _split(row["counties"])
        if not counties:
            row.fail("counties are required for a county split.")
        data["splits"].append({
            **row, "state": row["state"].upper(), "counties": counties,
            "part": _choice(row, "part", {"", "A", "B"}),
        })
    _unique(raw["splits"], lambda r: (r["code"], r["state"].upper(), r["part"]), "county split")
    return data


# --- writing -------------------------------------------------------------------------------------

def _sync(obj, values: dict) -> bool:
    """Set values on obj; True if any differed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _sync_m2m(manager, ids: set) -> bool:
    current = set(manager.values_list("pk", flat=True))
    if current != ids:
        manager.set(ids)
        return True
    return False


def _upsert(model, lookup: dict, values: dict, result: LoadResult, label: str, existing: dict):
    obj = existing.get(tuple(lookup.values()))
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        result.bump("created", label)
        return obj, True
    if _sync(obj, values):
        obj.save()
        result.bump("updated", label)
    return obj, False


def apply_dataset(data: dict, result: LoadResult) -> None:
    functions = {f.code: f for f in PortalFunction.objects.all()}
    for order, row in enumerate(data["functions"], start=1):
        values = {"name": row["name"], "sensitivity": row["sensitivity"], "description": row["description"], "sort_order": order * 10}
        fn, _ = _upsert(PortalFunction, {"code": row["code"]}, values, result, "functions",
                        {(k,): v for k, v in functions.items()})
        functions[fn.code] = fn
    fn_ids = lambda codes: {functions[c].pk for c in codes}  # noqa: E731

    carriers = {(c.reference_key,): c for c in Carrier.objects.filter(organization__isnull=True)}
    for row in data["carriers"]:
        values = {
            "name": row["name"], "lines_of_business": row["lines_of_business"], "mac_type": row["mac_type"],
            "payer_ids": row["payer_ids"], "verification": row["verification"], "as_of": row["as_of"],
            "source": row["source"], "notes": row["notes"], "is_active": True,
        }
        _upsert(Carrier, {"reference_key": row["key"]}, values, result, "carriers", carriers)
    carriers = {c.reference_key: c for c in Carrier.objects.filter(organization__isnull=True)}
    _retire(Carrier, carriers, {r["key"] for r in data["carriers"]}, result, "carriers")

    portals = {(p.reference_key,): p for p in Portal.objects.filter(organization__isnull=True)}
    for row in data["portals"]:
        values = {
            "name": row["name"], "architecture": row["architecture"], "operator": row["operator"], "url": row["url"],
            "url_note": row["url_note"], "states": row["states"], "verification": row["verification"],
            "as_of": row["as_of"], "source": row["source"], "carriers_note": row["carriers_note"],
            "functions_note": row["functions_note"], "is_active": True,
        }
        portal, created = _upsert(Portal, {"reference_key": row["key"]}, values, result, "portals", portals)
        if created:
            portal.downtime_protocol = DEFAULT_DOWNTIME.get(row["architecture"], GENERIC_DOWNTIME)
            portal.save(update_fields=["downtime_protocol"])
        if _sync_m2m(portal.functions, fn_ids(row["functions"])) and not created:
            result.bump("updated", "portal functions")
    portals = {p.reference_key: p for p in Portal.objects.filter(organization__isnull=True)}
    _retire(Portal, portals, {r["key"] for r in data["portals"]}, result, "portals")

    reaches = {(r.carrier_id, r.portal_id): r for r in PortalReach.objects.filter(organization__isnull=True)}
    keep = set()
    for row in data["reach"]:
        carrier, portal = carriers[row["carrier_key"]], portals[row["portal_key"]]
        values = {"lines_of_business": row["lines_of_business"], "verification": row["verification"],
                  "source": row["source"], "notes": row["notes"]}
        reach, created = _upsert(PortalReach, {"carrier_id": carrier.pk, "portal_id": portal.pk}, values, result, "reach", reaches)
        keep.add(reach.pk)
        if _sync_m2m(reach.functions, fn_ids(row["functions"])) and not created:
            result.bump("updated", "reach functions")
    stale = PortalReach.objects.filter(organization__isnull=True).exclude(pk__in=keep)
    if n := stale.count():
        stale.delete()
        result.bump("retired", "reach", n)

    rules = {(r.portal_id, r.kind): r for r in PortalAccountRule.objects.filter(portal__organization__isnull=True)}
    keep = set()
    for row in data["rules"]:
        portal = portals[row["portal_key"]]
        values = {k: row[k] for k in ("value", "number", "scope", "verification", "as_of", "last_verified", "source", "notes")}
        rule, _ = _upsert(PortalAccountRule, {"portal_id": portal.pk, "kind": row["kind"]}, values, result, "account rules", rules)
        keep.add(rule.pk)
    stale = PortalAccountRule.objects.filter(portal__organization__isnull=True).exclude(pk__in=keep)
    if n := stale.count():
        stale.delete()
        result.bump("retired", "account rules", n)

    macs = {(m.code,): m for m in MacJurisdiction.objects.all()}
    splits = {}
    for row in data["splits"]:
        splits.setdefault(row["code"], []).append(row)
    for row in data["macs"]:
        values = {
            "jurisdiction_type": row["type"], "contractor": row["contractor"], "portal_id": portals[row["portal_key"]].pk,
            "nationwide": row["nationwide"], "verification": row["verification"], "as_of": row["as_of"],
            "source": row["source"], "notes": row["notes"],
        }
        mac, created = _upsert(MacJurisdiction, {"code": row["code"]}, values, result, "MAC jurisdictions", macs)
        wanted = {(s, "", ()) for s in row["states"]}
        wanted |= {(s["state"], s["part"], tuple(s["counties"])) for s in splits.get(row["code"], [])}
        current = {(c.state, c.part, tuple(c.counties)) for c in mac.coverage.all()}
        if wanted != current:
            mac.coverage.all().delete()
            MacCoverage.objects.bulk_create(
                MacCoverage(jurisdiction=mac, state=s, part=p, counties=list(c)) for s, p, c in sorted(wanted)
            )
            if not created:
                result.bump("updated", "MAC coverage")
    stale = MacJurisdiction.objects.exclude(code__in={r["code"] for r in data["macs"]})
    if n := stale.count():
        stale.delete()
        result.bump("retired", "MAC jurisdictions", n)


def _retire(model, by_key: dict, keys: set, result: LoadResult, label: str):
    # Retire rather than delete: contracts and enrollments may point at them.
    gone = [obj.pk for key, obj in by_key.items() if key not in keys and obj.is_active]
    if gone:
        model.objects.filter(pk__in=gone).update(is_active=False)
        result.bump("retired", label, len(gone))


def load(directory: Path | None = None) -> LoadResult:
    data = read_dataset(directory)
    result = LoadResult()
    with transaction.atomic():
        apply_dataset(data, result)
    return result
