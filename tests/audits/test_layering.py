"""DESIGN invariant 15: the audit layer depends on core alone; the layers above subscribe to it."""

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]

# The auditor's pages are the one module of audits/ that is a user interface: they are scoped to an
# organization through accounts' tenancy decorator and role names, like every page. Nothing in the
# audit layer imports them (checked below), so they add no cycle to the write path.
UI_MODULES = {"audits/views.py": {"accounts"}}


def _portalgov_apps() -> set[str]:
    local = {name.split(".")[0] for name in settings.INSTALLED_APPS if (ROOT / name.split(".")[0]).is_dir()}
    return local | {"portalgov"}


def _imports(path: Path) -> set[str]:
    """Every top-level package the module imports, at module level or inside a function."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in {
                "import_module", "__import__", "import_string"} and node.args and isinstance(node.args[0], ast.Constant):
            found.add(str(node.args[0].value).split(".")[0])
    return found


def test_no_module_under_audits_imports_an_app_above_core():
    above = _portalgov_apps() - {"audits", "core"}
    assert {"accounts", "findings", "hygiene"} <= above  # the scan sees the apps it must refuse
    offenders = []
    for path in sorted((ROOT / "audits").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        bad = (_imports(path) & above) - UI_MODULES.get(rel, set())
        if bad:
            offenders.append(f"{rel} imports {', '.join(sorted(bad))}")
    assert offenders == [], "the audit layer must depend on core alone (use audits.signals):\n" + "\n".join(offenders)


def test_nothing_in_the_audit_layer_imports_its_pages():
    for path in sorted((ROOT / "audits").rglob("*.py")):
        if path.name in {"views.py", "urls.py"}:
            continue
        source = path.read_text()
        assert "audits.views" not in source and "from .views" not in source and "from . import views" not in source, path


def test_the_scanner_catches_a_lazy_import(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from findings.services import raise_system_finding\n    import hygiene.models\n")
    assert {"findings", "hygiene"} <= _imports(sample)


@pytest.mark.django_db(transaction=True)
def test_a_failed_daily_verification_raises_the_critical_finding_through_the_signal(world):
    from audits.models import AuditVerification
    from audits.services import run_daily_verification
    from audits.signals import verification_failed
    from findings.models import Finding
    from findings.services import on_audit_verification_failed
    from hygiene.models import JobRun

    from .conftest import make_events, seal_all, superuser_sql

    events = make_events(world.org, 3)
    seal_all()
    superuser_sql("UPDATE audits_auditevent SET message = 'edited' WHERE id = %s", [events[1].pk])

    # The findings app subscribes in its AppConfig.ready; without that subscription nothing is raised.
    assert on_audit_verification_failed in [entry[1]() for entry in verification_failed.receivers]
    assert verification_failed.disconnect(dispatch_uid="findings.audit_verification_failed")
    try:
        _, result = run_daily_verification()
        assert not result.ok
        assert not Finding.objects.filter(rule="audit_log_verification_failed").exists()
    finally:
        verification_failed.connect(on_audit_verification_failed, dispatch_uid="findings.audit_verification_failed")

    verification, result = run_daily_verification()
    assert isinstance(verification, AuditVerification) and not verification.ok
    for org in (world.org, world.other_org):
        finding = Finding.objects.get(organization=org, rule="audit_log_verification_failed", resolved_at=None)
        assert finding.severity == "critical" and f"event #{events[1].pk}" in finding.title
    # hygiene, the other subscriber, records the run for the jobs page.
    run = JobRun.objects.filter(job="audit_verify").latest("started_at")
    assert run.status == JobRun.Status.FAILED and f"event #{events[1].pk}" in run.errors[0]["error"]
    assert run.finished_at <= timezone.now()
