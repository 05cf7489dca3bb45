#!/usr/bin/env python3
"""Check a PortalGov audit export offline: Python 3.9+ and the `cryptography` package, nothing else.

    python verify_export.py EXPORT --key PUBLIC_KEY [--manifest MANIFEST]

EXPORT is the web download (a .zip holding the data file and manifest.json), a data file exported by
`manage.py audit_export` (its manifest beside it as FILE.manifest.json), or a checkpoint note.
PUBLIC_KEY is the deployment's Ed25519 public key (base64, as `audit_checkpoint --public-key` prints
it) or a file holding it.

What it checks:
  1. the manifest's Ed25519 signature, and the checkpoint note inside it, with that key;
  2. the data file's size and SHA-256 against the manifest, and its row count;
  3. every row of the current formats (CSV `portalgov-audit-csv/v2`, JSON Lines `portalgov-audit-jsonl/v3`)
     and of the older JSON Lines `portalgov-audit-jsonl/v2`: the event's canonical bytes are rebuilt from
     the row's cells (on PostgreSQL its COPY text line; the manifest's `canonical` names the rendering)
     and chained, SHA-256(0x01 || prev_hash || content hash). The manifest's `layout`:
       chain      the whole log in chain order, no per-row hashes: the rows are chained from the genesis and
                  must end at the signed checkpoint's root; the chain_hash given on every `chain_mark`-th
                  event id places a mismatch between two marks;
       selection  a filter's rows, each with seq, prev_hash and chain_hash: each row is checked on its own
                  and rows of consecutive seq are linked; the first bad row is named.
     CSV cells a spreadsheet could run as a formula carry one extra leading apostrophe; it comes off again.
     Older CSV exports and JSON Lines `portalgov-audit-jsonl/v1` are checked by file hash and signature only.

Exit codes: 0 intact; 1 the export or checkpoint was altered, truncated or signed by another key;
2 not an export at all (or unreadable), with a one-line reason.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import csv
import hashlib
import io
import json
import re
import sys
import zipfile
from pathlib import Path

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - the auditor's environment
    sys.stderr.write("verify_export.py needs the cryptography package: pip install cryptography\n")
    sys.exit(2)

# Must match audits/chain.py (a new column or rendering means a new version string there and here).
PG_CANONICAL_VERSION = b"portalgov-audit-event-pgcopy-v1\n"
GENESIS = hashlib.sha256(b"portalgov-audit-genesis").digest()
EVENT_COLUMNS = [
    "id", "timestamp", "txid", "action", "severity", "organization_id",
    "actor_type", "actor_ref", "actor_label", "actor_id", "actor_email",
    "content_type_id", "object_type", "object_pk", "object_id", "object_label", "object_repr",
    "changes", "changes_text", "serialized_data", "additional_data", "message",
    "cid", "remote_addr", "remote_port", "user_agent", "request_id",
]
ROW_KEYS = ["seq", *EVENT_COLUMNS, "content_hash", "prev_hash", "chain_hash"]  # portalgov-audit-jsonl/v2
# The current formats: these columns, a header first (CSV: its header row; JSON Lines: a JSON array of the
# names), hashes in base64, prev_hash empty (null) where the row before is the chain predecessor.
CSV_FORMAT = "portalgov-audit-csv/v2"
JSONL_FORMAT = "portalgov-audit-jsonl/v3"
JSONL_FORMAT_V2 = "portalgov-audit-jsonl/v2"
CHAIN_COLUMNS = [*EVENT_COLUMNS, "chain_hash"]  # layout "chain": the whole chain, in chain order
SELECTION_COLUMNS = ["seq", *EVENT_COLUMNS, "prev_hash", "chain_hash"]  # layout "selection": a filter's rows
# How an event's canonical bytes are built (the manifest's `canonical`): its PostgreSQL COPY text line,
# or (SQLite, development) each value length-prefixed.
CANONICAL_PGCOPY = "portalgov-audit-event-pgcopy-v1"
CANONICAL_PLAIN = "portalgov-audit-event-v1"
MANIFEST_KINDS = ("portalgov-audit-export-manifest/v1", "portalgov-audit-export-manifest/v2")
SIG_PREFIX = "\u2014 "

# PostgreSQL's COPY text escapes (CopyAttributeOutText): backslash, and six control characters.
_ESCAPES = {"\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)


class NotAnExport(Exception):
    """Exit 2: the input is not something this tool checks."""


class Report:
    def __init__(self, out):
        self.out = out
        self.problems = []

    def bad(self, message):
        self.problems.append(message)

    def say(self, message):
        self.out.write(message + "\n")


# --- keys and signatures ------------------------------------------------------------------------

def load_key(text_or_path: str) -> Ed25519PublicKey:
    path = Path(text_or_path)
    text = path.read_text().strip() if path.is_file() else text_or_path.strip()
    for line in text.splitlines():  # accept the line `audit_checkpoint --public-key` prints
        if ":" in line:
            text = line.rsplit(":", 1)[1].strip()
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise NotAnExport("--key: not an Ed25519 public key (base64 of 32 bytes)")


def key_hint(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:4]


def check_signature(key, body: bytes, signature_b64: str) -> str | None:
    """None when `key` signed body, else the reason."""
    try:
        blob = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return "the signature is not base64"
    if blob[:4] != key_hint(key):
        return f"signed by another key (key id {blob[:4].hex()}, yours is {key_hint(key).hex()})"
    try:
        key.verify(blob[4:], body)
    except InvalidSignature:
        return "the signature does not match (the text was altered)"
    return None


def parse_note(note: str):
    body, sep, sigs = note.partition("\n\n")
    lines = body.split("\n")
    if not sep or len(lines) < 3:
        raise NotAnExport("not a checkpoint note")
    try:
        size = int(lines[1])
        root = base64.b64decode(lines[2], validate=True)
    except (ValueError, binascii.Error):
        raise NotAnExport("not a checkpoint note (size or root malformed)")
    signatures = [line.rsplit(" ", 1)[-1] for line in sigs.strip("\n").split("\n") if line.startswith(SIG_PREFIX)]
    return {"origin": lines[0], "tree_size": size, "root": root, "time": lines[3] if len(lines) > 3 else "",
            "body": (body + "\n").encode(), "signatures": signatures}


def check_note(key, note: str, report: Report, label: str):
    parsed = parse_note(note)
    reasons = [check_signature(key, parsed["body"], sig) for sig in parsed["signatures"]] or ["it carries no signature"]
    if None not in reasons:
        report.bad(f"{label}: {reasons[0]}")
    return parsed


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- rows ---------------------------------------------------------------------------------------

def copy_text(value) -> str:
    """A JSON value back to its PostgreSQL COPY text field."""
    if value is None:
        return "\\N"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("not a text or integer value")
    if isinstance(value, int):
        return str(value)
    return value.translate(_ESCAPE_TABLE)


def check_rows(data: bytes, manifest: dict, report: Report) -> int:
    """portalgov-audit-jsonl/v2: re-hash every row (hex content, prev and chain hashes) and check the links."""
    chains = {}  # seq -> (prev_hash, chain_hash) of each row, to link rows by seq after the pass
    first_bad = None
    count = 0
    sha = hashlib.sha256
    lines = data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")
    if lines == [b""]:
        lines = []  # an export whose filter matched nothing: no rows to check
    for number, raw in enumerate(lines, start=1):
        count += 1
        try:
            row = json.loads(raw)
            if not isinstance(row, dict) or list(row) != ROW_KEYS:
                raise ValueError("unexpected fields")
            seq = row["seq"]
            line = "\t".join(copy_text(row[c]) for c in EVENT_COLUMNS).encode()
            stored = bytes.fromhex(row["content_hash"])
            prev = bytes.fromhex(row["prev_hash"])
            chained = bytes.fromhex(row["chain_hash"])
            if not isinstance(seq, int) or len(stored) != 32 or len(prev) != 32 or len(chained) != 32:
                raise ValueError("bad seq or hash")
        except (ValueError, TypeError, KeyError, AttributeError):
            first_bad = first_bad or f"row {number}: not a well-formed export row (edited or truncated)"
            continue
        where = f"row {number} (seq {seq}, event #{row['id']})"
        if sha(PG_CANONICAL_VERSION + line).digest() != stored:
            first_bad = first_bad or f"{where}: its values no longer match its content hash (the row was edited)"
        elif sha(b"\x01" + prev + stored).digest() != chained:
            first_bad = first_bad or f"{where}: its chain hash does not follow from its previous hash and content"
        if seq in chains:
            first_bad = first_bad or f"{where}: seq {seq} appears twice"
        chains[seq] = (prev, chained, number, row["id"])
    # Links between rows of consecutive seq (rows are in event order; seq order is the chain's).
    first_bad = _check_links(chains, manifest, report, first_bad)
    if first_bad:
        report.bad("FIRST BAD " + first_bad)
    return count


def _pgcopy_bytes(values) -> bytes:
    return PG_CANONICAL_VERSION + "\t".join(
        "\\N" if v is None else v.translate(_ESCAPE_TABLE) for v in values).encode()


def _plain_bytes(values) -> bytes:
    parts = [CANONICAL_PLAIN.encode() + b"\n"]
    for v in values:
        if v is None:
            parts.append(b"\x00")
        else:
            data = v.encode()
            parts.append(b"\x01" + len(data).to_bytes(4, "big") + data)
    return b"".join(parts)


# One CSV cell as PostgreSQL's COPY writes it: quoted (quotes doubled) or bare; a bare empty cell is NULL.
_CSV_CELL = re.compile(r'(?:"((?:[^"]|"")*)"|([^,"\n]*))(,|\n|\Z)')


def csv_records(text: str):
    """The CSV's rows as lists of str or None (NULL), keeping the difference between NULL and ''."""
    pos, end, row = 0, len(text), []
    match = _CSV_CELL.match
    while pos < end:
        m = match(text, pos)
        if m is None:
            raise ValueError(f"malformed CSV at character {pos}")
        quoted, bare, sep = m.groups()
        row.append(quoted.replace('""', '"') if quoted is not None else (bare or None))
        pos = m.end()
        if sep != ",":
            yield row
            row = []
            if not sep:
                break


def _cells(data: bytes, fmt: str):
    """-> (header, iterator of rows as lists of str or None) for the current formats."""
    if fmt == CSV_FORMAT:
        rows = csv_records(data.decode("utf-8"))
        header = next(rows, None)
        return header, (list(map(_unguard, row)) for row in rows)

    def jsonl():
        for raw in lines:
            values = json.loads(raw)
            if not isinstance(values, list) or not all(v is None or type(v) is str for v in values):
                raise ValueError("not an array of strings and nulls")
            yield values

    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        return None, iter(())
    header = json.loads(lines[0])
    lines = lines[1:]
    return header, jsonl()


_GUARDED = re.compile(r"'+[=+\-@\t\r]")


def _unguard(cell):
    """A CSV cell back to the stored value: the export put one apostrophe before any cell that starts with
    = + - @ tab or CR after apostrophes, so exactly one comes off such a cell."""
    if cell is not None and cell[:1] == "'" and _GUARDED.match(cell):
        return cell[1:]
    return cell


def _b64(cell) -> bytes:
    if cell is None:
        raise ValueError("no hash")
    raw = base64.b64decode(cell, validate=True)
    if len(raw) != 32:
        raise ValueError("not a 32-byte hash")
    return raw


def check_rows_v3(data: bytes, manifest: dict, report: Report) -> int:
    """The current formats: rebuild every event's canonical bytes from its cells and chain them; returns the
    number of rows (-1: unreadable)."""
    fmt = manifest.get("row_format")
    canonical = _pgcopy_bytes if manifest.get("canonical", CANONICAL_PGCOPY) == CANONICAL_PGCOPY else _plain_bytes
    try:
        header, rows = _cells(data, fmt)
    except (ValueError, UnicodeDecodeError) as exc:
        report.bad(f"FIRST BAD header: not a well-formed export ({exc})")
        return -1
    layout = {tuple(CHAIN_COLUMNS): "chain", tuple(SELECTION_COLUMNS): "selection"}.get(tuple(header or ()))
    if header is not None and (layout is None or layout != manifest.get("layout")):
        report.bad("FIRST BAD header: not the columns of this export's layout (edited)")
        return -1
    check = _check_chain if layout == "chain" else _check_selection
    return check(rows, canonical, manifest, report)


def _rows(rows, width: int):
    """(row number, cells) of each row; a malformed row ends the file with a ValueError."""
    number = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except (ValueError, UnicodeDecodeError):
            raise ValueError(f"row {number + 1}: not a well-formed export row (edited or truncated)")
        number += 1
        if len(cells) != width:
            raise ValueError(f"row {number}: not a well-formed export row (edited or truncated)")
        yield number, cells


def _check_chain(rows, canonical, manifest: dict, report: Report) -> int:
    """The chain layout: every sealed event in chain order, chained from the genesis to the signed root."""
    sha = hashlib.sha256
    prev, count, first_bad, since, since_id = GENESIS, 0, None, 1, None
    try:
        for count, cells in _rows(rows, len(CHAIN_COLUMNS)):
            since_id = since_id or cells[0]
            prev = sha(b"\x01" + prev + sha(canonical(cells[:-1])).digest()).digest()
            if cells[-1] is not None:
                mark = _b64(cells[-1])
                if mark != prev:
                    first_bad = first_bad or (
                        f"rows {since}..{count} (seq {since}..{count}, events #{since_id}..#{cells[0]}): the chain "
                        f"no longer arrives at the chain hash given at row {count} (a row in between was edited, "
                        "inserted, removed or moved)")
                    prev = mark  # go on from the given hash: later stretches are checked on their own
                since, since_id = count + 1, None
    except (ValueError, binascii.Error) as exc:
        report.bad(f"FIRST BAD {first_bad or exc}")
        return count
    tree_size = manifest.get("checkpoint", {}).get("tree_size")
    root = base64.b64decode(manifest.get("checkpoint", {}).get("root", ""))
    if count != tree_size:
        first_bad = first_bad or f"the file holds {count} rows of the chain, the checkpoint {tree_size}"
    elif prev != root:
        first_bad = first_bad or (f"rows {since}..{count} (seq {since}..{count}): the chain does not end at the "
                                  "signed checkpoint's root (a row in between was edited, inserted, removed or moved)")
    if first_bad:
        report.bad("FIRST BAD " + first_bad)
    else:
        report.say(f"The rows form the whole chain 1..{tree_size}, from the genesis to the signed checkpoint's root.")
    return count


def _check_selection(rows, canonical, manifest: dict, report: Report) -> int:
    """The selection layout: each row's chain hash from its prev_hash and values; rows of consecutive seq linked."""
    sha = hashlib.sha256
    chains, first_bad, count = {}, None, 0
    try:
        for count, cells in _rows(rows, len(SELECTION_COLUMNS)):
            try:
                seq = int(cells[0])
                prev, chained = _b64(cells[-2]), _b64(cells[-1])
            except (ValueError, TypeError, binascii.Error):
                first_bad = first_bad or f"row {count}: not a well-formed export row (edited or truncated)"
                continue
            values = cells[1:-2]
            where = f"row {count} (seq {seq}, event #{values[0]})"
            if sha(b"\x01" + prev + sha(canonical(values)).digest()).digest() != chained:
                first_bad = first_bad or (f"{where}: its values no longer match its chain hash (the row or its "
                                          "hashes were edited)")
            if seq in chains:
                first_bad = first_bad or f"{where}: seq {seq} appears twice"
            chains[seq] = (prev, chained, count, values[0])
    except ValueError as exc:
        first_bad = first_bad or str(exc)
    first_bad = _check_links(chains, manifest, report, first_bad)
    if first_bad:
        report.bad("FIRST BAD " + first_bad)
    return count


def _check_links(chains, manifest, report, first_bad):
    """Links between rows of consecutive seq, and the whole chain's ends when the export holds it all."""
    for seq in sorted(chains):
        before = chains.get(seq - 1)
        prev, _chained, number, event_id = chains[seq]
        if before is not None and before[1] != prev:
            problem = (f"row {number} (seq {seq}, event #{event_id}): its previous hash is not the chain hash of "
                       f"seq {seq - 1} (a row was changed, inserted or removed)")
            first_bad = first_bad or problem
    tree_size = manifest.get("checkpoint", {}).get("tree_size")
    if chains and tree_size and min(chains) == 1 and max(chains) == tree_size and len(chains) == tree_size:
        if chains[1][0] != GENESIS:
            first_bad = first_bad or "row of seq 1: its previous hash is not the chain's genesis"
        root = base64.b64decode(manifest["checkpoint"]["root"])
        if chains[tree_size][1] != root:
            first_bad = first_bad or f"seq {tree_size}: the chain does not end at the signed checkpoint's root"
        report.say(f"The rows form the whole chain 1..{tree_size}, from the genesis to the signed checkpoint's root.")
    elif chains:
        gaps = sum(1 for s in chains if s > min(chains) and s - 1 not in chains)
        report.say(f"The rows are a selection of the chain (seq {min(chains)}..{max(chains)}, {gaps} gaps): each "
                   "row's hashes and the links between consecutive rows were checked.")
    return first_bad


def check_data(data: bytes, manifest: dict, report: Report) -> int:
    """Check the rows as far as the export's format allows; returns the number of rows (-1: unreadable)."""
    fmt, row_format = manifest.get("format"), manifest.get("row_format")
    if row_format in (CSV_FORMAT, JSONL_FORMAT):
        return check_rows_v3(data, manifest, report)
    if fmt == "jsonl" and row_format == JSONL_FORMAT_V2:
        return check_rows(data, manifest, report)
    if fmt == "jsonl":  # exports made before rows carried their exact stored text
        report.say("JSON Lines of an older format: file hash and signature checked; rows are not re-hashed.")
        return sum(1 for line in data.splitlines() if line.strip())
    report.say("CSV of an older format: file hash and signature checked; rows are not re-hashed.")
    try:
        return sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8")))) - 1
    except (UnicodeDecodeError, csv.Error):
        return -1


# --- inputs -------------------------------------------------------------------------------------

def read_export(path: Path, manifest_path: Path | None):
    """-> (data bytes, manifest dict, data file name)."""
    if not path.is_file():
        raise NotAnExport(f"{path}: no such file")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                if "manifest.json" not in names:
                    raise NotAnExport(f"{path.name}: a zip without manifest.json is not an audit export")
                manifest_text = zf.read("manifest.json")
                data_names = [n for n in names if n.startswith("audit-export.")]
                if not data_names:
                    raise NotAnExport(f"{path.name}: the zip holds no audit-export data file")
                data = zf.read(data_names[0])
                name = data_names[0]
        except (zipfile.BadZipFile, OSError) as exc:
            raise NotAnExport(f"{path.name}: unreadable zip ({exc})")
    else:
        manifest_path = manifest_path or path.with_name(path.name + ".manifest.json")
        if not manifest_path.is_file():
            raise NotAnExport(f"{path.name}: no manifest beside it ({manifest_path.name}); give --manifest")
        manifest_text = manifest_path.read_bytes()
        data = path.read_bytes()
        name = path.name
    try:
        manifest = json.loads(manifest_text)
    except ValueError:
        raise NotAnExport("the manifest is not JSON")
    if not isinstance(manifest, dict) or manifest.get("kind") not in MANIFEST_KINDS:
        raise NotAnExport("the manifest is not a PortalGov audit export manifest")
    return data, manifest, name


def verify_export(path: Path, key, manifest_path: Path | None, report: Report) -> None:
    data, manifest, name = read_export(path, manifest_path)
    body = {k: v for k, v in manifest.items() if k != "signature"}
    reason = check_signature(key, canonical_json(body), (manifest.get("signature") or {}).get("value", ""))
    if reason:
        report.bad(f"manifest signature: {reason}")
    checkpoint = manifest.get("checkpoint") or {}
    try:
        parsed = check_note(key, checkpoint.get("note", ""), report, "the manifest's checkpoint")
        if parsed["tree_size"] != checkpoint.get("tree_size") or \
                base64.b64encode(parsed["root"]).decode() != checkpoint.get("root"):
            report.bad("the manifest's checkpoint fields disagree with its signed note")
    except NotAnExport:
        report.bad("the manifest's checkpoint is not a signed checkpoint note")
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != manifest.get("bytes"):
        report.bad(f"{name} has {len(data)} bytes, the manifest says {manifest.get('bytes')} (truncated or edited)")
    if digest != manifest.get("sha256"):
        report.bad(f"{name}: its SHA-256 differs from the manifest's (the file was changed)")
    rows = check_data(data, manifest, report)
    if rows != manifest.get("row_count"):
        report.bad(f"{name} holds {rows} rows, the manifest says {manifest.get('row_count')}")
    if not report.problems:
        report.say(f"OK: {name}: {rows} rows, sha256 {digest}, covered by the signed checkpoint of "
                   f"{checkpoint.get('tree_size')} events ({parsed['origin']}), manifest signed by key "
                   f"{key_hint(key).hex()}.")


def verify_checkpoint(path: Path, key, report: Report) -> None:
    try:
        note = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotAnExport(f"{path.name}: unreadable ({exc})")
    parsed = check_note(key, note, report, "checkpoint")
    if not report.problems:
        report.say(f"OK: checkpoint of {parsed['origin']}: {parsed['tree_size']} events, root "
                   f"{base64.b64encode(parsed['root']).decode()}, at {parsed['time']}, signed by key {key_hint(key).hex()}.")


def looks_like_note(path: Path) -> bool:
    try:
        head = path.read_bytes()[:4096]
    except OSError:
        return False
    return b"\n\n" + SIG_PREFIX.encode() in head and not head.startswith((b"{", b"[", b"seq,", b"PK"))


def main(argv=None, out=None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the export (.zip, or the data file with FILE.manifest.json beside it) "
                                       "or a checkpoint note")
    parser.add_argument("--key", required=True, help="the Ed25519 public key (base64) or a file holding it")
    parser.add_argument("--manifest", help="the manifest, when it is not FILE.manifest.json")
    args = parser.parse_args(argv)
    report = Report(out)
    try:
        key = load_key(args.key)
        path = Path(args.export)
        if path.is_file() and looks_like_note(path):
            verify_checkpoint(path, key, report)
        else:
            verify_export(path, key, Path(args.manifest) if args.manifest else None, report)
    except NotAnExport as exc:
        out.write(f"NOT AN EXPORT: {exc}\n")
        return 2
    if report.problems:
        for problem in report.problems:
            out.write(f"BAD: {problem}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
