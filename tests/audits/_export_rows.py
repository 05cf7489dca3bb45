"""Read the current export formats back as dicts (column name -> value) in tests."""

import json
import re

from django.core.management import call_command

from audits.exporting import INT_COLUMNS
from audits.offline.verify_export import csv_records


def _typed(row: dict) -> dict:
    """Every value is its stored text; integer columns back to int, as the tests compare them."""
    return {k: int(v) if k in INT_COLUMNS and v is not None else v for k, v in row.items()}


def jsonl_rows(data: bytes | str) -> list[dict]:
    """portalgov-audit-jsonl/v3: a line of column names, then one JSON array (strings and nulls) per event."""
    text = data.decode() if isinstance(data, bytes) else data
    lines = text.splitlines()
    columns = json.loads(lines[0])
    return [_typed(dict(zip(columns, json.loads(line), strict=True))) for line in lines[1:]]


def csv_rows(data: bytes | str) -> list[dict]:
    """portalgov-audit-csv/v2, NULL (a bare empty cell) as None, '' as ''."""
    text = data.decode() if isinstance(data, bytes) else data
    records = csv_records(text)
    columns = next(records)
    return [dict(zip(columns, r, strict=True)) for r in records]


def run_export(tmp_path, fmt, **opts):
    """audit_export into tmp_path: (the export file, its manifest file)."""
    out = tmp_path / f"export.{fmt}"
    call_command("audit_export", format=fmt, output=str(out), **opts)
    return out, tmp_path / f"export.{fmt}.manifest.json"


def assert_stretch_names_row(report: str, row: int) -> None:
    """The chain layout has no per-row hashes: every CHAIN_MARK-th event id carries its chain hash, so the
    verifier names the stretch between two marks. Which ids are marks depends on the ids the database gave
    (other tests before this one move the sequence), so assert that the stretch holds the edited row."""
    found = re.search(r"FIRST BAD rows (\d+)\.\.(\d+) \(seq ", report)
    assert found, report
    assert int(found[1]) <= row <= int(found[2]), report
    assert "signed checkpoint's root" in report
