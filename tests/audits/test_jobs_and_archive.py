"""The daily verification job (a failure is critical and visible), and archiving a whole month."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from audits.exporting import verify_manifest
from audits.models import AuditArchive, AuditEvent
from audits.partitions import add_months, partitions
from audits.services import run_daily_verification
from audits.verify import verify_log
from hygiene.models import JobRun

from .conftest import make_events, seal_all, superuser_sql

pytestmark = pytest.mark.django_db(transaction=True)


def test_daily_job_verifies_and_records_the_run(world):
    make_events(world.org, 3)
    seal_all()
    verification, result = run_daily_verification()
    run = JobRun.objects.get(job="audit_verify")  # recorded by hygiene, which listens to the audit layer
    assert result.ok and verification.ok and run.status == JobRun.Status.SUCCEEDED
    assert AuditEvent.objects.filter(action="audit.verified").exists()


def test_daily_job_failure_is_critical(world, client_for):
    events = make_events(world.org, 4)
    seal_all()
    superuser_sql("UPDATE audits_auditevent SET message = 'edited' WHERE id = %s", [events[1].pk])
    _, result = run_daily_verification()
    run = JobRun.objects.get(job="audit_verify")
    assert not result.ok and result.first.event_id == events[1].pk
    assert run.status == JobRun.Status.FAILED and f"event #{events[1].pk}" in run.errors[0]["error"]
    failed = AuditEvent.objects.get(action="audit.verification_failed")
    assert failed.severity == AuditEvent.Severity.CRITICAL and f"event #{events[1].pk}" in failed.message
    # The auditor sees it on the dashboard card and the audit pages.
    html = client_for(world.carol).get(f"/o/{world.org.slug}/").content.decode()
    assert "Audit log verified" in html and "FAILED" in html
    html = client_for(world.carol).get(f"/o/{world.org.slug}/audit/").content.decode()
    assert "Verification FAILED" in html
    # ...and it is a critical finding in every organization, which the rules engine does not resolve.
    from findings.models import Finding
    from findings.services import findings_evaluate_organization

    findings_evaluate_organization(organization=world.org, now=timezone.now())
    finding = Finding.objects.get(organization=world.org, rule="audit_log_verification_failed")
    assert finding.severity == "critical" and finding.resolved_at is None
    assert Finding.objects.filter(organization=world.other_org, rule="audit_log_verification_failed").exists()


@pytest.mark.postgres
def test_archiving_a_past_month_keeps_the_rest_verifiable(world, tmp_path, capsys):
    month = add_months(timezone.now().date().replace(day=1), -2)
    with time_machine.travel(dt.datetime.combine(month.replace(day=10), dt.time(12), tzinfo=dt.UTC), tick=True):
        old = make_events(world.org, 5)
    make_events(world.org, 3, start=100)
    seal_all()
    call_command("audit_archive", month=f"{month:%Y-%m}", output=str(tmp_path))
    name = f"audits_auditevent_{month:%Y_%m}"
    assert name not in {p["name"] for p in partitions()}
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    archive = AuditArchive.objects.get(month=month)
    assert archive.event_count == 5
    data = (tmp_path / f"audit-{month:%Y-%m}.jsonl").read_bytes()
    manifest = json.loads((tmp_path / f"audit-{month:%Y-%m}.manifest.json").read_text())
    assert verify_manifest(manifest, [data]) == [] and manifest["row_count"] == 5
    result = verify_log()
    assert result.ok, result.problems
    assert result.archived == 5
    assert AuditEvent.objects.filter(action="audit.archived").exists()
    # Deleting a surviving event is still caught.
    survivor = AuditEvent.objects.filter(action="test.event").order_by("id").first()
    superuser_sql("DELETE FROM audits_auditevent WHERE id = %s", [survivor.pk])
    assert verify_log().first.event_id == survivor.pk


@pytest.mark.postgres
@pytest.mark.parametrize("month, message", [("2026-13", "is not a month"), ("this-month", "is not a month")])
def test_archive_refuses_bad_months(world, tmp_path, month, message):
    with pytest.raises(CommandError, match=message) as exc:
        call_command("audit_archive", month=month, output=str(tmp_path))
    assert exc.value.returncode == 2


@pytest.mark.postgres
def test_archive_refuses_the_current_month(world, tmp_path):
    with pytest.raises(CommandError, match="not over yet") as exc:
        call_command("audit_archive", month=f"{timezone.now():%Y-%m}", output=str(tmp_path))
    assert exc.value.returncode == 2
    assert connection.vendor == "postgresql" and not list(tmp_path.iterdir())
