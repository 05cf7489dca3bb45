"""The pip-audit scan never passes for what it could not audit; where data is reachable, an unaccepted finding
fails the run (the vulnerability service is mocked)."""

import json
import subprocess

import pytest

from security import scan


def _fake(monkeypatch, *, stdout="", stderr="", accepted=None):
    monkeypatch.setattr(scan, "_run_pip_audit",
                        lambda: subprocess.CompletedProcess([], 1, stdout=stdout, stderr=stderr))
    monkeypatch.setattr(scan, "_accepted", lambda: {"pip_audit": accepted or []})


def _report(*deps):
    return json.dumps({"dependencies": list(deps), "fixes": []})


def dep(name, vulns=(), skip=False):
    d = {"name": name, "version": "1.0"}
    if skip:
        d["skip_reason"] = "Dependency not found on PyPI and could not be audited"
    else:
        d["vulns"] = list(vulns)
    return d


VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["1.1"], "description": "bad"}


def test_nothing_known_to_the_service_is_not_a_pass(monkeypatch, capsys):
    _fake(monkeypatch, stdout=_report(dep("django", skip=True), dep("celery", skip=True)))
    assert scan.pip_audit() == 0
    out = capsys.readouterr().out
    assert "not audited: no vulnerability data reachable" in out and "0 of 2" in out
    assert "audited, 0 known" not in out


def test_an_unreachable_service_is_not_a_pass(monkeypatch, capsys):
    _fake(monkeypatch, stderr="requests.exceptions.ConnectionError: Max retries exceeded with url: /pypi/django")
    assert scan.pip_audit() == 0
    assert "not audited: no vulnerability data reachable" in capsys.readouterr().out


def test_an_unaccepted_finding_fails(monkeypatch, capsys):
    _fake(monkeypatch, stdout=_report(dep("django", [VULN]), dep("celery")))
    assert scan.pip_audit() == 1
    out = capsys.readouterr().out
    assert "django 1.0: PYSEC-2099-1 (fixed in 1.1)" in out and "1 known vulnerabilities open" in out


@pytest.mark.parametrize("accepted_id", ["PYSEC-2099-1", "CVE-2099-0001"])
def test_a_finding_accepted_with_a_reason_passes(monkeypatch, capsys, accepted_id):
    _fake(monkeypatch, stdout=_report(dep("django", [VULN])),
          accepted=[{"id": accepted_id, "package": "django", "reason": "not reachable from PortalGov"}])
    assert scan.pip_audit() == 0
    assert "accepted: not reachable from PortalGov" in capsys.readouterr().out


def test_an_acceptance_without_a_reason_does_not_count(monkeypatch):
    _fake(monkeypatch, stdout=_report(dep("django", [VULN])), accepted=[{"id": "PYSEC-2099-1"}])
    assert scan.pip_audit() == 1


def test_a_clean_audit_says_how_much_it_audited(monkeypatch, capsys):
    _fake(monkeypatch, stdout=_report(dep("django"), dep("celery"), dep("local-thing", skip=True)))
    assert scan.pip_audit() == 0
    out = capsys.readouterr().out
    assert "2 of 3 pinned packages audited, 0 known vulnerabilities open" in out
    assert "not audited: no vulnerability data reachable for 1 packages unknown to the service: local-thing" in out
