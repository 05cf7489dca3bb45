"""Read the current export formats back as dicts (column name -> value) in tests."""

import json

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
