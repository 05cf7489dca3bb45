"""(e) Exports match the filter, and their signed manifests verify (offline); bad input exports nothing."""

import csv
import datetime as dt
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from audits.exporting import verify_manifest
from audits.models import AuditEvent
from audits.selectors import build_filter, events
from audits.services import record_event

from ._export_rows import jsonl_rows
from .conftest import seal_all

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def history(world):
    """Events in two organizations over three days."""
    for day in (1, 2, 3):
        with time_machine.travel(dt.datetime(2026, 11, day, 15, 0, tzinfo=dt.UTC), tick=True):
            for i in range(3):
                record_event("portal_account.updated", organization=world.org, object_type="access.portalaccount",
                             object_id=str(i), object_label=f"Account {i}", changes={"day": [day - 1, day]})
            record_event("portal_account.updated", organization=world.other_org, object_label="Other's account")
            record_event("auth.login", organization=world.org, actor=world.carol, message="comma, \"quote\"\nnewline")
    seal_all()
    return world


def _export(tmp_path, fmt, **opts):
    out = tmp_path / f"export.{fmt}"
    call_command("audit_export", format=fmt, output=str(out), **opts)
    manifest = json.loads((tmp_path / f"export.{fmt}.manifest.json").read_text())
    return out, manifest


def test_jsonl_export_matches_the_filter_and_its_manifest_verifies(history, tmp_path):
    out, manifest = _export(tmp_path, "jsonl", org="cascade", since="2026-11-02", until="2026-11-02",
                            action="portal_account.*")
    rows = jsonl_rows(out.read_bytes())
    expected = events(build_filter(organization_id=history.org.pk, since="2026-11-02", until="2026-11-02",
                                   action="portal_account.*"))
    assert sorted(r["id"] for r in rows) == sorted(expected.values_list("id", flat=True))
    assert len(rows) == 3 and all(r["organization_id"] == history.org.pk for r in rows)
    assert all(r["timestamp"].startswith("2026-11-02") for r in rows)
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    assert manifest["row_count"] == 3 and manifest["filter"]["organization_id"] == history.org.pk
    assert verify_manifest(manifest, [out.read_bytes()]) == []
    call_command("audit_verify_export", str(out), str(tmp_path / "export.jsonl.manifest.json"))
    # The export itself is an audit event.
    event = AuditEvent.objects.get(action="audit.exported", pk=manifest["export_event_id"])
    assert event.changes["format"] == "jsonl" and event.organization_id == history.org.pk


def test_csv_export_of_everything_round_trips(history, tmp_path):
    out, manifest = _export(tmp_path, "csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == manifest["row_count"] == manifest["checkpoint"]["tree_size"]
    assert any(r["message"] == "comma, \"quote\"\nnewline" for r in rows)
    assert verify_manifest(manifest, [out.read_bytes()]) == []


def test_altered_export_or_manifest_fails_verification(history, tmp_path, capsys):
    out, manifest = _export(tmp_path, "jsonl", org="cascade")
    data = out.read_bytes().replace(b"Account 1", b"Account 9", 1)
    assert any("SHA-256" in p for p in verify_manifest(manifest, [data]))
    forged = dict(manifest, row_count=manifest["row_count"] - 1)
    assert any("signature" in p for p in verify_manifest(forged, [out.read_bytes()]))
    out.write_bytes(data)
    with pytest.raises(CommandError) as exc:
        call_command("audit_verify_export", str(out), str(tmp_path / "export.jsonl.manifest.json"))
    assert exc.value.returncode == 1


@pytest.mark.parametrize("opts, message", [
    ({"since": "2026-11-03", "until": "2026-11-01"}, "since must be before until"),
    ({"since": "yesterday-ish"}, "is not a date"),
    ({"until": "2026-13-45"}, "is not a date"),
    ({"org": "nobody"}, "no organization 'nobody'"),
])
def test_bad_input_exits_2_and_exports_nothing(history, tmp_path, opts, message):
    before = AuditEvent.objects.filter(action="audit.exported").count()
    with pytest.raises(CommandError, match=message) as exc:
        call_command("audit_export", format="csv", output=str(tmp_path / "x.csv"), **opts)
    assert exc.value.returncode == 2
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.csv.manifest.json").exists()
    assert AuditEvent.objects.filter(action="audit.exported").count() == before


def test_unknown_format_is_refused(history, tmp_path):
    with pytest.raises(CommandError):
        call_command("audit_export", format="xml", output=str(tmp_path / "x.xml"))
    assert not (tmp_path / "x.xml").exists()
