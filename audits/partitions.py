"""Monthly partitions of the event table (PostgreSQL) and the archive procedure for whole months.

Partitions are created ahead by a SECURITY DEFINER function owned by the audit owner role (the app
role cannot create tables on the audit owner's parent). A DEFAULT partition catches anything outside
the created months so an insert never fails; verification reports rows sitting there.

Archiving a month (python manage.py audit_archive --month YYYY-MM --output DIR): refuses unless the
month is over, every event of it is sealed and covered by a signed checkpoint, and the whole log
verifies; then writes the month as JSON Lines with a signed manifest, records the archive (month,
seq range, file hash, checkpoint), DETACHes and DROPs the partition. The seal rows stay, so the chain
still verifies end to end: the verifier accepts the missing events of an archived month and nothing
else. Run it as the retention role (member of the audit owner role), never as the app role.
"""

import datetime as dt
import json
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from .db import is_postgres


class ArchiveError(ValueError):
    pass


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.month - 1 + n, 12)
    return dt.date(day.year + y, m + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"audits_auditevent_{month:%Y_%m}"


def ensure_partitions(*, months_ahead: int = 3, today: dt.date | None = None) -> list[str]:
    """Create this month's and the next months' partitions if missing (idempotent)."""
    if not is_postgres():
        return []
    today = today or timezone.now().date()
    names = []
    with connection.cursor() as cur:
        for i in range(-1, months_ahead + 1):
            cur.execute("SELECT audits_ensure_partition(%s)", [add_months(month_start(today), i)])
            names.append(cur.fetchone()[0])
    return names


def partitions() -> list[dict]:
    if not is_postgres():
        return []
    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = 'audits_auditevent'::regclass ORDER BY c.relname"""
        )
        return [{"name": n, "bound": b} for n, b in cur.fetchall()]


def parse_month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value.strip(), "%Y-%m").date()
    except (ValueError, AttributeError):
        raise ArchiveError(f"--month: {value!r} is not a month (use YYYY-MM).")


def archive_month(*, month: dt.date, output_dir: Path, actor=None, drop: bool = True) -> dict:
    """Archive one whole month outside the database (see the module docstring)."""
    from . import chain
    from .exporting import ExportPlan, build_manifest, write_copy
    from .models import AuditArchive, AuditSeal
    from .selectors import AuditFilter
    from .services import record_event, seal_and_checkpoint
    from .verify import verify_log

    if not is_postgres():
        raise ArchiveError("Archiving whole months needs PostgreSQL partitions.")
    month = month_start(month)
    if add_months(month, 1) > timezone.now().date().replace(day=1):
        raise ArchiveError(f"{month:%Y-%m} is not over yet; only past months can be archived.")
    if AuditArchive.objects.filter(month=month).exists():
        raise ArchiveError(f"{month:%Y-%m} is already archived.")
    name = partition_name(month)
    if name not in {p["name"] for p in partitions()}:
        raise ArchiveError(f"There is no partition for {month:%Y-%m}.")
    output_dir = Path(output_dir)
    if not output_dir.is_dir():
        raise ArchiveError(f"--output: {output_dir} is not a directory.")

    checkpoint = seal_and_checkpoint(reason="archive")
    since = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    until = dt.datetime.combine(add_months(month, 1), dt.time(), tzinfo=dt.UTC)
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT COUNT(*), COUNT(s.seq), MIN(s.seq), MAX(s.seq) FROM {name} e
                LEFT JOIN {chain.SEAL_TABLE} s ON s.event_id = e.id"""  # noqa: S608
        )
        total, sealed, first_seq, last_seq = cur.fetchone()
    if sealed != total:
        raise ArchiveError(f"{total - sealed} events of {month:%Y-%m} are not sealed yet; run the sealer first.")
    if last_seq is not None and last_seq > checkpoint.tree_size:
        raise ArchiveError("The latest checkpoint does not cover the whole month yet.")
    result = verify_log()
    if not result.ok:
        raise ArchiveError(f"The log does not verify, refusing to archive: {result.first}")

    plan = ExportPlan(fmt="jsonl", flt=AuditFilter(since=since, until=until), tree_size=checkpoint.tree_size,
                      checkpoint_note=checkpoint.note, root=bytes(checkpoint.root), event_id=0)
    data_path = output_dir / f"audit-{month:%Y-%m}.jsonl"
    with open(data_path, "xb") as fh:
        size, sha, rows = write_copy(plan, fh)
    if rows != total:
        data_path.unlink()
        raise ArchiveError(f"Wrote {rows} rows but the month holds {total}; nothing was archived.")
    manifest = build_manifest(plan, size=size, sha256=sha, rows=rows, generated_by="audit_archive")
    manifest_path = output_dir / f"audit-{month:%Y-%m}.manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    seals_path = output_dir / f"audit-{month:%Y-%m}.seals.jsonl"
    with open(seals_path, "w") as fh:
        for s in AuditSeal.objects.filter(event_timestamp__gte=since, event_timestamp__lt=until).order_by("seq").iterator():
            fh.write(json.dumps({"seq": s.seq, "event_id": s.event_id, "content_hash": bytes(s.content_hash).hex(),
                                 "prev_hash": bytes(s.prev_hash).hex(), "chain_hash": bytes(s.chain_hash).hex()}) + "\n")

    with transaction.atomic():
        AuditArchive.objects.create(month=month, event_count=total, first_seq=first_seq, last_seq=last_seq,
                                    file_sha256=sha, checkpoint_tree_size=checkpoint.tree_size,
                                    location=str(data_path))
        record_event("audit.archived", actor=actor, changes={
            "month": f"{month:%Y-%m}", "events": total, "first_seq": first_seq, "last_seq": last_seq,
            "sha256": sha, "checkpoint_tree_size": checkpoint.tree_size}, message=f"Archived to {data_path}")
        if drop:
            with connection.cursor() as cur:
                cur.execute(f"ALTER TABLE audits_auditevent DETACH PARTITION {name}")
                cur.execute(f"DROP TABLE {name}")
    return {"month": f"{month:%Y-%m}", "events": total, "file": str(data_path), "manifest": str(manifest_path),
            "sha256": sha, "first_seq": first_seq, "last_seq": last_seq}
