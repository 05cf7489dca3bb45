"""Security scans for scripts/test: bandit (static analysis) and pip-audit (known vulnerabilities).

    python -m security.scan bandit     # fails on any finding not accepted in security/accepted_findings.toml
    python -m security.scan pip-audit  # fails on any vulnerability not accepted there

Every accepted finding names its file (or package), the check, the code it matches and the reason;
docs/security.md explains the policy. pip-audit never reports a pass for packages it could not audit: with no
vulnerability data reachable it prints "not audited: no vulnerability data reachable" (and exits 0).
"""

import json
import subprocess  # nosec B404 -- runs the two scanners with fixed argument lists
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = ROOT / "security" / "accepted_findings.toml"


def _accepted() -> dict:
    return tomllib.loads(ACCEPTED.read_text(encoding="utf-8"))


def bandit() -> int:
    cmd = [sys.executable, "-m", "bandit", "-q", "-r", ".", "-c", "pyproject.toml", "-f", "json"]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)  # nosec B603  # noqa: S603 -- fixed argv
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(run.stdout, run.stderr, sep="\n")
        print("bandit: could not read its report")
        return 2
    rules = _accepted().get("bandit", [])
    used, open_findings = set(), []
    for finding in report["results"]:
        for i, rule in enumerate(rules):
            if (
                finding["filename"].removeprefix("./") == rule["file"]
                and finding["test_id"] == rule["test"]
                and rule["code"] in finding["code"]
            ):
                used.add(i)
                break
        else:
            open_findings.append(finding)
    for f in open_findings:
        print(f"{f['filename']}:{f['line_number']}: {f['test_id']} {f['issue_severity']} {f['issue_text']}")
    stale = [rules[i] for i in range(len(rules)) if i not in used]
    for rule in stale:
        print(f"note: accepted bandit finding no longer occurs (remove it): {rule['file']} {rule['test']}")
    scanned = report.get("metrics", {}).get("_totals", {}).get("loc", "?")
    accepted = len(report["results"]) - len(open_findings)
    print(f"bandit: {len(report['results'])} findings in {scanned} lines, {accepted} accepted with a reason "
          f"({len(used)} entries of security/accepted_findings.toml), {len(open_findings)} open")
    if open_findings:
        print("Fix each, or mark the line `# nosec BXXX -- why`, or accept it in security/accepted_findings.toml.")
    return 1 if open_findings else 0


LOCK = "requirements/dev.txt"  # every pinned package: the runtime lock's pins and the development tools
NOT_AUDITED = "not audited: no vulnerability data reachable"
OFFLINE_MARKERS = ("ConnectionError", "Max retries", "NameResolutionError", "timed out", "Connection refused",
                   "Temporary failure in name resolution", "404")


def _run_pip_audit() -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pip_audit", "-r", LOCK, "--no-deps", "--disable-pip",
           "--progress-spinner", "off", "--format", "json"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)  # nosec B603  # noqa: S603 -- fixed argv


def pip_audit() -> int:
    """Known vulnerabilities in the pinned packages. Never a pass for what it could not audit.

    - no vulnerability data reachable (offline, or the index knows none of the pins): one visible
      "not audited" line, exit 0: nothing was checked, and the output says so;
    - data reachable: every finding must be accepted in security/accepted_findings.toml (id + reason),
      else exit 1; packages the service does not know are listed as not audited.
    """
    accepted = {item["id"]: item for item in _accepted().get("pip_audit", []) if item.get("reason")}
    run = _run_pip_audit()
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        if any(s in run.stderr for s in OFFLINE_MARKERS):
            print(f"pip-audit: {NOT_AUDITED} (the vulnerability service could not be reached): "
                  f"0 packages of {LOCK} audited")
            return 0
        print(run.stderr[-3000:])
        print("pip-audit: failed to run")
        return 2
    deps = report.get("dependencies", [])
    unaudited = sorted(d["name"] for d in deps if d.get("skip_reason"))
    audited = len(deps) - len(unaudited)
    if audited == 0:
        print(f"pip-audit: {NOT_AUDITED}: 0 of {len(deps)} pinned packages of {LOCK} are known to the "
              "vulnerability service, so none was checked")
        return 0
    open_findings, accepted_findings = [], []
    for dep in deps:
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            line = (f"{dep['name']} {dep['version']}: {vuln['id']} "
                    f"(fixed in {', '.join(vuln.get('fix_versions') or ['?'])})")
            hit = next((accepted[i] for i in ids if i in accepted), None)
            if hit:
                accepted_findings.append(f"{line}: accepted: {hit['reason']}")
            else:
                open_findings.append(line)
    for line in accepted_findings + open_findings:
        print(line)
    print(f"pip-audit: {audited} of {len(deps)} pinned packages audited, {len(open_findings)} known "
          f"vulnerabilities open, {len(accepted_findings)} accepted with a reason (security/accepted_findings.toml)")
    if unaudited:
        print(f"  {NOT_AUDITED} for {len(unaudited)} packages unknown to the service: " + ", ".join(unaudited))
    if open_findings:
        print("Upgrade each (scripts/lock --upgrade-package NAME), or accept it with a reason in "
              "security/accepted_findings.toml.")
    return 1 if open_findings else 0


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    if which == "bandit":
        sys.exit(bandit())
    if which == "pip-audit":
        sys.exit(pip_audit())
    print(__doc__)
    sys.exit(2)
