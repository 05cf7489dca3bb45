"""Writing many rows fast, for generated data and for set-based jobs: PostgreSQL COPY, or executemany
elsewhere (SQLite). Rows are tuples in the order of `columns`; every other column of the model gets its
default (Python defaults are not database defaults, so they are filled in here once per call, not per row).
Nothing here sends signals or builds model instances: callers own the business rules."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.utils import timezone

COPY_CHUNK_ROWS = 50_000
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """One value in PostgreSQL COPY text format."""
    if type(value) is str:  # the common case first: most values need no escaping
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_ESCAPES)
        return value
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":")).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def _sqlite_value(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def default_columns(model, given: Sequence[str], now=None) -> list[tuple[str, object]]:
    """(column, value) for every concrete column of `model` not in `given` that needs a value from
    Python: its default, or now for auto_now/auto_now_add. Database defaults and auto ids are left out."""
    now = now or timezone.now()
    out = []
    for field in model._meta.concrete_fields:
        if field.column in given or isinstance(field, models.AutoField):
            continue
        if field.db_default is not models.NOT_PROVIDED:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now if isinstance(field, models.DateTimeField) else timezone.localdate(now)
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        elif isinstance(field, (models.CharField, models.TextField)):
            value = ""
        else:
            raise ValueError(f"{model._meta.label}.{field.name} needs a value")
        out.append((field.column, value))
    return out


def write_rows(model, columns: Sequence[str], rows: Iterable[Sequence], *, now=None, table: str | None = None) -> int:
    """Insert rows (tuples in `columns` order) into the model's table; returns how many."""
    extra = default_columns(model, columns, now)
    all_columns = [*columns, *(c for c, _ in extra)]
    table = table or model._meta.db_table
    if connection.vendor == "postgresql":
        return copy_rows(table, all_columns, rows, tail=[v for _, v in extra])
    tail = tuple(_sqlite_value(v) for _, v in extra)
    names = ", ".join(connection.ops.quote_name(c) for c in all_columns)
    marks = ", ".join(["%s"] * len(all_columns))
    sql = f"INSERT INTO {connection.ops.quote_name(table)} ({names}) VALUES ({marks})"  # noqa: S608 (model names)  # nosec B608 -- names from the model's metadata; values are parameters
    count = 0
    batch = []
    with connection.cursor() as cur:
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row) + tail)
            if len(batch) >= 5000:
                cur.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
            count += len(batch)
    return count


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], *, tail: Sequence = ()) -> int:
    """COPY rows into a PostgreSQL table in chunks (constant memory)."""
    suffix = "".join("\t" + copy_text(v) for v in tail) + "\n"
    sql = f"COPY {connection.ops.quote_name(table)} ({', '.join(connection.ops.quote_name(c) for c in columns)}) FROM STDIN"
    count = 0
    buf = io.StringIO()
    n = 0
    with connection.cursor() as cur:
        raw = cur.cursor  # psycopg2's own cursor: copy_expert
        for row in rows:
            buf.write("\t".join([copy_text(v) for v in row]) + suffix)
            n += 1
            if n >= COPY_CHUNK_ROWS:
                buf.seek(0)
                raw.copy_expert(sql, buf)
                count += n
                buf = io.StringIO()
                n = 0
        if n:
            buf.seek(0)
            raw.copy_expert(sql, buf)
            count += n
    return count


def next_id(model) -> int:
    with connection.cursor() as cur:
        pk, table = connection.ops.quote_name(model._meta.pk.column), connection.ops.quote_name(model._meta.db_table)
        cur.execute(f"SELECT COALESCE(MAX({pk}), 0) + 1 FROM {table}")  # noqa: S608 (model names)  # nosec B608 -- names from the model's metadata
        return cur.fetchone()[0]


def sync_sequence(model) -> None:
    """After writing explicit ids: move the id sequence past them (PostgreSQL; SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        seq = cur.fetchone()[0]
        if seq:
            cur.execute(f"SELECT setval(%s, (SELECT COALESCE(MAX({pk}), 0) + 1 FROM {table}), false)", [seq])  # noqa: S608  # nosec B608 -- names from the model's metadata


def insert_ignoring_conflicts(model, columns: Sequence[str], rows: Sequence[Sequence], *, now=None) -> int:
    """Insert rows, skipping any that break a unique constraint (what bulk_create(ignore_conflicts=True)
    does, without building a model instance per row). PostgreSQL: COPY into a scratch table, then one
    INSERT ... SELECT ... ON CONFLICT DO NOTHING. Returns how many rows were offered."""
    if not rows:
        return 0
    extra = default_columns(model, columns, now)
    all_columns = [*columns, *(c for c, _ in extra)]
    q = connection.ops.quote_name
    names = ", ".join(q(c) for c in all_columns)
    table = q(model._meta.db_table)
    if connection.vendor == "postgresql":
        scratch = q(f"{model._meta.db_table}_incoming")
        with connection.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608  # nosec B608 -- names from the model's metadata
            cur.execute(f"TRUNCATE {scratch}")
            copy_rows(f"{model._meta.db_table}_incoming", all_columns, rows, tail=[v for _, v in extra])
            cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} ON CONFLICT DO NOTHING")  # noqa: S608  # nosec B608 -- names from the model's metadata
            cur.execute(f"TRUNCATE {scratch}")
        return len(rows)
    tail = tuple(_sqlite_value(v) for _, v in extra)
    marks = ", ".join(["%s"] * len(all_columns))
    with connection.cursor() as cur:
        cur.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                        [tuple(_sqlite_value(v) for v in row) + tail for row in rows])
    return len(rows)
